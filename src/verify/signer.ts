import { ASN1Obj, type X509Certificate } from '@sigstore/core';
import { fail } from './errors.js';

/** Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const FULCIO_OID = '1.3.6.1.4.1.57264.1';

/** Claims Fulcio encodes as DER UTF8String (OIDs .8–.23), by our claim name. */
const CLAIM_OIDS = {
  issuer: 8,
  buildSignerURI: 9,
  buildSignerDigest: 10,
  runnerEnvironment: 11,
  sourceRepositoryURI: 12,
  sourceRepositoryDigest: 13,
  sourceRepositoryRef: 14,
  sourceRepositoryIdentifier: 15,
  sourceRepositoryOwnerURI: 16,
  sourceRepositoryOwnerIdentifier: 17,
  buildConfigURI: 18,
  buildConfigDigest: 19,
  buildTrigger: 20,
  runInvocationURI: 21,
  sourceRepositoryVisibilityAtSigning: 22,
  deploymentEnvironment: 23,
} as const satisfies Record<string, number>;

/** Deprecated GitHub claims Fulcio wrote as raw bytes (OIDs .1–.6). */
const LEGACY_OIDS = {
  issuer: 1,
  githubWorkflowTrigger: 2,
  githubWorkflowSHA: 3,
  githubWorkflowName: 4,
  githubWorkflowRepository: 5,
  githubWorkflowRef: 6,
} as const satisfies Record<string, number>;

export type CertificateClaims = Partial<Record<keyof typeof CLAIM_OIDS | keyof typeof LEGACY_OIDS, string>>;

/** Who signed, as the Fulcio certificate says. Everything here comes from signed bytes. */
export interface SignerIdentity {
  /** The SAN: a URI, an email address, or an otherName username. */
  subject: string;
  issuer: string;
  claims: CertificateClaims;
}

const SAN_OTHERNAME_OID = '1.3.6.1.4.1.57264.1.7';

export function signerIdentityFromCertificate(certificate: X509Certificate): SignerIdentity {
  const san = certificate.extSubjectAltName;
  const subject = san?.uri ?? san?.rfc822Name ?? san?.otherName(SAN_OTHERNAME_OID);
  if (!subject) fail('CERTIFICATE_ERROR', 'signing certificate has no subject alternative name');
  const claims: CertificateClaims = {};
  for (const [name, arc] of Object.entries(LEGACY_OIDS)) {
    const extension = certificate.extension(`${FULCIO_OID}.${arc}`);
    if (extension) claims[name as keyof CertificateClaims] = extension.value.toString('utf8');
  }
  for (const [name, arc] of Object.entries(CLAIM_OIDS)) {
    const extension = certificate.extension(`${FULCIO_OID}.${arc}`);
    if (extension) claims[name as keyof CertificateClaims] = decodeUTF8String(extension.value, arc);
  }
  const issuer = claims.issuer;
  if (!issuer) fail('CERTIFICATE_ERROR', 'signing certificate names no OIDC issuer');
  return { subject, issuer, claims };
}

function decodeUTF8String(der: Buffer, arc: number): string {
  try {
    const value = ASN1Obj.parseBuffer(der as Buffer<ArrayBuffer>);
    if (value.tag.isUniversal() && value.tag.number === 0x0c && !value.tag.constructed) return value.value.toString('utf8');
  } catch {
    // reported below
  }
  fail('CERTIFICATE_ERROR', `certificate extension ${FULCIO_OID}.${arc} is not a DER UTF8String`);
}
