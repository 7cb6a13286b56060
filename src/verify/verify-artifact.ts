import type { KeyObject } from 'node:crypto';
import { identityMismatches, type ExpectedIdentity } from '../policy/identity.js';
import type { TrustMaterial } from '../trust/trust.types.js';
import type { Artifact, NpmPackageVersion } from './artifact.js';
import { fail } from './errors.js';
import { classifyEvidence, verifyEvidence, type VerifiedAttestation } from './npm-attestations.js';

/**
 * What `verifyArtifact` checks: the evidence, the trust it is checked against, what it must be
 * about (an artifact, an npm package version, or both), and who must have signed it (an
 * expected identity, or a managed public key).
 * @example
 * ```ts
 * import { createHash } from 'node:crypto';
 * import { readFileSync } from 'node:fs';
 * import { publicGoodTrustMaterial, verifyArtifact, type VerifyArtifactRequest } from 'pkgseal';
 *
 * // A plain file signed with `cosign sign-blob` or `sigstore sign`, by a known e-mail identity.
 * const request: VerifyArtifactRequest = {
 *   evidence: JSON.parse(readFileSync('a.txt.sigstore.json', 'utf8')),
 *   trust: publicGoodTrustMaterial(),
 *   artifact: { kind: 'digest', algorithm: 'sha256', digest: createHash('sha256').update(readFileSync('a.txt')).digest() },
 *   expectedIdentity: {
 *     issuer: { kind: 'exact', value: 'https://accounts.google.com' },
 *     subject: { kind: 'exact', value: 'release-team@example.com' },
 *   },
 * };
 * verifyArtifact(request);
 * ```
 */
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
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { publicGoodTrustMaterial, readNpmTarball, verifyArtifact } from 'pkgseal';
 *
 * // An npm tarball and its registry attestations; throws VerificationError unless both verify
 * // and the provenance was signed by sigstore-js's own workflow.
 * const tarball = await readNpmTarball('sigstore-2.3.1.tgz');
 * const attestations = verifyArtifact({
 *   evidence: JSON.parse(await readFile('attestations.json', 'utf8')),
 *   trust: publicGoodTrustMaterial(),
 *   npmPackage: tarball.package,
 *   expectedIdentity: {
 *     issuer: { kind: 'exact', value: 'https://token.actions.githubusercontent.com' },
 *     repository: 'sigstore/sigstore-js',
 *     workflow: '.github/workflows/release.yml',
 *   },
 * });
 * console.log(`${attestations.length} attestations verified`);
 * ```
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
