/**
 * pkgseal's library API: a pure verification core (no network, no file system).
 *
 * @example
 * ```ts
 * import { publicGoodTrustMaterial, verifyArtifact } from 'pkgseal';
 * const attestations = verifyArtifact({
 *   evidence: JSON.parse(await readFile('attestations.json', 'utf8')),
 *   trust: publicGoodTrustMaterial(),
 *   npmPackage: { name: 'sigstore', version: '2.3.1', sha512 },
 *   expectedIdentity: {
 *     issuer: { kind: 'exact', value: 'https://token.actions.githubusercontent.com' },
 *     subject: { kind: 'glob', pattern: 'https://github.com/sigstore/sigstore-js/**' },
 *   },
 * });
 * ```
 */
export { verifyArtifact, type VerifyArtifactRequest } from './verify/verify-artifact.js';
export { verifyParsedBundle, NPM_ATTESTATION_KEY_USAGE, type VerifiedBundle, type VerifiedSigner, type VerifiedTimestamp, type VerifyBundleOptions } from './verify/verify-bundle.js';
export { parseBundle } from './verify/bundle.js';
export { classifyEvidence, verifyEvidence, type Evidence, type VerifiedAttestation } from './verify/npm-attestations.js';
export { VerificationError, type VerificationErrorCode } from './verify/errors.js';
export { npmPurl, parseSha512Integrity, type Artifact, type NpmPackageVersion } from './verify/artifact.js';
export { readNpmTarball, TarballError, type NpmTarball } from './verify/npm-tarball.js';
export { signerIdentityFromCertificate, type SignerIdentity, type CertificateClaims } from './verify/signer.js';
export type { Statement, StatementSubject } from './verify/statement.js';
export { identityMismatches, signerClaims, type ExpectedIdentity, type SignerClaims } from './policy/identity.js';
export { compileMatcher, globToRegExp, PatternError, type StringMatcher } from './policy/string-matcher.js';
export { trustMaterialFromTrustedRoot, TrustedRootError } from './trust/trusted-root.js';
export { registryKeysFromJson } from './trust/registry-keys.js';
export { publicGoodTrustMaterial } from './trust/public-good.js';
export type { TrustMaterial, TrustedLog, TrustedCertificateAuthority, TrustedPublicKey, ValidityWindow } from './trust/trust.types.js';
