import { childrenOf, DERError, expectTag, readDER, TAG, type DERElement } from './der-reader.js';
import { decodeBoolean, decodeOID, decodeTime } from './der-values.js';

/**
 * An X.509 certificate as pkgseal reads it: every field is a view of the exact DER it was parsed
 * from, so what is verified and compared is what was signed.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseCertificate, type Certificate } from 'pkgseal';
 *
 * const certificate: Certificate = parseCertificate(readFileSync('signing-cert.der'));
 * console.log(certificate.serialNumber.toString('hex'), certificate.notAfter.toISOString());
 * ```
 */
export interface Certificate {
  /** The certificate's DER: exactly the bytes it was parsed from. */
  readonly der: Buffer;
  /** TBSCertificate, the signed part. */
  readonly tbsCertificate: DERElement;
  /** The digest `crypto.verify` uses for the signature algorithm (as @sigstore/core maps it); undefined for any other algorithm. */
  readonly signatureAlgorithm: string | undefined;
  readonly signatureValue: Buffer;
  /** The serialNumber INTEGER's content bytes. */
  readonly serialNumber: Buffer;
  /** The issuer Name's DER. */
  readonly issuer: Buffer;
  /** The subject Name's DER. */
  readonly subject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly extensions: readonly CertificateExtension[];
  /** The [3] element that holds the extensions, when there are any. */
  readonly extensionsElement: DERElement | undefined;
}

/** One Extension: its OID, criticality and extnValue's content. */
export class CertificateExtension {
  constructor(
    readonly oid: string,
    readonly critical: boolean,
    /** The extnValue OCTET STRING. */
    readonly valueElement: DERElement,
    /** The whole Extension. */
    readonly element: DERElement,
  ) {}

  /** The DER-encoded value the extension's OCTET STRING holds. */
  get value(): Buffer {
    return this.valueElement.content;
  }
}

/** The ECDSA and RSA PKCS#1 v1.5 signature algorithms, by OID: the digest `crypto.verify` takes. */
const SIGNATURE_DIGESTS: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const VERSION_TAG = 0xa0;
const ISSUER_UNIQUE_ID_TAG = 0x81;
const SUBJECT_UNIQUE_ID_TAG = 0x82;
const EXTENSIONS_TAG = 0xa3;

/**
 * Parses exactly one DER-encoded X.509 certificate with a version field (v2 or v3, RFC 5280
 * §4.1). Throws DERError for anything else: BER, bytes after the certificate, or fields missing,
 * misplaced or mistyped.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseCertificate, signerIdentityFromCertificate } from 'pkgseal';
 *
 * const identity = signerIdentityFromCertificate(parseCertificate(readFileSync('signing-cert.der')));
 * console.log(identity.subject, identity.issuer);
 * ```
 */
export function parseCertificate(der: Buffer): Certificate {
  const root = expectTag(readDER(der), TAG.SEQUENCE, 'Certificate');
  const [tbsCertificate, signatureAlgorithm, signatureValue, ...extra] = childrenOf(root);
  if (extra.length > 0) throw new DERError('unexpected-structure', 'Certificate has more than three fields');
  expectTag(tbsCertificate, TAG.SEQUENCE, 'tbsCertificate');
  const algorithm = decodeOID(expectTag(childrenOf(expectTag(signatureAlgorithm, TAG.SEQUENCE, 'signatureAlgorithm'))[0], TAG.OID, 'signatureAlgorithm OID'));
  const signatureBits = expectTag(signatureValue, TAG.BIT_STRING, 'signatureValue').content;
  if (signatureBits[0] !== 0) throw new DERError('unexpected-structure', 'signatureValue is not a whole number of bytes');

  const fields = childrenOf(tbsCertificate!);
  const [version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo] = fields;
  const [versionNumber, ...afterVersion] = childrenOf(expectTag(version, VERSION_TAG, 'version'));
  if (afterVersion.length > 0) throw new DERError('unexpected-structure', 'version holds more than one element');
  expectTag(versionNumber, TAG.INTEGER, 'version number');
  expectTag(signature, TAG.SEQUENCE, 'tbsCertificate signature');
  const [notBefore, notAfter, ...moreTimes] = childrenOf(expectTag(validity, TAG.SEQUENCE, 'validity'));
  if (!notBefore || !notAfter || moreTimes.length > 0) throw new DERError('unexpected-structure', 'validity must hold exactly two times');
  const extensionsElement = optionalFields(fields.slice(7));
  return {
    der,
    tbsCertificate: tbsCertificate!,
    signatureAlgorithm: SIGNATURE_DIGESTS[algorithm],
    signatureValue: signatureBits.subarray(1),
    serialNumber: expectTag(serialNumber, TAG.INTEGER, 'serialNumber').content,
    issuer: expectTag(issuer, TAG.SEQUENCE, 'issuer').bytes,
    subject: expectTag(subject, TAG.SEQUENCE, 'subject').bytes,
    notBefore: decodeTime(notBefore),
    notAfter: decodeTime(notAfter),
    subjectPublicKeyInfo: expectTag(subjectPublicKeyInfo, TAG.SEQUENCE, 'subjectPublicKeyInfo').bytes,
    extensions: extensionsElement ? readExtensions(extensionsElement) : [],
    extensionsElement,
  };
}

/** issuerUniqueID, subjectUniqueID and extensions: each optional, in this order. Returns extensions. */
function optionalFields(fields: DERElement[]): DERElement | undefined {
  const order = [ISSUER_UNIQUE_ID_TAG, SUBJECT_UNIQUE_ID_TAG, EXTENSIONS_TAG];
  let next = 0;
  for (const field of fields) {
    const position = order.indexOf(field.tag, next);
    if (position < 0) throw new DERError('unexpected-structure', `unexpected tbsCertificate field with tag 0x${field.tag.toString(16)}`);
    next = position + 1;
  }
  return fields.find((field) => field.tag === EXTENSIONS_TAG);
}

function readExtensions(holder: DERElement): CertificateExtension[] {
  const [list, ...extra] = childrenOf(holder);
  if (extra.length > 0) throw new DERError('unexpected-structure', 'extensions [3] holds more than one element');
  return childrenOf(expectTag(list, TAG.SEQUENCE, 'extensions')).map((element, i) => {
    const parts = element.tag === TAG.SEQUENCE ? childrenOf(element) : [];
    const [id, criticality] = parts;
    const value = parts[parts.length - 1];
    if (parts.length < 2 || parts.length > 3 || id!.tag !== TAG.OID || value!.tag !== TAG.OCTET_STRING) {
      throw new DERError('unexpected-structure', `extension ${i} is not SEQUENCE { OBJECT IDENTIFIER, [BOOLEAN,] OCTET STRING }`);
    }
    return new CertificateExtension(decodeOID(id!), parts.length === 3 && decodeBoolean(criticality!), value!, element);
  });
}

/** The first extension with `oid` (RFC 5280 allows one; readers of identity reject a second). */
export function findExtension(certificate: Certificate, oid: string): CertificateExtension | undefined {
  return certificate.extensions.find((extension) => extension.oid === oid);
}

/** Whether `time` is within the certificate's validity period, both ends included. */
export function isValidAt(certificate: Certificate, time: Date): boolean {
  return certificate.notBefore <= time && time <= certificate.notAfter;
}
