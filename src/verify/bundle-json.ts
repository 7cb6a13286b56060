import { checkBase64, decodePaddedBase64, isObject, JsonShapeError } from '../trust/json-fields.js';
import { fail } from './errors.js';
import type { DigestAlgorithm, InclusionProof, TransparencyLogEntry } from './bundle.types.js';

/**
 * A bundle's JSON, read as `@sigstore/bundle`'s `bundleFromJSON` reads it (the protobuf-specs JSON
 * reader: absent or null fields take their defaults, a oneof takes its first field that is set,
 * scalars become strings), except that every base64 field must be strict base64. Nothing is
 * validated yet (see bundle-validation.ts).
 */
export interface BundleJSON {
  content?: MessageSignatureJSON | DsseEnvelopeJSON;
  verificationMaterial?: {
    content?: { kind: 'publicKey'; hint: string } | { kind: 'certificate'; rawBytes: Buffer } | { kind: 'x509CertificateChain'; certificates: Buffer[] };
    tlogEntries: TransparencyLogEntry[];
    rfc3161Timestamps: Buffer[];
  };
}

export interface MessageSignatureJSON {
  kind: 'messageSignature';
  messageDigest?: {
    /** Undefined for an algorithm the protobuf enum names but pkgseal does not verify. */
    algorithm: DigestAlgorithm | undefined;
    digest: Buffer;
  };
  signature: Buffer;
}

export interface DsseEnvelopeJSON {
  kind: 'dsseEnvelope';
  payload: Buffer;
  payloadType: string;
  signatures: Buffer[];
}

/** HashAlgorithm as its JSON may name it (name or number); SHA3 and UNSPECIFIED are known but unsupported. */
const HASH_ALGORITHMS = new Map<unknown, DigestAlgorithm | undefined>([
  [0, undefined],
  ['HASH_ALGORITHM_UNSPECIFIED', undefined],
  [1, 'sha256'],
  ['SHA2_256', 'sha256'],
  [2, 'sha384'],
  ['SHA2_384', 'sha384'],
  [3, 'sha512'],
  ['SHA2_512', 'sha512'],
  [4, undefined],
  ['SHA3_256', undefined],
  [5, undefined],
  ['SHA3_384', undefined],
]);

/** 3 MiB decoded: far beyond any real bundle field (a provenance statement is tens of KiB). */
const MAX_BASE64_FIELD_CHARS = 4 * 1024 * 1024;

/** A JSON value read as a message: any value, whose absent fields read as undefined. */
type JsonLike = Record<string, unknown>;

/** Reads a bundle document. Throws VerificationError (BUNDLE_PARSE_ERROR). */
export function readBundleJSON(document: JsonLike): BundleJSON {
  checkSkippedBase64(document);
  return {
    verificationMaterial: isSet(document.verificationMaterial) ? readVerificationMaterial(document.verificationMaterial as JsonLike) : undefined,
    content: isSet(document.messageSignature)
      ? readMessageSignature(document.messageSignature as JsonLike)
      : isSet(document.dsseEnvelope)
        ? readDsseEnvelope(document.dsseEnvelope as JsonLike)
        : undefined,
  };
}

function readVerificationMaterial(material: JsonLike): NonNullable<BundleJSON['verificationMaterial']> {
  const timestamps = material.timestampVerificationData as JsonLike;
  return {
    content: readSigningMaterial(material),
    tlogEntries: list(material.tlogEntries, 'verificationMaterial.tlogEntries', readTLogEntry),
    rfc3161Timestamps: isSet(timestamps)
      ? list(timestamps.rfc3161Timestamps, 'verificationMaterial.timestampVerificationData.rfc3161Timestamps', (timestamp, path) => bytes(timestamp.signedTimestamp, path, 'signedTimestamp'))
      : [],
  };
}

function readSigningMaterial(material: JsonLike): NonNullable<BundleJSON['verificationMaterial']>['content'] {
  if (isSet(material.publicKey)) return { kind: 'publicKey', hint: string((material.publicKey as JsonLike).hint, '') };
  if (isSet(material.x509CertificateChain)) {
    const path = 'verificationMaterial.x509CertificateChain.certificates';
    return { kind: 'x509CertificateChain', certificates: list((material.x509CertificateChain as JsonLike).certificates, path, (certificate, at) => bytes(certificate.rawBytes, at, 'rawBytes')) };
  }
  if (isSet(material.certificate)) return { kind: 'certificate', rawBytes: bytes((material.certificate as JsonLike).rawBytes, 'verificationMaterial.certificate', 'rawBytes') };
  return undefined;
}

function readMessageSignature(message: JsonLike): MessageSignatureJSON {
  const digest = message.messageDigest as JsonLike;
  return {
    kind: 'messageSignature',
    messageDigest: isSet(digest) ? { algorithm: hashAlgorithm(digest.algorithm), digest: bytes(digest.digest, 'messageSignature.messageDigest', 'digest') } : undefined,
    signature: bytes(message.signature, 'messageSignature', 'signature'),
  };
}

function hashAlgorithm(value: unknown): DigestAlgorithm | undefined {
  const algorithm = isSet(value) ? value : 0;
  if (!HASH_ALGORITHMS.has(algorithm)) fail('BUNDLE_PARSE_ERROR', `malformed bundle: Unrecognized enum value ${String(algorithm)} for enum HashAlgorithm`);
  return HASH_ALGORITHMS.get(algorithm);
}

