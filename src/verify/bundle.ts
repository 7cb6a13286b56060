import { isObject } from '../trust/json-fields.js';
import { readBundleJSON, type BundleJSON } from './bundle-json.js';
import { validateBundleJSON, type ValidatedBundleJSON } from './bundle-validation.js';
import { fail, VerificationError } from './errors.js';
import type { BundleVersion, ParsedBundle, SignedContent, SigningMaterial, TransparencyLogEntry } from './bundle.types.js';
import { parseCertificate, type Certificate } from './x509/certificate.js';
import { DERError } from './x509/der-reader.js';

const MEDIA_TYPE_VERSIONS: Readonly<Record<string, BundleVersion>> = {
  'application/vnd.dev.sigstore.bundle+json;version=0.1': '0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': '0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': '0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json': '0.3',
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
  const bundle = validateBundleJSON(readBundle(document), version);
  assertLogIndexes(bundle.tlogEntries);
  return {
    version,
    mediaType,
    content: toSignedContent(bundle.content),
    material: toSigningMaterial(bundle.material, version),
    tlogEntries: bundle.tlogEntries,
    rfc3161Timestamps: bundle.rfc3161Timestamps,
  };
}

function readBundle(document: Record<string, unknown>): BundleJSON {
  try {
    return readBundleJSON(document);
  } catch (error) {
    if (error instanceof VerificationError) throw error;
    fail('BUNDLE_PARSE_ERROR', `malformed bundle: ${(error as Error).message}`);
  }
}

function toSignedContent(content: ValidatedBundleJSON['content']): SignedContent {
  if (content.kind === 'messageSignature') {
    const { messageDigest, signature } = content;
    if (!messageDigest || messageDigest.algorithm === undefined) fail('BUNDLE_UNSUPPORTED', 'unsupported message digest algorithm');
    return { kind: 'message', signature, digestAlgorithm: messageDigest.algorithm, digest: messageDigest.digest };
  }
  const [signature, ...others] = content.signatures;
  if (!signature || others.length > 0) fail('BUNDLE_PARSE_ERROR', `DSSE envelope must carry exactly one signature, found ${content.signatures.length}`);
  return { kind: 'dsse', payloadType: content.payloadType, payload: content.payload, signature };
}

function toSigningMaterial(material: ValidatedBundleJSON['material'], version: BundleVersion): SigningMaterial {
  switch (material.kind) {
    case 'publicKey':
      return { kind: 'publicKey', hint: material.hint };
    case 'certificate':
      // A single certificate is v0.3's form; a bundle labelled older is not what it says it is.
      if (version !== '0.3') fail('BUNDLE_PARSE_ERROR', `a v${version} bundle must carry a certificate chain, not a single certificate`);
      return certificateMaterial([material.rawBytes]);
    case 'x509CertificateChain':
      if (version === '0.3') fail('BUNDLE_PARSE_ERROR', 'a v0.3 bundle must carry a single certificate, not a chain');
      return certificateMaterial(material.certificates);
  }
}

function certificateMaterial(rawCertificates: Buffer[]): SigningMaterial {
  const chain = rawCertificates.map((raw, i): Certificate => {
    try {
      return parseCertificate(raw);
    } catch (error) {
      if (!(error instanceof DERError)) throw error;
      // Bytes after the certificate, or BER, would be read differently (or not at all) by other verifiers.
      const notDER = error.problem === 'trailing-bytes' || error.problem === 'non-minimal-length' || error.problem === 'indefinite-length';
      fail('BUNDLE_PARSE_ERROR', `certificate ${i} is ${notDER ? 'not exactly one DER-encoded certificate' : 'not valid X.509'} (${error.message})`);
    }
  });
  const [leaf] = chain;
  if (!leaf) fail('BUNDLE_PARSE_ERROR', 'empty certificate chain');
  return { kind: 'certificate', leaf, chain };
}

function assertLogIndexes(tlogEntries: TransparencyLogEntry[]): void {
  for (const entry of tlogEntries) {
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
