import { crypto as sigstoreCrypto, ByteStream, EXTENSION_OID_SCT, X509Certificate, X509SCTExtension } from '@sigstore/core';
import { isWithin, type TrustedCertificateAuthority, type TrustedLog } from '../trust/trust.types.js';
import { fail } from './errors.js';

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
    const issuer = authorityChain.find((candidate) => candidate.subject.equals(current.issuer) && safeVerify(current, candidate));
    if (!issuer) return undefined;
    if (issuer.equals(current)) return path;
    path.push(issuer);
    current = issuer;
  }
  return undefined;
}

function safeVerify(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.verify(issuer);
  } catch {
    return false;
  }
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
  const precert = leaf.clone();
  const index = precert.extensions.findIndex((ext) => ext.subs[0]?.toOID() === EXTENSION_OID_SCT);
  if (index < 0) return 0;
  const [extension] = precert.extensions.splice(index, 1);
  const scts = new X509SCTExtension(extension!).signedCertificateTimestamps;
  const tbs = precert.tbsCertificate.toDER();
  const signedData = new ByteStream();
  signedData.appendView(sigstoreCrypto.digest('sha256', issuer.publicKey));
  signedData.appendUint24(tbs.length);
  signedData.appendView(tbs);
  let verified = 0;
  for (const sct of scts) {
    const logs = ctlogs.filter((log) => log.logID.equals(sct.logID));
    if (logs.length === 0) continue;
    const ok = logs.some((log) => isWithin(log.validFor, sct.datetime) && sct.verify(signedData.buffer, log.publicKey));
    if (!ok) fail('SCT_ERROR', 'SCT verification failed: a trusted CT log did not sign this certificate at that time');
    verified++;
  }
  return verified;
}
