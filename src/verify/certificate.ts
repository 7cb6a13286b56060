import { isWithin, type TrustedCertificateAuthority } from '../trust/trust.types.js';
import { fail } from './errors.js';
import { isSignedBy } from './issuer-signature.js';
import { caConstraints, type CAConstraints } from './x509/ca-constraints.js';
import { isValidAt, type Certificate } from './x509/certificate.js';

const MAX_CHAIN_LENGTH = 8;

/**
 * Finds a trusted authority, valid at `time`, whose certificates chain `leaf` to a self-signed
 * root, with every certificate on the path valid at `time`. Only certificates from the trusted
 * root are used as issuers; intermediates a bundle supplies are never trusted.
 * Returns the path, leaf first.
 */
export function verifyCertificateChain(leaf: Certificate, authorities: TrustedCertificateAuthority[], time: Date): Certificate[] {
  const reasons: string[] = [];
  for (const authority of authorities) {
    if (!isWithin(authority.validFor, time)) continue;
    const path = buildPath(leaf, authority.certChain);
    if (!path) continue;
    const expired = path.find((certificate) => !isValidAt(certificate, time));
    if (expired) {
      reasons.push(`certificate ${describe(expired)} is not valid at ${time.toISOString()} (valid ${shownTime(expired.notBefore)} to ${shownTime(expired.notAfter)})`);
      continue;
    }
    checkCAConstraints(path);
    return path;
  }
  fail('CERTIFICATE_ERROR', reasons[0] ?? `certificate does not chain to a trusted authority valid at ${time.toISOString()}`);
}

function buildPath(leaf: Certificate, authorityChain: Certificate[]): Certificate[] | undefined {
  const path = [leaf];
  let current = leaf;
  while (path.length <= MAX_CHAIN_LENGTH) {
    const subject = current;
    // Past the leaf, every certificate is the trusted root's own: the same in every chain.
    const issuer = authorityChain.find((candidate) => candidate.subject.equals(subject.issuer) && isSignedBy(subject, candidate, subject !== leaf));
    if (!issuer) return undefined;
    if (issuer === current || issuer.der.equals(current.der)) return path;
    path.push(issuer);
    current = issuer;
  }
  return undefined;
}

function checkCAConstraints(path: Certificate[]): void {
  path.slice(1).forEach((issuer, i) => {
    const constraints = readCAConstraints(issuer);
    if (!constraints.isCA) fail('CERTIFICATE_ERROR', `issuer ${describe(issuer)} is not a CA`);
    if (constraints.pathLength !== undefined && BigInt(i) > constraints.pathLength) fail('CERTIFICATE_ERROR', 'path length constraint exceeded');
  });
  const leaf = path[0];
  if (leaf && path.length > 1 && readCAConstraints(leaf).isCA) fail('CERTIFICATE_ERROR', 'signing certificate is a CA certificate');
}

function readCAConstraints(certificate: Certificate): CAConstraints {
  try {
    return caConstraints(certificate);
  } catch (error) {
    fail('CERTIFICATE_ERROR', `certificate ${describe(certificate)} has malformed CA constraints (${(error as Error).message})`);
  }
}

/** An impossible date in a certificate (month 13) reads as an invalid Date: said so, not thrown on. */
function shownTime(time: Date): string {
  return Number.isNaN(time.getTime()) ? 'an impossible date' : time.toISOString();
}

function describe(certificate: Certificate): string {
  return `serial ${certificate.serialNumber.toString('hex')}`;
}
