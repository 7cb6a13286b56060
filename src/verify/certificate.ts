import { createHash } from 'node:crypto';
import { ASN1Obj, EXTENSION_OID_SCT, X509Certificate, X509SCTExtension } from '@sigstore/core';
import { isWithin, type TrustedCertificateAuthority, type TrustedLog } from '../trust/trust.types.js';
import { encodeDER, parseWithoutStackTraces } from './der.js';
import { fail } from './errors.js';
import { isSignedBy } from './issuer-signature.js';
import { subjectPublicKeyInfo } from './public-key.js';

const MAX_CHAIN_LENGTH = 8;

/**
 * Finds a trusted authority, valid at `time`, whose certificates chain `leaf` to a self-signed
 * root, with every certificate on the path valid at `time`. Only certificates from the trusted
 * root are used as issuers; intermediates a bundle supplies are never trusted.
 * Returns the path, leaf first.
 */
export function verifyCertificateChain(
  leaf: X509Certificate,
  authorities: TrustedCertificateAuthority[],
  time: Date,
): X509Certificate[] {
  const reasons: string[] = [];
  for (const authority of authorities) {
    if (!isWithin(authority.validFor, time)) continue;
    const path = buildPath(leaf, authority.certChain);
    if (!path) continue;
    const expired = path.find((certificate) => !certificate.validForDate(time));
    if (expired) {
      reasons.push(`certificate ${describe(expired)} is not valid at ${time.toISOString()} (valid ${expired.notBefore.toISOString()} to ${expired.notAfter.toISOString()})`);
      continue;
    }
    checkCAConstraints(path);
    return path;
  }
  fail('CERTIFICATE_ERROR', reasons[0] ?? `certificate does not chain to a trusted authority valid at ${time.toISOString()}`);
}

function buildPath(leaf: X509Certificate, authorityChain: X509Certificate[]): X509Certificate[] | undefined {
  const path = [leaf];
  let current = leaf;
  while (path.length <= MAX_CHAIN_LENGTH) {
    const subject = current;
    // Past the leaf, every certificate is the trusted root's own: the same in every chain.
    const issuer = authorityChain.find((candidate) => candidate.subject.equals(subject.issuer) && isSignedBy(subject, candidate, subject !== leaf));
    if (!issuer) return undefined;
    if (sameCertificate(issuer, current)) return path;
    path.push(issuer);
    current = issuer;
  }
  return undefined;
}

/** `a.equals(b)`: the same DER encoding. */
function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return a === b || encodeDER(a.root).equals(encodeDER(b.root));
}

function checkCAConstraints(path: X509Certificate[]): void {
  path.slice(1).forEach((issuer, i) => {
    if (!issuer.isCA) fail('CERTIFICATE_ERROR', `issuer ${describe(issuer)} is not a CA`);
    const pathLength = issuer.extBasicConstraints?.pathLenConstraint;
    if (pathLength !== undefined && BigInt(i) > pathLength) fail('CERTIFICATE_ERROR', 'path length constraint exceeded');
  });
  const leaf = path[0];
  if (leaf && path.length > 1 && leaf.isCA) fail('CERTIFICATE_ERROR', 'signing certificate is a CA certificate');
}

function describe(certificate: X509Certificate): string {
  return `serial ${certificate.serialNumber.toString('hex')}`;
}

/**
 * Verifies the leaf's embedded SCTs against the trusted CT logs (RFC 6962 precertificate form).
 * Returns how many verified; an SCT from a trusted log that fails to verify is an error.
 */
export function verifySCTs(leaf: X509Certificate, issuer: X509Certificate, ctlogs: TrustedLog[]): number {
  const extension = leaf.extensions.find((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT);
  if (!extension) return 0;
  // Read from its canonical encoding, as from a clone of the certificate (what sigstore-js does).
  const sctExtension = parseWithoutStackTraces(() => ASN1Obj.parseBuffer(encodeDER(extension) as Buffer<ArrayBuffer>));
  const scts = new X509SCTExtension(sctExtension).signedCertificateTimestamps;
  const tbs = encodeDER(leaf.tbsCertificate, extension);
  const tbsLength = Buffer.from([(tbs.length >>> 16) & 0xff, (tbs.length >>> 8) & 0xff, tbs.length & 0xff]);
  const signedData = Buffer.concat([createHash('sha256').update(subjectPublicKeyInfo(issuer)).digest(), tbsLength, tbs]);
  let verified = 0;
  for (const sct of scts) {
    const logs = ctlogs.filter((log) => log.logID.equals(sct.logID));
    if (logs.length === 0) continue;
    const ok = logs.some((log) => isWithin(log.validFor, sct.datetime) && sct.verify(signedData, log.publicKey));
    if (!ok) fail('SCT_ERROR', 'SCT verification failed: a trusted CT log did not sign this certificate at that time');
    verified++;
  }
  return verified;
}