function readDsseEnvelope(envelope: JsonLike): DsseEnvelopeJSON {
  return {
    kind: 'dsseEnvelope',
    payload: bytes(envelope.payload, 'dsseEnvelope', 'payload'),
    payloadType: string(envelope.payloadType, ''),
    signatures: list(envelope.signatures, 'dsseEnvelope.signatures', (signature, path) => bytes(signature.sig, path, 'sig')),
  };
}

function readTLogEntry(entry: JsonLike, path: string): TransparencyLogEntry {
  const { logId, kindVersion, inclusionPromise, inclusionProof } = entry as Record<string, JsonLike>;
  return {
    logIndex: string(entry.logIndex, '0'),
    logId: isSet(logId) ? { keyId: bytes(logId!.keyId, path, 'logId.keyId') } : undefined,
    kindVersion: isSet(kindVersion) ? { kind: string(kindVersion!.kind, ''), version: string(kindVersion!.version, '') } : undefined,
    integratedTime: string(entry.integratedTime, '0'),
    inclusionPromise: isSet(inclusionPromise) ? { signedEntryTimestamp: bytes(inclusionPromise!.signedEntryTimestamp, path, 'inclusionPromise.signedEntryTimestamp') } : undefined,
    inclusionProof: isSet(inclusionProof) ? readInclusionProof(inclusionProof!, `${path}.inclusionProof`) : undefined,
    canonicalizedBody: bytes(entry.canonicalizedBody, path, 'canonicalizedBody'),
  };
}

function readInclusionProof(proof: JsonLike, path: string): InclusionProof {
  return {
    logIndex: string(proof.logIndex, '0'),
    rootHash: bytes(proof.rootHash, path, 'rootHash'),
    treeSize: string(proof.treeSize, '0'),
    hashes: Array.isArray(proof.hashes) ? proof.hashes.map((hash: unknown, i) => bytes(hash, path, `hashes[${i}]`)) : [],
    checkpoint: isSet(proof.checkpoint) ? { envelope: string((proof.checkpoint as JsonLike).envelope, '') } : undefined,
  };
}

function isSet(value: unknown): boolean {
  return value !== null && value !== undefined;
}

function string(value: unknown, unset: string): string {
  return isSet(value) ? String(value) : unset;
}

/** A repeated message field: [] unless an array; a null element is an error, as there. */
function list<T>(value: unknown, path: string, read: (element: JsonLike, path: string) => T): T[] {
  if (!Array.isArray(value)) return [];
  return value.map((element: unknown, i) => {
    if (!isSet(element)) fail('BUNDLE_PARSE_ERROR', `malformed bundle: ${path}[${i}] is ${String(element)}`);
    return read(element as JsonLike, `${path}[${i}]`);
  });
}

/**
 * A bytes field. The protobuf reader decodes base64 leniently (it drops characters it does not
 * know), so a corrupted signature could decode to something else: a field that is present must
 * be strict base64 (null included), and is then decoded as that reader decodes it.
 */
function bytes(value: unknown, parent: string, field: string): Buffer {
  if (value === undefined) return EMPTY;
  const decoded = typeof value === 'string' && value.length <= MAX_BASE64_FIELD_CHARS ? decodePaddedBase64(value) : undefined;
  if (decoded) return decoded;
  checkStrictBase64(value, `${parent}.${field}`);
  return Buffer.from(value as string, 'base64');
}

function checkStrictBase64(value: unknown, path: string): void {
  try {
    checkBase64(value, path);
  } catch (error) {
    if (error instanceof JsonShapeError) fail('BUNDLE_PARSE_ERROR', error.message);
    throw error;
  }
  if (String(value).length > MAX_BASE64_FIELD_CHARS) fail('BUNDLE_PARSE_ERROR', `${path}: too large to check as base64 (${String(value).length} characters)`);
}

/**
 * The reader skips a oneof's later fields once one is set (a message signature over a DSSE
 * envelope, a public key over certificates); their base64 must still be strict.
 */
function checkSkippedBase64(document: JsonLike): void {
  if (isSet(document.messageSignature) && isObject(document.dsseEnvelope)) {
    const envelope = document.dsseEnvelope;
    if (envelope.payload !== undefined) checkStrictBase64(envelope.payload, 'dsseEnvelope.payload');
    eachObject(envelope.signatures, (signature, i) => {
      if (signature.sig !== undefined) checkStrictBase64(signature.sig, `dsseEnvelope.signatures[${i}].sig`);
    });
  }
  const material = document.verificationMaterial;
  if (!isObject(material) || (!isSet(material.publicKey) && !isSet(material.x509CertificateChain))) return;
  if (isSet(material.publicKey) && isObject(material.x509CertificateChain)) {
    eachObject(material.x509CertificateChain.certificates, (certificate, i) => {
      if (certificate.rawBytes !== undefined) checkStrictBase64(certificate.rawBytes, `verificationMaterial.x509CertificateChain.certificates[${i}].rawBytes`);
    });
  }
  if (isObject(material.certificate) && material.certificate.rawBytes !== undefined) {
    checkStrictBase64(material.certificate.rawBytes, 'verificationMaterial.certificate.rawBytes');
  }
}

function eachObject(value: unknown, visit: (item: JsonLike, i: number) => void): void {
  if (Array.isArray(value)) value.forEach((item: unknown, i) => isObject(item) && visit(item, i));
}

const EMPTY = Buffer.alloc(0);
