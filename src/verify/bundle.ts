import { bundleFromJSON, ValidationError, type Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { checkBase64, isObject, JsonShapeError } from '../trust/json-fields.js';
import { encodeDER, parseWithoutStackTraces } from './der.js';
import { fail } from './errors.js';
import type { BundleVersion, DigestAlgorithm, ParsedBundle, SignedContent, SigningMaterial } from './bundle.types.js';

const MEDIA_TYPE_VERSIONS: Readonly<Record<string, BundleVersion>> = {
  'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json': '0.3',
};

const DIGEST_ALGORITHMS: Partial<Record<HashAlgorithm, DigestAlgorithm>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

/**
 * Parses and structurally validates a Sigstore bundle (v0.1–v0.3). Throws VerificationError.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseBundle } from 'pkgseal';
 *
 * const bundle = parseBundle(JSON.parse(readFileSync('a.txt.sigstore.json', 'utf8')));
 * console.log(bundle.version, bundle.content.kind, bundle.tlogEntries.length);
 * ```
 */
export function parseBundle(document: unknown): ParsedBundle {
  if (!isObject(document)) fail('BUNDLE_PARSE_ERROR', 'bundle is not a JSON object');
  const mediaType = typeof document.mediaType === 'string' ? document.mediaType : '';
  const version = MEDIA_TYPE_VERSIONS[mediaType];
  if (version === undefined) fail('BUNDLE_UNSUPPORTED', `unsupported bundle media type "${mediaType}"`);
  assertStrictBase64(document);
  const bundle = toProtobufBundle(document);
  assertLogIndexes(bundle);
  return {
    version,
    mediaType,
    content: toSignedContent(bundle),
    material: toSigningMaterial(bundle, version),
    tlogEntries: bundle.verificationMaterial.tlogEntries,
    rfc3161Timestamps: (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((ts) =>
      Buffer.from(ts.signedTimestamp),
    ),
  };
}

function toProtobufBundle(document: Record<string, unknown>): Bundle {
  try {
    return bundleFromJSON(document);
  } catch (error) {
    if (error instanceof ValidationError) {
      fail('BUNDLE_PARSE_ERROR', `${error.message}: bad or missing ${error.fields?.join(', ') ?? 'fields'}`);
    }
    fail('BUNDLE_PARSE_ERROR', `malformed bundle: ${(error as Error).message}`);
  }
}

function toSignedContent(bundle: Bundle): SignedContent {
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    const { messageDigest, signature } = content.messageSignature;
    const digestAlgorithm = messageDigest ? DIGEST_ALGORITHMS[messageDigest.algorithm] : undefined;
    if (!messageDigest || digestAlgorithm === undefined) fail('BUNDLE_UNSUPPORTED', 'unsupported message digest algorithm');
    return { kind: 'message', signature: Buffer.from(signature), digestAlgorithm, digest: Buffer.from(messageDigest.digest) };
  }
  const envelope = content.dsseEnvelope;
  const [signature, ...others] = envelope.signatures;
  if (!signature || others.length > 0) fail('BUNDLE_PARSE_ERROR', `DSSE envelope must carry exactly one signature, found ${envelope.signatures.length}`);
  return { kind: 'dsse', payloadType: envelope.payloadType, payload: Buffer.from(envelope.payload), signature: Buffer.from(signature.sig) };
}

function toSigningMaterial(bundle: Bundle, version: BundleVersion): SigningMaterial {
  const material = bundle.verificationMaterial.content;
  switch (material.$case) {
    case 'publicKey':
      return { kind: 'publicKey', hint: material.publicKey.hint };
    case 'certificate':
      // A single certificate is v0.3's form; a bundle labelled older is not what it says it is.
      if (version !== '0.3') fail('BUNDLE_PARSE_ERROR', `a v${version} bundle must carry a certificate chain, not a single certificate`);
      return certificateMaterial([material.certificate.rawBytes]);
    case 'x509CertificateChain':
      if (version === '0.3') fail('BUNDLE_PARSE_ERROR', 'a v0.3 bundle must carry a single certificate, not a chain');
      return certificateMaterial(material.x509CertificateChain.certificates.map((cert) => cert.rawBytes));
  }
}

function certificateMaterial(rawCertificates: Uint8Array[]): SigningMaterial {
  const chain = rawCertificates.map((raw, i) => {
    let certificate: X509Certificate;
    try {
      certificate = parseWithoutStackTraces(() => X509Certificate.parse(Buffer.from(raw)));
    } catch (error) {
      fail('BUNDLE_PARSE_ERROR', `certificate ${i} is not valid X.509 (${(error as Error).message})`);
    }
    // The parser stops where the certificate ends; bytes after it would be read by nobody.
    if (!encodeDER(certificate.root).equals(raw)) fail('BUNDLE_PARSE_ERROR', `certificate ${i} is not exactly one DER-encoded certificate`);
    return certificate;
  });
  const [leaf] = chain;
  if (!leaf) fail('BUNDLE_PARSE_ERROR', 'empty certificate chain');
  return { kind: 'certificate', leaf, chain };
}

function assertLogIndexes(bundle: Bundle): void {
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    if (!/^\d+$/.test(entry.logIndex)) fail('BUNDLE_PARSE_ERROR', `invalid tlog entry log index "${entry.logIndex}"`);
    if (entry.inclusionProof && !/^\d+$/.test(entry.inclusionProof.logIndex)) {
      fail('BUNDLE_PARSE_ERROR', `invalid inclusion proof log index "${entry.inclusionProof.logIndex}"`);
    }
    if (entry.inclusionProof && !/^\d+$/.test(entry.inclusionProof.treeSize)) {
      fail('BUNDLE_PARSE_ERROR', `invalid inclusion proof tree size "${entry.inclusionProof.treeSize}"`);
    }
    if (!/^\d+$/.test(entry.integratedTime)) fail('BUNDLE_PARSE_ERROR', `invalid integrated time "${entry.integratedTime}"`);
  }
}

