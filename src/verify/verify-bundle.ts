import type { KeyObject } from 'node:crypto';
import { isWithin, type TrustMaterial, type TrustedPublicKey } from '../trust/trust.types.js';

/**
 * npm's registry key usage for its publish attestations.
 * @example
 * ```ts
 * import { NPM_ATTESTATION_KEY_USAGE, publicGoodTrustMaterial } from 'pkgseal';
 *
 * const attestationKeys = publicGoodTrustMaterial().publicKeys.filter((key) => key.usage === NPM_ATTESTATION_KEY_USAGE);
 * ```
 */
export const NPM_ATTESTATION_KEY_USAGE = 'npm:attestations';
import { artifactDigest, npmPurl, type Artifact, type NpmPackageVersion } from './artifact.js';
import type { ParsedBundle } from './bundle.types.js';
import { verifyCertificateChain } from './certificate.js';
import { fail } from './errors.js';
import { certificateKey } from './public-key.js';
import { verifyContentSignature } from './signature.js';
import { signerIdentityFromCertificate, type SignerIdentity } from './signer.js';
import { verifySCTs } from './sct.js';
import { parseStatement, type Statement } from './statement.js';
import { verifyRFC3161Timestamp } from './timestamp.js';
import { verifyTLogEntry, type VerifiedLogEntry } from './tlog/index.js';

/**
 * How `verifyParsedBundle` and `verifyEvidence` verify: the trust material, what the bundle must
 * be about, an optional managed key, and how many log entries, timestamps and SCTs it needs.
 * @example
 * ```ts
 * import { publicGoodTrustMaterial, readNpmTarball, type VerifyBundleOptions } from 'pkgseal';
 *
 * const tarball = await readNpmTarball('sigstore-2.3.1.tgz');
 * const options: VerifyBundleOptions = { trust: publicGoodTrustMaterial(), npmPackage: tarball.package, tlogThreshold: 1 };
 * ```
 */
export interface VerifyBundleOptions {
  trust: TrustMaterial;
  /** The artifact the bundle must be about (message digest, or a DSSE statement subject). */
  artifact?: Artifact;
  /** For npm evidence: exactly one subject, `pkg:npm/<name>@<version>`, with this sha512. */
  npmPackage?: NpmPackageVersion;
  /** A managed key to verify with, instead of the bundle's certificate. */
  publicKey?: KeyObject;
  /** For key-hinted bundles, which trusted key usage may sign (default `npm:attestations`). */
  keyUsage?: string;
  tlogThreshold?: number;
  timestampThreshold?: number;
  ctlogThreshold?: number;
}

/**
 * Who signed a verified bundle: the identity in its Fulcio certificate, or the ID of the managed
 * key (an npm registry key, `--key`) that verified it.
 * @example
 * ```ts
 * import type { VerifiedSigner } from 'pkgseal';
 *
 * const signerName = (signer: VerifiedSigner): string =>
 *   signer.kind === 'certificate' ? `${signer.identity.subject} (${signer.identity.issuer})` : `key ${signer.keyID}`;
 * ```
 */
export type VerifiedSigner = { kind: 'certificate'; identity: SignerIdentity } | { kind: 'key'; keyID: string };

/**
 * A verified time at which the signature existed: a transparency log's integrated time or an
 * RFC 3161 timestamp. Certificates are checked as valid at these times.
 * @example
 * ```ts
 * import type { VerifiedTimestamp } from 'pkgseal';
 *
 * const earliest = (timestamps: VerifiedTimestamp[]): Date | undefined =>
 *   timestamps.map((timestamp) => timestamp.time).sort((a, b) => a.getTime() - b.getTime())[0];
 * ```
 */
export interface VerifiedTimestamp {
  source: 'transparency-log' | 'timestamp-authority';
  time: Date;
}

/**
 * What a bundle proved once every check held: its version, who signed, the in-toto statement
 * (for DSSE bundles), the transparency-log entries and the verified times.
 * @example
 * ```ts
 * import type { VerifiedBundle } from 'pkgseal';
 *
 * function describe(verified: VerifiedBundle): string {
 *   const who = verified.signer.kind === 'certificate' ? verified.signer.identity.subject : `key ${verified.signer.keyID}`;
 *   return `${who}, in ${verified.tlogEntries.length} log entries, statement ${verified.statement?.predicateType ?? '(none)'}`;
 * }
 * ```
 */
