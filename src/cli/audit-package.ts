import semver from 'semver';
import { effectiveRule, evaluateSignedRule, type SignerRecord } from '../policy/evaluate.js';
import { findException, formatDay } from '../policy/exceptions.js';
import { signerClaims } from '../policy/identity.js';
import type { PackageRule, Policy } from '../policy/policy.types.js';
import type { PackageResult, RuleId } from '../report/report.types.js';
import { findEvidence, MalformedEvidenceError, type EvidenceContext } from '../sources/find-evidence.js';
import type { VerificationCache } from '../sources/verification-cache.js';
import type { SubjectKey, VerifiedSubjects } from '../sources/verified-subjects.js';
import { registryKeysFor } from '../sources/registry-keys-source.js';
import { SourceError, type Packument, type RegistryVersion } from '../sources/source.types.js';
import type { TrustMaterial, TrustedPublicKey } from '../trust/trust.types.js';
import type { TreePackage } from '../tree/tree.types.js';
import { parseSha512Integrity } from '../verify/artifact.js';
import { VerificationError } from '../verify/errors.js';
import type { VerifiedAttestation } from '../verify/npm-attestations.js';
import { verifyRegistrySignature } from '../verify/registry-signature.js';

/** Everything one package's audit needs: the policy, trust, and the I/O to gather evidence. */
export interface AuditContext extends EvidenceContext {
  policy: Policy;
  trustByName: ReadonlyMap<string, TrustMaterial>;
  /** Registry keys named in the policy, by registry base URL. */
  policyRegistryKeys: ReadonlyMap<string, TrustedPublicKey[]>;
  today: Date;
  cache: VerificationCache;
  /** Who signed what, as earlier runs verified it: lets a warm audit skip fetching evidence. */
  verifiedSubjects: VerifiedSubjects;
}

/**
 * What one package's audit did, step by step, for `pkgseal explain`. The audit itself never
 * needs it; every method is called at most once per step, in order.
 */
export interface AuditTrace {
  /** One line per evidence source tried, in the policy's order: what it returned. */
  source(line: string): void;
  /** Every attestation in the evidence that verified (`cached`: an earlier run's verification). */
  verified(location: string, attestations: readonly VerifiedAttestation[], cached: boolean): void;
  /** Other checks the rule made: the registry's signature and integrity, noDowngrade. */
  note(line: string): void;
}

type Finding = Pick<PackageResult, 'outcome' | 'reason' | 'fix' | 'ruleId' | 'signer' | 'exception'>;

/**
 * Audits one package version against the policy. Never throws for a package problem: it fails
 * closed. `trace` (for `pkgseal explain`) is told what each step found.
 */
export async function auditPackage(pkg: TreePackage, context: AuditContext, trace?: AuditTrace): Promise<PackageResult> {
  const rule = effectiveRule(context.policy, pkg.name, pkg.version);
  let finding: Finding;
  try {
    finding = await decide(pkg, rule, context, trace);
  } catch (error) {
    finding = failureFinding(pkg, error);
  }
  return {
    name: pkg.name,
    version: pkg.version,
    paths: pkg.paths,
    ...(pkg.location ? { location: pkg.location } : {}),
    ...(rule ? { rule: rule.match } : {}),
    ...finding,
  };
}

async function decide(pkg: TreePackage, rule: PackageRule | undefined, context: AuditContext, trace: AuditTrace | undefined): Promise<Finding> {
  const spec = `${pkg.name}@${pkg.version}`;
  const exception = findException(context.policy, pkg.name, pkg.version, context.today);
  if (exception) {
    return { outcome: 'exempted', reason: `policy exception until ${formatDay(exception.expires)}: ${exception.reason}`, exception: { reason: exception.reason, expires: exception.expires } };
  }
  if (!rule) {
    return violation('pkgseal/no-policy-entry', 'no policy entry matches this package and the policy sets no defaults.require', `add an entry whose "match" covers "${pkg.name}" to ${context.policy.file}`);
  }
  if (pkg.unsupportedSource) {
    const reason = `unsupported source (${pkg.unsupportedSource}): pkgseal checks registry packages only`;
    if (rule.require === 'none') return { outcome: 'unsupported', reason, ruleId: 'pkgseal/unsupported-source' };
    return violation('pkgseal/unsupported-source', `${reason}, but the policy entry "${rule.match}" requires ${rule.require}`, `add an exception for ${spec} or an entry with require "none" for it`);
  }
  const verdict = await checkRequirement(pkg, rule, context, trace);
  if (verdict.outcome !== 'pass' || !rule.noDowngrade) return verdict;
  return (await checkNoDowngrade(pkg, context, trace)) ?? verdict;
}

