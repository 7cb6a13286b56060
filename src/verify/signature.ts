import { publicDecrypt, constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { artifactDigest, type Artifact } from './artifact.js';
import { fail } from './errors.js';
import type { DigestAlgorithm, SignedContent } from './bundle.types.js';

/** Verifies the bundle's signature with the signer's key: over the DSSE PAE, or over the artifact. */
export function verifyContentSignature(content: SignedContent, key: KeyObject, artifact: Artifact | undefined): void {
  if (content.kind === 'dsse') {
    const pae = dsse.preAuthEncoding(content.payloadType, content.payload);
    if (!safeVerify(key, pae, content.signature)) fail('SIGNATURE_ERROR', 'DSSE envelope signature does not verify');
    return;
  }
  if (!artifact) fail('ARTIFACT_MISMATCH', 'a message signature can only be verified against an artifact');
  const digest = artifactDigest(artifact, content.digestAlgorithm);
  if (!digest) fail('ARTIFACT_MISMATCH', `the bundle signs a ${content.digestAlgorithm} digest; give the artifact or its ${content.digestAlgorithm} digest`);
  if (!digest.equals(content.digest)) fail('ARTIFACT_MISMATCH', 'artifact digest does not match the digest in the bundle');
  const verified =
    artifact.kind === 'bytes'
      ? safeVerify(key, artifact.data, content.signature, content.digestAlgorithm)
      : verifyPrehashed(key, content.digestAlgorithm, digest, content.signature);
  if (!verified) fail('SIGNATURE_ERROR', 'signature does not verify over the artifact');
}

function safeVerify(key: KeyObject, data: Buffer, signature: Buffer, algorithm?: DigestAlgorithm): boolean {
  try {
    const digestName = key.asymmetricKeyType === 'ed25519' ? null : algorithm ?? defaultDigest(key);
    return nodeVerify(digestName, data, key, signature);
  } catch {
    return false;
  }
}

function defaultDigest(key: KeyObject): DigestAlgorithm {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return 'sha384';
  if (curve === 'secp521r1') return 'sha512';
  return 'sha256';
}

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

const DIGEST_INFO_PREFIX: Record<DigestAlgorithm, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** Verifies a signature when only the artifact's digest is known (ECDSA and RSA PKCS#1 v1.5). */
function verifyPrehashed(key: KeyObject, algorithm: DigestAlgorithm, digest: Buffer, signature: Buffer): boolean {
  try {
    if (key.asymmetricKeyType === 'ec') {
      const curveName = key.asymmetricKeyDetails?.namedCurve as keyof typeof CURVES | undefined;
      const curve = curveName ? CURVES[curveName] : undefined;
      if (!curve) fail('SIGNATURE_ERROR', `unsupported curve ${String(curveName)}`);
      const point = key.export({ format: 'der', type: 'spki' });
      const rawPoint = point.subarray(point.length - (curve.CURVE.Fp.BYTES * 2 + 1));
      return curve.verify(signature, digest, rawPoint, { prehash: false, lowS: false, format: 'der' });
    }
    if (key.asymmetricKeyType === 'rsa') {
      const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      return recovered.equals(Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm], 'hex'), digest]));
    }
  } catch (error) {
    if ((error as Error).name === 'VerificationError') throw error;
    return false;
  }
  fail('SIGNATURE_ERROR', `a ${key.asymmetricKeyType} signature needs the artifact itself, not only its digest`);
}