export interface VerifiedBundle {
  bundleVersion: string;
  signer: VerifiedSigner;
  statement?: Statement;
  tlogEntries: Array<Omit<VerifiedLogEntry, 'log'> & { logURL: string }>;
  timestamps: VerifiedTimestamp[];
}

/**
 * Verifies a parsed bundle end to end, failing closed on the first rule that does not hold.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseBundle, publicGoodTrustMaterial, verifyParsedBundle } from 'pkgseal';
 *
 * // Verifies the bundle itself; who signed is for the caller to judge (verifyArtifact does both).
 * const bundle = parseBundle(JSON.parse(readFileSync('a.txt.sigstore.json', 'utf8')));
 * const verified = verifyParsedBundle(bundle, { trust: publicGoodTrustMaterial(), artifact: { kind: 'bytes', data: readFileSync('a.txt') } });
 * if (verified.signer.kind === 'certificate') console.log(verified.signer.identity.subject);
 * ```
 */
export function verifyParsedBundle(bundle: ParsedBundle, options: VerifyBundleOptions): VerifiedBundle {
  const { trust } = options;
  const signingKey = resolveSigningKey(bundle, options);
  const claim = { content: bundle.content, material: bundle.material, signerDER: signingKey.der };

  const tlogEntries = bundle.tlogEntries.map((entry) => verifyTLogEntry(entry, claim, trust));
  if (tlogEntries.length < (options.tlogThreshold ?? 1)) {
    fail('TLOG_MISSING_ERROR', `bundle has ${tlogEntries.length} transparency log entries, ${options.tlogThreshold ?? 1} required`);
  }
  const timestamps: VerifiedTimestamp[] = [];
  for (const { integratedTime } of tlogEntries) if (integratedTime) timestamps.push({ source: 'transparency-log', time: integratedTime });
  for (const der of bundle.rfc3161Timestamps) {
    timestamps.push({ source: 'timestamp-authority', time: verifyRFC3161Timestamp(der, bundle.content.signature, trust.timestampAuthorities) });
  }
  if (timestamps.length < (options.timestampThreshold ?? 1)) {
    fail('TIMESTAMP_ERROR', `bundle has ${timestamps.length} verified timestamps, ${options.timestampThreshold ?? 1} required`);
  }
  for (const entry of tlogEntries) {
    for (const { time } of timestamps) {
      if (!isWithin(entry.log.validFor, time)) fail('TLOG_MISSING_ERROR', `log ${entry.log.baseURL} was not trusted at ${time.toISOString()}`);
    }
  }
  const signer = verifySigningMaterial(bundle, signingKey, timestamps, options);
  verifyContentSignature(bundle.content, signingKey.key, options.artifact);
  const statement = bundle.content.kind === 'dsse' ? parseStatement(bundle.content) : undefined;
  if (statement) verifySubjects(statement, options);
  else if (options.npmPackage) fail('STATEMENT_ERROR', 'npm evidence must be an in-toto statement in a DSSE envelope');

  return {
    bundleVersion: bundle.version,
    signer,
    ...(statement ? { statement } : {}),
    tlogEntries: tlogEntries.map(withLogURL),
    timestamps,
  };
}

/** A verified entry as a result reports it: its log named by URL. */
function withLogURL({ log, ...entry }: VerifiedLogEntry): VerifiedBundle['tlogEntries'][number] {
  return { ...entry, logURL: log.baseURL };
}

interface SigningKey {
  key: KeyObject;
  der?: Buffer;
}