/**
 * The protobuf JSON reader decodes base64 leniently (it drops characters it does not know), so a
 * corrupted signature could decode to something else. Every bytes field is checked first.
 */
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
  const material = at(document, 'verificationMaterial');
  add(at(at(material, 'certificate'), 'rawBytes'), 'verificationMaterial.certificate.rawBytes');
  each(at(at(material, 'x509CertificateChain'), 'certificates'), (cert, i) =>
    add(at(cert, 'rawBytes'), `verificationMaterial.x509CertificateChain.certificates[${i}].rawBytes`),
  );
  each(at(material, 'tlogEntries'), (entry, i) => {
    const path = `verificationMaterial.tlogEntries[${i}]`;
    add(at(at(entry, 'logId'), 'keyId'), `${path}.logId.keyId`);
    add(at(entry, 'canonicalizedBody'), `${path}.canonicalizedBody`);
    add(at(at(entry, 'inclusionPromise'), 'signedEntryTimestamp'), `${path}.inclusionPromise.signedEntryTimestamp`);
    const proof = at(entry, 'inclusionProof');
    add(at(proof, 'rootHash'), `${path}.inclusionProof.rootHash`);
    each(at(proof, 'hashes'), (hash, j) => add(hash, `${path}.inclusionProof.hashes[${j}]`));
  });
  each(at(at(material, 'timestampVerificationData'), 'rfc3161Timestamps'), (ts, i) =>
    add(at(ts, 'signedTimestamp'), `verificationMaterial.timestampVerificationData.rfc3161Timestamps[${i}].signedTimestamp`),
  );
  for (const [value, path] of fields) {
    try {
      checkBase64(value, path);
    } catch (error) {
      if (error instanceof JsonShapeError) fail('BUNDLE_PARSE_ERROR', error.message);
      throw error;
    }
    if (String(value).length > MAX_BASE64_FIELD_CHARS) fail('BUNDLE_PARSE_ERROR', `${path}: too large to check as base64 (${String(value).length} characters)`);
  }
}

/** 3 MiB decoded: far beyond any real bundle field (a provenance statement is tens of KiB). */
const MAX_BASE64_FIELD_CHARS = 4 * 1024 * 1024;
