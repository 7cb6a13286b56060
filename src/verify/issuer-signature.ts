import { verify as nodeVerify } from 'node:crypto';
import type { X509Certificate } from '@sigstore/core';
import { encodeDER } from './der.js';
import { memoKey, PureMemo } from './memo.js';
import { subjectPublicKeyInfo, trustedKey } from './public-key.js';

const verifiedSignatures = new PureMemo<boolean>(256);

/**
 * Whether the trusted `issuer`'s key signed `certificate`: what `certificate.verify(issuer)`
 * returns, and false where it throws. With `memoize`, the answer is kept for the exact signed
 * bytes, signature, algorithm and key; for the trusted root's own certificates (intermediate by
 * root), which recur in every chain. A bundle's own certificate is verified every time.
 */
export function isSignedBy(certificate: X509Certificate, issuer: X509Certificate, memoize: boolean): boolean {
  try {
    const algorithm = certificate.signatureAlgorithm;
    const signature = certificate.signatureValue;
    const signed = encodeDER(certificate.tbsCertificate);
    const spki = subjectPublicKeyInfo(issuer);
    const verify = () => verifySignature(algorithm, signed, spki, signature);
    return memoize ? verifiedSignatures.get(memoKey([JSON.stringify(algorithm ?? null), spki, signature, signed]), verify) : verify();
  } catch {
    return false;
  }
}

function verifySignature(algorithm: string | undefined, signed: Buffer, spki: Buffer, signature: Buffer): boolean {
  const key = trustedKey(spki);
  try {
    return nodeVerify(algorithm, signed, key, signature);
  } catch {
    return false;
  }
}
