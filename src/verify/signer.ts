import { ASN1Obj, type X509Certificate } from '@sigstore/core';
import { encodeDER } from './der.js';
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

/**
 * Fulcio certificate extensions by name (`sourceRepositoryURI`, `buildConfigURI`,
 * `runnerEnvironment`, ..., and the deprecated `githubWorkflow*`), as the certificate encodes them.
 * @example
 * ```ts
 * import type { CertificateClaims } from 'pkgseal';
 *
 * const builtOnHostedRunner = (claims: CertificateClaims): boolean => claims.runnerEnvironment === 'github-hosted';
 * ```
 */
export type CertificateClaims = Partial<Record<keyof typeof CLAIM_OIDS | keyof typeof LEGACY_OIDS, string>>;

/**
 * Who signed, as the Fulcio certificate says. Everything here comes from signed bytes.
 * @example
 * ```ts
 * import type { SignerIdentity } from 'pkgseal';
 *
 * const signedInGithubActions = (signer: SignerIdentity): boolean => signer.issuer === 'https://token.actions.githubusercontent.com';
 * ```
 */
export interface SignerIdentity {
  /** The SAN: a URI, an email address, or an otherName username. */
  subject: string;
  issuer: string;
  claims: CertificateClaims;
}

const SAN_OTHERNAME_OID = '1.3.6.1.4.1.57264.1.7';
const SAN_OID = '2.5.29.17';

/**
 * Reads who signed from a Fulcio certificate: the SAN, the OIDC issuer and every Fulcio claim
 * extension (OIDs 1.3.6.1.4.1.57264.1.1–.23). Throws VerificationError when the SAN or issuer is
 * missing or an extension is not encoded as Fulcio encodes it. It does not check the chain.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { X509Certificate } from '@sigstore/core';
 * import { signerIdentityFromCertificate } from 'pkgseal';
 *
 * const identity = signerIdentityFromCertificate(X509Certificate.parse(readFileSync('signing-cert.pem', 'utf8')));
 * console.log(identity.subject, identity.issuer, identity.claims.sourceRepositoryURI);
 * ```
 */
export function signerIdentityFromCertificate(certificate: X509Certificate): SignerIdentity {
  const extensions = extensionsByOID(certificate);
  const subject = subjectAlternativeName(extensions.get(SAN_OID));
  const claims: CertificateClaims = {};
  for (const [name, arc] of Object.entries(LEGACY_OIDS)) {
    const extension = extensions.get(`${FULCIO_OID}.${arc}`);
    if (extension) claims[name as keyof CertificateClaims] = extensionValue(extension).value.toString('utf8');
  }
  for (const [name, arc] of Object.entries(CLAIM_OIDS)) {
    const extension = extensions.get(`${FULCIO_OID}.${arc}`);
    if (extension) claims[name as keyof CertificateClaims] = decodeUTF8String(extensionValue(extension).value, arc);
  }
  const issuer = claims.issuer;
  if (!issuer) fail('CERTIFICATE_ERROR', 'signing certificate names no OIDC issuer');
  return { subject, issuer, claims };
}

/**
 * The certificate's extensions by OID, read once. RFC 5280 allows each extension once; a reader
 * that takes the first and one that takes the last would see different signers.
 */
function extensionsByOID(certificate: X509Certificate): Map<string, ASN1Obj> {
  const byOID = new Map<string, ASN1Obj>();
  for (const extension of certificate.extensions) {
    // The library's own lookup throws on an extension without an OID; so does this.
    const oid = extension.subs[0]?.toOID();
    if (oid === undefined) fail('CERTIFICATE_ERROR', 'signing certificate has an extension without an OID');
    if (byOID.has(oid)) fail('CERTIFICATE_ERROR', `signing certificate has extension ${oid} more than once`);
    byOID.set(oid, extension);
  }
  return byOID;
}

/** extnValue, the last field of an Extension (after extnID and the optional critical flag). */
function extensionValue(extension: ASN1Obj): ASN1Obj {
  return extension.subs[extension.subs.length - 1]!;
}

/**
 * The one SAN Fulcio writes: a URI, an e-mail address or a username otherName. Read strictly: the
 * library decodes it as 7-bit ASCII, which drops the high bit of every other byte, so
 * `https://\xe7ithub.com/…` would read as `https://github.com/…`.
 */
function subjectAlternativeName(san: ASN1Obj | undefined): string {
  if (!san) fail('CERTIFICATE_ERROR', 'signing certificate has no subject alternative name');
  let names: ASN1Obj[];
  try {
    names = extensionValue(san).subs[0]?.subs ?? [];
  } catch {
    fail('CERTIFICATE_ERROR', 'signing certificate has a malformed subject alternative name');
  }
  if (names.length !== 1) fail('CERTIFICATE_ERROR', `signing certificate has ${names.length} subject alternative names; Fulcio issues exactly one`);
  const [name] = names as [ASN1Obj];
  if (name.tag.isContextSpecific(URI_TAG) || name.tag.isContextSpecific(RFC822_TAG)) return printable(name.value);
  if (name.tag.isContextSpecific(OTHER_NAME_TAG) && name.subs[0]?.toOID() === SAN_OTHERNAME_OID) {
    const value = name.subs[1]?.subs[0];
    if (value && value.tag.isUniversal() && value.tag.number === UTF8_STRING && !value.tag.constructed) return printable(Buffer.from(strictUTF8(value.value), 'utf8'));
  }
  fail('CERTIFICATE_ERROR', 'signing certificate has no URI, e-mail or username subject alternative name');
}

const OTHER_NAME_TAG = 0x00;
const RFC822_TAG = 0x01;
const URI_TAG = 0x06;
const UTF8_STRING = 0x0c;

function printable(bytes: Buffer): string {
  if (bytes.length === 0 || !bytes.every((byte) => byte >= 0x20 && byte < 0x7f)) {
    fail('CERTIFICATE_ERROR', 'signing certificate subject alternative name is not printable ASCII');
  }
  return bytes.toString('ascii');
}

function decodeUTF8String(der: Buffer, arc: number): string {
  let value: ASN1Obj | undefined;
  try {
    value = ASN1Obj.parseBuffer(der as Buffer<ArrayBuffer>);
  } catch {
    // reported below
  }
  // Exactly one UTF8String: trailing bytes are something a stricter reader would refuse.
  if (!value || !value.tag.isUniversal() || value.tag.number !== UTF8_STRING || value.tag.constructed || !encodeDER(value).equals(der)) {
    fail('CERTIFICATE_ERROR', `certificate extension ${FULCIO_OID}.${arc} is not a DER UTF8String`);
  }
  return strictUTF8(value.value);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Invalid UTF-8 would decode to U+FFFD, which a `*` in a policy glob matches. */
function strictUTF8(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    fail('CERTIFICATE_ERROR', 'signing certificate has text that is not valid UTF-8');
  }
}