function resolveSigningKey(bundle: ParsedBundle, options: VerifyBundleOptions): SigningKey {
  if (bundle.material.kind === 'certificate') {
    if (options.publicKey) fail('PUBLIC_KEY_ERROR', 'bundle is signed with a certificate, but a key was given to verify it with');
    const { leaf } = bundle.material;
    try {
      return { key: certificateKey(leaf.subjectPublicKeyInfo), der: leaf.der };
    } catch (error) {
      fail('CERTIFICATE_ERROR', `signing certificate has no usable public key (${(error as Error).message})`);
    }
  }
  if (options.publicKey) return { key: options.publicKey, der: options.publicKey.export({ format: 'der', type: 'spki' }) };
  const { hint } = bundle.material;
  const [trusted] = trustedKeysFor(hint, options);
  if (!trusted) fail('PUBLIC_KEY_ERROR', `no trusted key for hint "${hint}"`);
  return { key: trusted.publicKey, der: trusted.publicKey.export({ format: 'der', type: 'spki' }) };
}

function verifySigningMaterial(
  bundle: ParsedBundle,
  signingKey: SigningKey,
  timestamps: VerifiedTimestamp[],
  options: VerifyBundleOptions,
): VerifiedSigner {
  if (bundle.material.kind === 'publicKey' || options.publicKey) {
    const hint = bundle.material.kind === 'publicKey' ? bundle.material.hint : 'user-supplied key';
    if (!options.publicKey) {
      const trusted = trustedKeysFor(hint, options);
      for (const { time } of timestamps) {
        if (!trusted.some((key) => isWithin(key.validFor, time) && key.publicKey.equals(signingKey.key))) {
          fail('PUBLIC_KEY_ERROR', `key ${hint} was not valid at ${time.toISOString()}`);
        }
      }
    }
    return { kind: 'key', keyID: hint };
  }
  const { leaf } = bundle.material;
  if (timestamps.length === 0) fail('TIMESTAMP_ERROR', 'no verified time to check the signing certificate against');
  let path = [leaf];
  for (const { time } of timestamps) path = verifyCertificateChain(leaf, options.trust.certificateAuthorities, time);
  const issuer = path[1];
  if (!issuer) fail('CERTIFICATE_ERROR', 'signing certificate is self-signed');
  const scts = verifySCTs(leaf, issuer, options.trust.ctlogs);
  if (scts < (options.ctlogThreshold ?? 1)) fail('SCT_ERROR', `certificate has ${scts} verified SCTs, ${options.ctlogThreshold ?? 1} required`);
  return { kind: 'certificate', identity: signerIdentityFromCertificate(leaf) };
}

/**
 * Trusted keys a key-hinted bundle may be signed with. The only such keys are registry keys, so
 * the usage defaults to npm's attestation key: its signatures key must not sign bundles.
 */
function trustedKeysFor(hint: string, options: VerifyBundleOptions): TrustedPublicKey[] {
  const usage = options.keyUsage ?? NPM_ATTESTATION_KEY_USAGE;
  return options.trust.publicKeys.filter((key) => key.keyID === hint && key.usage === usage);
}

/** The statement must be about the artifact; the library never checks this. */
function verifySubjects(statement: Statement, options: VerifyBundleOptions): void {
  const { npmPackage, artifact } = options;
  if (npmPackage) {
    const purl = npmPurl(npmPackage.name, npmPackage.version);
    if (statement.subjects.length !== 1) fail('SUBJECT_MISMATCH', `npm statement must have exactly one subject, found ${statement.subjects.length}`);
    const [subject] = statement.subjects;
    if (subject!.name !== purl) fail('SUBJECT_MISMATCH', `statement is about ${subject!.name}, not ${purl}`);
    if (subject!.digest.sha512 !== npmPackage.sha512.toString('hex')) fail('SUBJECT_MISMATCH', `statement sha512 does not match the integrity of ${npmPackage.name}@${npmPackage.version}`);
  }
  if (artifact) {
    const matches = statement.subjects.some((subject) =>
      Object.entries(subject.digest).some(([algorithm, hex]) => {
        if (algorithm !== 'sha256' && algorithm !== 'sha384' && algorithm !== 'sha512') return false;
        return artifactDigest(artifact, algorithm)?.toString('hex') === hex;
      }),
    );
    if (!matches) fail('SUBJECT_MISMATCH', 'no statement subject has the artifact digest');
  }
  if (!npmPackage && !artifact) fail('SUBJECT_MISMATCH', 'nothing to match the statement subjects against');
}
