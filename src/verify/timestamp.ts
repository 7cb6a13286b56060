import { RFC3161Timestamp } from '@sigstore/core';
import { isWithin, type TrustedCertificateAuthority } from '../trust/trust.types.js';
import { verifyCertificateChain } from './certificate.js';
import { fail } from './errors.js';
import { trustedKey } from './public-key.js';
import { readDER } from './x509/der-reader.js';

/**
 * Verifies an RFC 3161 timestamp over `signature` against the trusted timestamp authorities and
 * returns its time. Certificates embedded in the timestamp are never trusted.
 */
export function verifyRFC3161Timestamp(der: Buffer, signature: Buffer, authorities: TrustedCertificateAuthority[]): Date {
  // The parser is lazy: the fields read here are decoded (and may turn out malformed) only now.
  let timestamp: RFC3161Timestamp, time: Date, signerSerialNumber: Buffer, signerIssuer: Buffer;
  try {
    timestamp = RFC3161Timestamp.parse(Buffer.from(der) as Buffer<ArrayBuffer>);
    time = timestamp.signingTime;
    signerSerialNumber = timestamp.signerSerialNumber;
    signerIssuer = timestamp.signerIssuer;
  } catch (error) {
    fail('TIMESTAMP_ERROR', `malformed RFC 3161 timestamp (${(error as Error).message})`);
  }
  const candidates = authorities.filter(
    (authority) =>
      isWithin(authority.validFor, time) &&
      authority.certChain[0]?.serialNumber.equals(signerSerialNumber) &&
      sameName(authority.certChain[0]?.issuer, signerIssuer),
  );
  for (const authority of candidates) {
    const [signingCertificate] = authority.certChain;
    try {
      verifyCertificateChain(signingCertificate!, [authority], time);
      timestamp.verify(signature, trustedKey(signingCertificate!.subjectPublicKeyInfo));
      return time;
    } catch {
      // try the next authority with the same signer
    }
  }
  fail('TIMESTAMP_ERROR', `timestamp (${time.toISOString()}) could not be verified by a trusted timestamp authority`);
}

/** `signerIssuer` is the content of the issuer Name the timestamp names; `name` is a whole Name's DER. */
function sameName(name: Buffer | undefined, signerIssuer: Buffer): boolean {
  return name !== undefined && readDER(name).content.equals(signerIssuer);
}
