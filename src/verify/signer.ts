import { isAscii } from 'node:buffer';
import { fail } from './errors.js';
import type { Certificate, CertificateExtension } from './x509/certificate.js';
import { childrenOf, readDER, TAG, type DERElement } from './x509/der-reader.js';
import { decodeOID } from './x509/der-values.js';

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

/** Every claim extension, legacy ones first (a later claim of the same name wins), by OID. */
const CLAIM_EXTENSIONS = [
  ...Object.entries(LEGACY_OIDS).map(([name, arc]) => ({ name, arc, legacy: true })),
  ...Object.entries(CLAIM_OIDS).map(([name, arc]) => ({ name, arc, legacy: false })),
].map(({ name, arc, legacy }) => ({ name: name as keyof CertificateClaims, oid: `${FULCIO_OID}.${arc}`, legacy }));

const SAN_OTHERNAME_OID = '1.3.6.1.4.1.57264.1.7';
const SAN_OID = '2.5.29.17';

/**
 * Reads who signed from a Fulcio certificate: the SAN, the OIDC issuer and every Fulcio claim
 * extension (OIDs 1.3.6.1.4.1.57264.1.1–.23). Throws VerificationError when the SAN or issuer is
 * missing or an extension is not encoded as Fulcio encodes it. It does not check the chain.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseCertificate, signerIdentityFromCertificate } from 'pkgseal';
 *
 * const identity = signerIdentityFromCertificate(parseCertificate(readFileSync('signing-cert.der')));
 * console.log(identity.subject, identity.issuer, identity.claims.sourceRepositoryURI);
 * ```
 */
export function signerIdentityFromCertificate(certificate: Certificate): SignerIdentity {
  const extensions = extensionsByOID(certificate);
  const subject = subjectAlternativeName(extensions.get(SAN_OID));
  const claims: CertificateClaims = {};
  for (const { name, oid, legacy } of CLAIM_EXTENSIONS) {
    const extension = extensions.get(oid);
    if (extension) claims[name] = legacy ? extension.value.toString('utf8') : decodeUTF8String(extension.value, oid);
  }
  const issuer = claims.issuer;
  if (!issuer) fail('CERTIFICATE_ERROR', 'signing certificate names no OIDC issuer');
  return { subject, issuer, claims };
}

/**
 * The certificate's extensions by OID. RFC 5280 allows each extension once; a reader that takes
 * the first and one that takes the last would see different signers.
 */
function extensionsByOID(certificate: Certificate): Map<string, CertificateExtension> {
  const byOID = new Map<string, CertificateExtension>();
  for (const extension of certificate.extensions) {
    if (byOID.has(extension.oid)) fail('CERTIFICATE_ERROR', `signing certificate has extension ${extension.oid} more than once`);
    byOID.set(extension.oid, extension);
  }
  return byOID;
}

/**
 * The one SAN Fulcio writes: a URI, an e-mail address or a username otherName. Read strictly: a
 * reader that decodes it as 7-bit ASCII drops the high bit of every other byte, so
 * `https://\xe7ithub.com/…` would read as `https://github.com/…`.
 */
function subjectAlternativeName(san: CertificateExtension | undefined): string {
  if (!san) fail('CERTIFICATE_ERROR', 'signing certificate has no subject alternative name');
  let names: DERElement[];
  try {
    const generalNames = readDER(san.value);
    if (generalNames.tag !== TAG.SEQUENCE) throw new Error('not a SEQUENCE');
    names = childrenOf(generalNames);
  } catch {
    fail('CERTIFICATE_ERROR', 'signing certificate has a malformed subject alternative name');
  }
  if (names.length !== 1) fail('CERTIFICATE_ERROR', `signing certificate has ${names.length} subject alternative names; Fulcio issues exactly one`);
  const [name] = names as [DERElement];
  if (name.tag === URI_NAME || name.tag === RFC822_NAME) return printable(name.content);
  const username = name.tag === OTHER_NAME ? fulcioUsername(name) : undefined;
  if (username) return printable(Buffer.from(strictUTF8(username.content), 'utf8'));
  fail('CERTIFICATE_ERROR', 'signing certificate has no URI, e-mail or username subject alternative name');
}

/** The UTF8String of Fulcio's username otherName; undefined for any other otherName. */
function fulcioUsername(otherName: DERElement): DERElement | undefined {
  try {
    const [typeID, explicitValue] = childrenOf(otherName);
    if (typeID?.tag !== TAG.OID || decodeOID(typeID) !== SAN_OTHERNAME_OID || explicitValue?.tag !== EXPLICIT_VALUE) return undefined;
    const value = childrenOf(explicitValue)[0];
    return value?.tag === TAG.UTF8_STRING ? value : undefined;
  } catch {
    return undefined;
  }
}

/** GeneralName choices (RFC 5280 §4.2.1.6): otherName [0] is constructed, the strings primitive. */
const OTHER_NAME = 0xa0;
const RFC822_NAME = 0x81;
const URI_NAME = 0x86;
const EXPLICIT_VALUE = 0xa0;

function printable(bytes: Buffer): string {
  let printableASCII = bytes.length > 0;
  for (let i = 0; i < bytes.length && printableASCII; i++) printableASCII = bytes[i]! >= 0x20 && bytes[i]! < 0x7f;
  if (!printableASCII) fail('CERTIFICATE_ERROR', 'signing certificate subject alternative name is not printable ASCII');
  return bytes.toString('latin1');
}

/** Exactly one DER UTF8String: trailing bytes or BER are something a stricter reader would refuse. */
function decodeUTF8String(der: Buffer, oid: string): string {
  let value: DERElement | undefined;
  try {
    value = readDER(der);
  } catch {
    // reported below
  }
  if (value?.tag !== TAG.UTF8_STRING) fail('CERTIFICATE_ERROR', `certificate extension ${oid} is not a DER UTF8String`);
  return strictUTF8(value.content);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Invalid UTF-8 would decode to U+FFFD, which a `*` in a policy glob matches. */
function strictUTF8(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  try {
    return UTF8.decode(bytes);
  } catch {
    fail('CERTIFICATE_ERROR', 'signing certificate has text that is not valid UTF-8');
  }
}
