/**
 * pkgseal's library API: the pure verification core behind `pkgseal verify` and `pkgseal audit`.
 * No function here touches the network or the file system except `readNpmTarball` (which reads the
 * file it is given); trust comes from `publicGoodTrustMaterial()` (embedded, offline) or a
 * `trusted_root.json` you pass in.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { publicGoodTrustMaterial, readNpmTarball, verifyArtifact } from 'pkgseal';
 *
 * const tarball = await readNpmTarball('sigstore-2.3.1.tgz');
 * const attestations = verifyArtifact({
 *   evidence: JSON.parse(await readFile('attestations.json', 'utf8')),
 *   trust: publicGoodTrustMaterial(),
 *   npmPackage: tarball.package,
 *   expectedIdentity: {
 *     issuer: { kind: 'exact', value: 'https://token.actions.githubusercontent.com' },
 *     subject: { kind: 'glob', pattern: 'https://github.com/sigstore/sigstore-js/**' },
 *   },
 * });
 * ```
 *
 * @packageDocumentation
 */
export { verifyArtifact, type VerifyArtifactRequest } from './verify/verify-artifact.js';
export { verifyParsedBundle, NPM_ATTESTATION_KEY_USAGE, type VerifiedBundle, type VerifiedSigner, type VerifiedTimestamp, type VerifyBundleOptions } from './verify/verify-bundle.js';
export { parseBundle } from './verify/bundle.js';
export type { ParsedBundle, DigestAlgorithm } from './verify/bundle.types.js';
export type { VerifiedLogEntry } from './verify/tlog/index.js';
export { classifyEvidence, verifyEvidence, type Evidence, type VerifiedAttestation } from './verify/npm-attestations.js';
export { VerificationError, type VerificationErrorCode } from './verify/errors.js';
export { npmPurl, parseSha512Integrity, type Artifact, type NpmPackageVersion } from './verify/artifact.js';
export { readNpmTarball, TarballError, type NpmTarball } from './verify/npm-tarball.js';
export { signerIdentityFromCertificate, type SignerIdentity, type CertificateClaims } from './verify/signer.js';
export { parseCertificate, type Certificate } from './verify/x509/certificate.js';
export type { Statement, StatementSubject } from './verify/statement.js';
export { identityMismatches, signerClaims, type ExpectedIdentity, type SignerClaims } from './policy/identity.js';
export { compileMatcher, globToRegExp, PatternError, type StringMatcher } from './policy/string-matcher.js';
export { trustMaterialFromTrustedRoot, TrustedRootError } from './trust/trusted-root.js';
export { registryKeysFromJson } from './trust/registry-keys.js';
export { publicGoodTrustMaterial } from './trust/public-good.js';
export type { TrustMaterial, TrustedLog, TrustedCertificateAuthority, TrustedPublicKey, ValidityWindow } from './trust/trust.types.js';