async function checkRequirement(pkg: TreePackage, rule: PackageRule, context: AuditContext, trace: AuditTrace | undefined): Promise<Finding> {
  if (rule.require === 'none') return { outcome: 'pass', reason: `policy entry "${rule.match}" requires nothing` };
  const sha512 = pkg.integrity ? parseSha512Integrity(pkg.integrity) : undefined;
  if (!sha512) return violation('pkgseal/verification-failed', 'the lockfile records no sha512 integrity for it', 'regenerate the lockfile with npm 7 or newer');
  return rule.require === 'registry-signature' ? checkRegistrySignature(pkg, context, trace) : checkSigned(pkg, sha512, rule, context, trace);
}

async function checkRegistrySignature(pkg: TreePackage, context: AuditContext, trace: AuditTrace | undefined): Promise<Finding> {
  if (context.offline) return violation('pkgseal/missing-evidence', 'require "registry-signature" needs the registry, and --offline forbids the network', 'run without --offline, or require "signed" with a dir source');
  const registryVersion = await registryVersionOf(pkg, context);
  trace?.note(`registry ${pkg.registry}: integrity ${registryVersion.integrity === undefined ? 'not given' : 'equals the lockfile\'s'}, ${registryVersion.signatures.length} signature(s)`);
  const keys = await registryKeysFor(pkg.registry, { fetcher: context.fetcher, ...policyKeysFor(pkg.registry, context) });
  const { keyID } = verifyRegistrySignature(
    { name: pkg.name, version: pkg.version, integrity: pkg.integrity, signatures: registryVersion.signatures, ...(registryVersion.publishedAt ? { publishedAt: registryVersion.publishedAt } : {}) },
    keys,
  );
  return { outcome: 'pass', reason: `registry signature by ${keyID}` };
}

function policyKeysFor(registry: string, context: AuditContext): { policyKeys?: TrustedPublicKey[] } {
  const keys = context.policyRegistryKeys.get(registry);
  return keys ? { policyKeys: keys } : {};
}

/** The registry's record of this version; its integrity must equal the lockfile's. */
async function registryVersionOf(pkg: TreePackage, context: AuditContext) {
  const registryVersion = (await context.fetcher.packument(pkg.name, pkg.registry)).versions.get(pkg.version);
  if (!registryVersion) throw new SourceError(`the registry ${pkg.registry} has no version ${pkg.version}`);
  if (registryVersion.integrity !== undefined && registryVersion.integrity !== pkg.integrity) {
    throw new VerificationError('ARTIFACT_MISMATCH', `the registry's integrity ${registryVersion.integrity} differs from the lockfile's ${pkg.integrity}`);
  }
  return registryVersion;
}

async function checkSigned(pkg: TreePackage, sha512: Buffer, rule: PackageRule, context: AuditContext, trace: AuditTrace | undefined): Promise<Finding> {
  const spec = `${pkg.name}@${pkg.version}`;
  const trust = context.trustByName.get(rule.trust ?? context.policy.trust[0]!.name)!;
  const subjectKey: SubjectKey = { subject: `${spec}:${sha512.toString('hex')}`, trustDigest: trust.digest };
  // `pkgseal explain` shows every step, so it always takes the long way.
  if (!trace) {
    const known = await context.verifiedSubjects.get(subjectKey);
    const verdict = known && evaluateSignedRule(rule, spec, known);
    if (known && verdict?.outcome === 'pass') return passFinding(verdict.reason, known);
  }
  const search = await findEvidence(pkg, context.policy.sources, context, trace && ((line) => trace.source(line)));
  if (!search.found) {
    return violation('pkgseal/missing-evidence', `no evidence found (tried: ${search.tried.join(', ')})`, `publish ${spec} with pkgseal publish or npm publish --provenance, or add its bundle to a dir source`);
  }
  let verification: Verification;
  try {
    verification = await verifyCached(search.found.document, pkg, sha512, subjectKey, context.cache, trust);
    trace?.verified(search.found.location, verification.attestations, verification.cached);
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    return violation('pkgseal/verification-failed', `evidence from ${search.found.location} does not verify: ${error.message}`, `re-sign ${spec}, or remove the bad evidence from ${search.found.source}`);
  }
  const { attestations } = verification;
  const verdict = evaluateSignedRule(rule, spec, attestations);
  // A pass is recorded by who signed what; a signer the policy did not accept, by the evidence,
  // so that the next run applies the policy again without verifying that evidence again.
  if (verdict.outcome === 'pass') {
    context.verifiedSubjects.add(subjectKey, attestations);
    return passFinding(verdict.reason, attestations);
  }
  await verification.remember();
  const signer = firstCertificateSigner(attestations);
  const ruleId: RuleId = signer ? 'pkgseal/identity-mismatch' : 'pkgseal/missing-evidence';
  return { outcome: 'violation', reason: verdict.reason, fix: verdict.fix, ruleId, ...(signer ? { signer } : {}) };
}

