import type { BundleJSON, DsseEnvelopeJSON, MessageSignatureJSON } from './bundle-json.js';
import type { BundleVersion, TransparencyLogEntry } from './bundle.types.js';
import { fail } from './errors.js';

/** A bundle whose JSON has every field its version requires. */
export interface ValidatedBundleJSON {
  content: MessageSignatureJSON | DsseEnvelopeJSON;
  material: NonNullable<NonNullable<BundleJSON['verificationMaterial']>['content']>;
  tlogEntries: TransparencyLogEntry[];
  rfc3161Timestamps: Buffer[];
}

const ERROR_NAMES: Record<BundleVersion, string> = { '0.1': 'invalid v0.1 bundle', '0.2': 'invalid v0.2 bundle', '0.3': 'invalid bundle' };

/**
 * The checks `@sigstore/bundle` makes for each version (its assertBundleV01, V02 and Latest), with
 * its messages: content and material present and non-empty, a log ID and kind for every entry,
 * and a promise (v0.1) or an inclusion proof with a checkpoint (later versions) for each.
 */
export function validateBundleJSON(bundle: BundleJSON, version: BundleVersion): ValidatedBundleJSON {
  const material = bundle.verificationMaterial;
  const missing = [...contentProblems(bundle.content), ...(material ? materialProblems(material, version) : ['verificationMaterial'])];
  if (missing.length > 0) fail('BUNDLE_PARSE_ERROR', `${ERROR_NAMES[version]}: bad or missing ${missing.join(', ')}`);
  return { content: bundle.content!, material: material!.content!, tlogEntries: material!.tlogEntries, rfc3161Timestamps: material!.rfc3161Timestamps };
}

function contentProblems(content: BundleJSON['content']): string[] {
  if (!content) return ['content'];
  if (content.kind === 'messageSignature') {
    const { messageDigest } = content;
    return [
      ...(!messageDigest ? ['content.messageSignature.messageDigest'] : messageDigest.digest.length === 0 ? ['content.messageSignature.messageDigest.digest'] : []),
      ...(content.signature.length === 0 ? ['content.messageSignature.signature'] : []),
    ];
  }
  return [
    ...(content.payload.length === 0 ? ['content.dsseEnvelope.payload'] : []),
    ...(content.signatures.length !== 1 ? ['content.dsseEnvelope.signatures'] : content.signatures[0]!.length === 0 ? ['content.dsseEnvelope.signatures[0].sig'] : []),
  ];
}

function materialProblems(material: NonNullable<BundleJSON['verificationMaterial']>, version: BundleVersion): string[] {
  const { content, tlogEntries } = material;
  const problems: string[] = [];
  if (!content) problems.push('verificationMaterial.content');
  else if (content.kind === 'certificate' && content.rawBytes.length === 0) problems.push('verificationMaterial.content.certificate.rawBytes');
  else if (content.kind === 'x509CertificateChain') {
    if (content.certificates.length === 0) problems.push('verificationMaterial.content.x509CertificateChain.certificates');
    content.certificates.forEach((rawBytes, i) => {
      if (rawBytes.length === 0) problems.push(`verificationMaterial.content.x509CertificateChain.certificates[${i}].rawBytes`);
    });
  }
  tlogEntries.forEach((entry, i) => {
    if (entry.logId === undefined) problems.push(`verificationMaterial.tlogEntries[${i}].logId`);
    if (entry.kindVersion === undefined) problems.push(`verificationMaterial.tlogEntries[${i}].kindVersion`);
  });
  tlogEntries.forEach((entry, i) => {
    if (version === '0.1') {
      if (entry.inclusionPromise === undefined) problems.push(`verificationMaterial.tlogEntries[${i}].inclusionPromise`);
    } else if (entry.inclusionProof === undefined) problems.push(`verificationMaterial.tlogEntries[${i}].inclusionProof`);
    else if (entry.inclusionProof.checkpoint === undefined) problems.push(`verificationMaterial.tlogEntries[${i}].inclusionProof.checkpoint`);
  });
  if (version === '0.3' && content?.kind === 'x509CertificateChain') problems.push('verificationMaterial.content.$case');
  return problems;
}
