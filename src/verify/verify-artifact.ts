import type { KeyObject } from 'node:crypto';
import { identityMismatches, type ExpectedIdentity } from '../policy/identity.js';
import type { TrustMaterial } from '../trust/trust.types.js';
import type { Artifact, NpmPackageVersion } from './artifact.js';
import { fail } from './errors.js';
import { classifyEvidence, verifyEvidence, type VerifiedAttestation } from './npm-attestations.js';

export interface VerifyArtifactRequest {
  /** The parsed JSON of a bundle or of a registry attestations document. */
  evidence: unknown;
  trust: TrustMaterial;
  artifact?: Artifact;
  npmPackage?: NpmPackageVersion;
  /** Required for certificate-signed evidence unless `publicKey` is given. */
  expectedIdentity?: ExpectedIdentity;
  publicKey?: KeyObject;
}

/**
 * Verifies evidence about one artifact and the identity of its signer. Pure: no I/O.
 * Every certificate-signed bundle must match the expected identity; key-signed bundles must be
 * signed by the given key or a trusted registry key.
 */
export function verifyArtifact(request: VerifyArtifactRequest): VerifiedAttestation[] {
  const evidence = classifyEvidence(request.evidence);
  const verified = verifyEvidence(evidence, {
    trust: request.trust,
    ...(request.artifact ? { artifact: request.artifact } : {}),
    ...(request.npmPackage ? { npmPackage: request.npmPackage } : {}),
    ...(request.publicKey && evidence.kind === 'bundle' ? { publicKey: request.publicKey } : {}),
  });
  const keyless = verified.filter((attestation) => attestation.signer.kind === 'certificate');
  if (request.expectedIdentity && keyless.length === 0) {
    fail('IDENTITY_MISMATCH', 'an identity was expected, but no bundle is signed by a Fulcio certificate');
  }
  for (const attestation of keyless) {
    if (attestation.signer.kind !== 'certificate') continue;
    if (!request.expectedIdentity) fail('IDENTITY_MISMATCH', 'bundle is signed by a certificate but no identity was given to check it against');
    const problems = identityMismatches(request.expectedIdentity, attestation.signer.identity);
    if (problems.length > 0) fail('IDENTITY_MISMATCH', `signer does not match: ${problems.join('; ')}`);
  }
  return verified;
}