interface Verification {
  attestations: VerifiedAttestation[];
  /** From an earlier run's verification. */
  cached: boolean;
  /** Keeps this verification in the cache (a no-op when it came from there). */
  remember(): Promise<void>;
}

/** Verification is pure and keyed by content, so an earlier run's result may stand in for it. */
async function verifyCached(document: unknown, pkg: TreePackage, sha512: Buffer, subject: SubjectKey, cache: VerificationCache, trust: TrustMaterial): Promise<Verification> {
  const key = { evidence: document, ...subject };
  const cached = await cache.get(key);
  if (cached) return { attestations: cached, cached: true, remember: async () => undefined };
  const { classifyEvidence, verifyEvidence } = await loadVerifier();
  const verified = verifyEvidence(classifyEvidence(document), { trust, npmPackage: { name: pkg.name, version: pkg.version, sha512 } });
  return { attestations: verified, cached: false, remember: () => cache.put(key, verified) };
}

/** The Sigstore verifier and what it needs (@sigstore/core, @noble/curves), loaded by the first package that has evidence to verify. */
let verifier: Promise<typeof import('../verify/npm-attestations.js')> | undefined;
const loadVerifier = () => (verifier ??= import('../verify/npm-attestations.js'));

function passFinding(reason: string, attestations: readonly SignerRecord[]): Finding {
  const signer = firstCertificateSigner(attestations);
  return { outcome: 'pass', reason, ...(signer ? { signer } : {}) };
}

function firstCertificateSigner(attestations: readonly SignerRecord[]): PackageResult['signer'] {
  for (const attestation of attestations) {
    if (attestation.signer.kind !== 'certificate') continue;
    const { identity } = attestation.signer;
    const claims = signerClaims(identity);
    return {
      issuer: identity.issuer,
      subject: identity.subject,
      ...(claims.repository ? { repository: claims.repository } : {}),
      ...(claims.workflow ? { workflow: claims.workflow } : {}),
      ...(claims.ref ? { ref: claims.ref } : {}),
    };
  }
  return undefined;
}

/**
 * noDowngrade: a version may not lack evidence (provenance, registry signature) that an earlier
 * version of the same major line had. For 0.x the minor is the line, as semver's caret reads it.
 */
async function checkNoDowngrade(pkg: TreePackage, context: AuditContext, trace: AuditTrace | undefined): Promise<Finding | undefined> {
  if (context.offline) return violation('pkgseal/evidence-downgrade', 'noDowngrade needs the registry to see earlier versions, and --offline forbids the network', 'run without --offline, or set noDowngrade false for this entry');
  const packument = await context.fetcher.packument(pkg.name, pkg.registry);
  const current = packument.versions.get(pkg.version);
  if (!current || !semver.valid(pkg.version)) return undefined;
  for (const [kind, has] of EVIDENCE_KINDS) {
    if (has(current)) continue;
    const earlier = earlierInLine(packument, pkg.version).find((version) => has(version));
    if (earlier) {
      return violation('pkgseal/evidence-downgrade', `${pkg.version} has no ${kind}, but ${earlier.version} of the same major line had`, `ask the maintainers of ${pkg.name} why; pin ${earlier.version} until then`);
    }
  }
  trace?.note(`noDowngrade: no earlier version of its major line had evidence ${pkg.version} lacks`);
  return undefined;
}

const EVIDENCE_KINDS = [
  ['provenance', (version) => version.attestations?.provenancePredicateType !== undefined],
  ['registry signature', (version) => version.signatures.length > 0],
] as const satisfies ReadonlyArray<readonly [string, (version: RegistryVersion) => boolean]>;

function earlierInLine(packument: Packument, version: string) {
  const major = semver.major(version);
  const minor = semver.minor(version);
  return [...packument.versions.values()].filter(
    (candidate) =>
      semver.valid(candidate.version) !== null &&
      semver.lt(candidate.version, version) &&
      semver.major(candidate.version) === major &&
      (major !== 0 || semver.minor(candidate.version) === minor),
  );
}

function violation(ruleId: RuleId, reason: string, fix: string): Finding {
  return { outcome: 'violation', reason, fix, ruleId };
}

function failureFinding(pkg: TreePackage, error: unknown): Finding {
  const spec = `${pkg.name}@${pkg.version}`;
  if (error instanceof SourceError) return violation('pkgseal/missing-evidence', `could not gather evidence: ${error.message}`, 'check the registry/source and the network, then rerun');
  if (error instanceof VerificationError) return violation('pkgseal/verification-failed', error.message, `do not install ${spec} until this is explained`);
  if (error instanceof MalformedEvidenceError) return violation('pkgseal/verification-failed', error.message, `replace or remove the bad evidence for ${spec}`);
  const message = error instanceof Error ? error.message : String(error);
  return violation('pkgseal/violation', `internal error while checking it: ${message.split('\n', 1)[0]}`, 'report this to the pkgseal maintainers');
}
