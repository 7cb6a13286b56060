/**
 * The bundle parser pkgseal used before it read bundle JSON itself (@sigstore/bundle's
 * `bundleFromJSON`, @sigstore/core's certificate parser and a re-encoding check), kept as the
 * reference the current parser must agree with on what it accepts and rejects.
 */
import { bundleFromJSON, ValidationError, type Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { checkBase64, isObject, JsonShapeError } from '../../src/trust/json-fields.js';
import { fail } from '../../src/verify/errors.js';

const MEDIA_TYPE_VERSIONS: Readonly<Record<string, string>> = {
  'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json': '0.3',
};
const DIGEST_ALGORITHMS: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};
const MAX_BASE64_FIELD_CHARS = 4 * 1024 * 1024;

/** What the former parser returned, with certificates as their DER. */
export interface FormerParsedBundle {
  version: string;
  mediaType: string;
  content: { kind: 'message'; signature: Buffer; digestAlgorithm: string; digest: Buffer } | { kind: 'dsse'; payloadType: string; payload: Buffer; signature: Buffer };
  material: { kind: 'certificate'; chain: Buffer[] } | { kind: 'publicKey'; hint: string };
  tlogEntries: Bundle['verificationMaterial']['tlogEntries'];
  rfc3161Timestamps: Buffer[];
}

export function formerParseBundle(document: unknown): FormerParsedBundle {
  if (!isObject(document)) fail('BUNDLE_PARSE_ERROR', 'bundle is not a JSON object');
  const mediaType = typeof document.mediaType === 'string' ? document.mediaType : '';
  const version = MEDIA_TYPE_VERSIONS[mediaType];
  if (version === undefined) fail('BUNDLE_UNSUPPORTED', `unsupported bundle media type "${mediaType}"`);
  assertStrictBase64(document);
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(document);
  } catch (error) {
    if (error instanceof ValidationError) fail('BUNDLE_PARSE_ERROR', `${error.message}: bad or missing ${error.fields?.join(', ') ?? 'fields'}`);
    fail('BUNDLE_PARSE_ERROR', `malformed bundle: ${(error as Error).message}`);
  }
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const numbers = [entry.logIndex, entry.integratedTime, ...(entry.inclusionProof ? [entry.inclusionProof.logIndex, entry.inclusionProof.treeSize] : [])];
    if (numbers.some((value) => !/^\d+$/.test(value))) fail('BUNDLE_PARSE_ERROR', 'invalid number in a tlog entry');
  }
  return {
    version,
    mediaType,
    content: content(bundle),
    material: material(bundle, version),
    tlogEntries: bundle.verificationMaterial.tlogEntries,
    rfc3161Timestamps: (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((ts) => Buffer.from(ts.signedTimestamp)),
  };
}

function content(bundle: Bundle): FormerParsedBundle['content'] {
  if (bundle.content.$case === 'messageSignature') {
    const { messageDigest, signature } = bundle.content.messageSignature;
    const digestAlgorithm = messageDigest ? DIGEST_ALGORITHMS[messageDigest.algorithm] : undefined;
    if (!messageDigest || digestAlgorithm === undefined) fail('BUNDLE_UNSUPPORTED', 'unsupported message digest algorithm');
    return { kind: 'message', signature: Buffer.from(signature), digestAlgorithm, digest: Buffer.from(messageDigest.digest) };
  }
  const envelope = bundle.content.dsseEnvelope;
  const [signature, ...others] = envelope.signatures;
  if (!signature || others.length > 0) fail('BUNDLE_PARSE_ERROR', 'DSSE envelope must carry exactly one signature');
  return { kind: 'dsse', payloadType: envelope.payloadType, payload: Buffer.from(envelope.payload), signature: Buffer.from(signature.sig) };
}

