import { join } from 'node:path';
import { expiredExceptions } from '../policy/exceptions.js';
import type { Policy, Requirement } from '../policy/policy.types.js';
import type { AuditReport, PackageResult } from '../report/report.types.js';
import { summarize } from '../report/summarize.js';
import { createHttpFetcher } from '../sources/http-fetcher.js';
import { cacheSecret, createVerificationCache, defaultCacheDir, NO_CACHE } from '../sources/verification-cache.js';
import { createVerifiedSubjects, NO_VERIFIED_SUBJECTS } from '../sources/verified-subjects.js';
import { registryKeysFromJson } from '../trust/registry-keys.js';
import { TrustedRootError } from '../trust/trusted-root.js';
import type { TrustMaterial, TrustedPublicKey } from '../trust/trust.types.js';
import type { FetchSettings } from '../tree/npm-registry-config.js';
import type { DependencyTree, TreePackage } from '../tree/tree.types.js';
import { auditPackage, type AuditContext } from './audit-package.js';
import { loadTrust, readJsonFile } from './trust-options.js';
import { UsageError } from './usage-error.js';
import { readFileSync } from 'node:fs';

const { version: PKGSEAL_VERSION } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export interface AuditRunOptions {
  /** npm configuration (`@npmcli/config` flat options) for registry requests. */
  npmOptions: Record<string, unknown>;
  /** npm's fetch-timeout, fetch-retries and fetch-retry-mintimeout, where the user set them. */
  fetch?: FetchSettings;
  offline: boolean;
  /** Packages checked at once. */
  concurrency: number;
  cache: boolean;
  cacheDir?: string;
  env: NodeJS.ProcessEnv;
  progress?: { tick(): void; done(): void };
}

/** The packages of one packument (the versions of one name): audited in order by one slot, then the packument is let go. */
interface PackageGroup {
  packages: TreePackage[];
  /** Where each package's result goes in the report. */
  indices: number[];
}

/**
 * The audit driver: every package of the tree against the policy, concurrently, each failing closed
 * on its own. Used by `pkgseal audit` and by the pnpm plugin.
 */
export async function auditDependencyTree(tree: DependencyTree, policy: Policy, options: AuditRunOptions): Promise<AuditReport> {
  const context = await createAuditContext(policy, options);
  const { today } = context;
  const results: PackageResult[] = new Array(tree.packages.length);
  const record = (group: PackageGroup, groupResults: PackageResult[]) => {
    group.indices.forEach((index, i) => {
      results[index] = groupResults[i]!;
      options.progress?.tick();
    });
  };
  const groups = groupByPackument(tree.packages);
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < groups.length) {
        const group = groups[next++]!;
        record(group, await auditGroup(group, context));
      }
    }),
  );
  options.progress?.done();
  await context.verifiedSubjects.save();
  return {
    tool: { name: 'pkgseal', version: PKGSEAL_VERSION },
    project: tree.root,
    lockfile: tree.source,
    policy: policy.file,
    mode: policy.mode,
    summary: summarize(results),
    results,
    policyProblems: expiredExceptions(policy, today),
    generatedAt: today,
  };
}

/** A group's packages one after the other; then its packument is let go: memory stays bounded by concurrency. */
async function auditGroup(group: PackageGroup, context: AuditContext): Promise<PackageResult[]> {
  const groupResults: PackageResult[] = [];
  for (const pkg of group.packages) groupResults.push(await auditPackage(pkg, context));
  const [first] = group.packages;
  if (first) context.fetcher.release?.(first.name, first.registry);
  return groupResults;
}

/** The tree's packages by packument (registry and name), in tree order. */
function groupByPackument(packages: readonly TreePackage[]): PackageGroup[] {
  const byKey = new Map<string, PackageGroup>();
  packages.forEach((pkg, index) => {
    const key = `${pkg.registry}\0${pkg.name}`;
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { packages: [], indices: [] }));
    group.packages.push(pkg);
    group.indices.push(index);
  });
  return [...byKey.values()];
}

/** The trust, I/O and cache every package's audit shares; `pkgseal explain` audits one package with it. */
export async function createAuditContext(policy: Policy, options: Omit<AuditRunOptions, 'concurrency' | 'progress'>): Promise<AuditContext> {
  return {
    policy,
    trustByName: await loadPolicyTrust(policy),
    policyRegistryKeys: await loadPolicyRegistryKeys(policy),
    fetcher: createHttpFetcher({ npmOptions: options.npmOptions, offline: options.offline, ...options.fetch }),
    offline: options.offline,
    env: options.env,
    today: new Date(),
    ...(await createCaches(options)),
  };
}

async function createCaches(options: Pick<AuditRunOptions, 'cache' | 'cacheDir' | 'env'>): Promise<Pick<AuditContext, 'cache' | 'verifiedSubjects'>> {
  if (!options.cache) return { cache: NO_CACHE, verifiedSubjects: NO_VERIFIED_SUBJECTS };
  const dir = options.cacheDir ?? defaultCacheDir(options.env);
  const secret = await cacheSecret(options.env);
  return {
    cache: createVerificationCache({ dir: join(dir, 'verify'), secret, version: PKGSEAL_VERSION }),
    verifiedSubjects: createVerifiedSubjects({ file: join(dir, 'verified-subjects.json'), secret, version: PKGSEAL_VERSION }),
  };
}

/** Whether the gate closes: violations or policy problems, unless the policy only warns. */
export function auditFails(report: AuditReport): boolean {
  return (report.summary.violations > 0 || report.policyProblems.length > 0) && report.mode === 'enforce';
}

/**
 * The Sigstore trust each entry names. A trusted-root file is always read (a broken one is a
 * configuration error even before a rule uses it); the embedded public-good root only when a rule
 * checks Sigstore evidence, as a registry-signature-only policy never does.
 */
async function loadPolicyTrust(policy: Policy): Promise<Map<string, TrustMaterial>> {
  const trustByName = new Map<string, TrustMaterial>();
  const needsSigstore = requiresSigstore(policy);
  for (const entry of policy.trust) {
    if (!entry.trustedRoot && !needsSigstore) continue;
    trustByName.set(entry.name, await loadTrust(entry.trustedRoot ? { trustedRoot: entry.trustedRoot } : {}));
  }
  return trustByName;
}

const SIGSTORE_REQUIREMENTS: ReadonlySet<Requirement> = new Set(['signed', 'provenance']);

function requiresSigstore(policy: Policy): boolean {
  const required = [policy.defaults.require, ...policy.packages.map((rule) => rule.require)];
  return required.some((requirement) => requirement !== undefined && SIGSTORE_REQUIREMENTS.has(requirement));
}

async function loadPolicyRegistryKeys(policy: Policy): Promise<Map<string, TrustedPublicKey[]>> {
  const keysByRegistry = new Map<string, TrustedPublicKey[]>();
  for (const entry of policy.registryKeys) {
    const document = await readJsonFile(entry.keysFile, `registry keys for ${entry.registry}`);
    try {
      keysByRegistry.set(entry.registry, registryKeysFromJson(document, entry.keysFile));
    } catch (error) {
      if (error instanceof TrustedRootError) throw new UsageError(`${policy.file}: ${error.message}`);
      throw error;
    }
  }
  return keysByRegistry;
}