function material(bundle: Bundle, version: string): FormerParsedBundle['material'] {
  const verificationMaterial = bundle.verificationMaterial.content;
  switch (verificationMaterial.$case) {
    case 'publicKey':
      return { kind: 'publicKey', hint: verificationMaterial.publicKey.hint };
    case 'certificate':
      if (version !== '0.3') fail('BUNDLE_PARSE_ERROR', 'a single certificate in an older bundle');
      return { kind: 'certificate', chain: certificates([verificationMaterial.certificate.rawBytes]) };
    case 'x509CertificateChain':
      if (version === '0.3') fail('BUNDLE_PARSE_ERROR', 'a chain in a v0.3 bundle');
      return { kind: 'certificate', chain: certificates(verificationMaterial.x509CertificateChain.certificates.map((certificate) => certificate.rawBytes)) };
  }
}

function certificates(rawCertificates: Uint8Array[]): Buffer[] {
  const chain = rawCertificates.map((raw, i) => {
    let certificate: X509Certificate;
    try {
      certificate = X509Certificate.parse(Buffer.from(raw));
    } catch (error) {
      fail('BUNDLE_PARSE_ERROR', `certificate ${i} is not valid X.509 (${(error as Error).message})`);
    }
    if (!Buffer.from(certificate.root.toDER()).equals(raw)) fail('BUNDLE_PARSE_ERROR', `certificate ${i} is not exactly one DER-encoded certificate`);
    return Buffer.from(raw);
  });
  if (chain.length === 0) fail('BUNDLE_PARSE_ERROR', 'empty certificate chain');
  return chain;
}

function assertStrictBase64(document: Record<string, unknown>): void {
  const fields: Array<[unknown, string]> = [];
  const add = (value: unknown, path: string) => {
    if (value !== undefined) fields.push([value, path]);
  };
  const at = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined);
  const each = (value: unknown, visit: (item: unknown, i: number) => void) => {
    if (Array.isArray(value)) value.forEach(visit);
  };
  const messageSignature = at(document, 'messageSignature');
  add(at(messageSignature, 'signature'), 'messageSignature.signature');
  add(at(at(messageSignature, 'messageDigest'), 'digest'), 'messageSignature.messageDigest.digest');
  const envelope = at(document, 'dsseEnvelope');
  add(at(envelope, 'payload'), 'dsseEnvelope.payload');
  each(at(envelope, 'signatures'), (sig, i) => add(at(sig, 'sig'), `dsseEnvelope.signatures[${i}].sig`));
  const verificationMaterial = at(document, 'verificationMaterial');
  add(at(at(verificationMaterial, 'certificate'), 'rawBytes'), 'verificationMaterial.certificate.rawBytes');
  each(at(at(verificationMaterial, 'x509CertificateChain'), 'certificates'), (cert, i) => add(at(cert, 'rawBytes'), `certificates[${i}].rawBytes`));
  each(at(verificationMaterial, 'tlogEntries'), (entry, i) => {
    const path = `verificationMaterial.tlogEntries[${i}]`;
    add(at(at(entry, 'logId'), 'keyId'), `${path}.logId.keyId`);
    add(at(entry, 'canonicalizedBody'), `${path}.canonicalizedBody`);
    add(at(at(entry, 'inclusionPromise'), 'signedEntryTimestamp'), `${path}.inclusionPromise.signedEntryTimestamp`);
    const proof = at(entry, 'inclusionProof');
    add(at(proof, 'rootHash'), `${path}.inclusionProof.rootHash`);
    each(at(proof, 'hashes'), (hash, j) => add(hash, `${path}.inclusionProof.hashes[${j}]`));
  });
  each(at(at(verificationMaterial, 'timestampVerificationData'), 'rfc3161Timestamps'), (ts, i) => add(at(ts, 'signedTimestamp'), `rfc3161Timestamps[${i}].signedTimestamp`));
  for (const [value, path] of fields) {
    try {
      checkBase64(value, path);
    } catch (error) {
      if (error instanceof JsonShapeError) fail('BUNDLE_PARSE_ERROR', error.message);
      throw error;
    }
    if (String(value).length > MAX_BASE64_FIELD_CHARS) fail('BUNDLE_PARSE_ERROR', `${path}: too large`);
  }
}
