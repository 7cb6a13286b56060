import { join } from 'node:path';
import pLimit from 'p-limit';
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
import type { EvidenceFetcher } from '../sources/source.types.js';
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

/**
 * The audit driver: every package of the tree against the policy, concurrently, each failing closed
 * on its own. Used by `pkgseal audit` and by the pnpm plugin.
 */
export async function auditDependencyTree(tree: DependencyTree, policy: Policy, options: AuditRunOptions): Promise<AuditReport> {
  const context = await createAuditContext(policy, options);
  const { today } = context;
  const limit = pLimit(options.concurrency);
  const packumentUsers = countPackumentUsers(tree);
  const results: PackageResult[] = await Promise.all(
    tree.packages.map((pkg) =>
      limit(async () => {
        const result = await auditPackage(pkg, context);
        releasePackument(pkg, packumentUsers, context.fetcher);
        options.progress?.tick();
        return result;
      }),
    ),
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

/** How many packages of the tree share each packument (several versions of one name do). */
function countPackumentUsers(tree: DependencyTree): Map<string, number> {
  const users = new Map<string, number>();
  for (const pkg of tree.packages) users.set(packumentKey(pkg), (users.get(packumentKey(pkg)) ?? 0) + 1);
  return users;
}

const packumentKey = (pkg: TreePackage): string => `${pkg.registry}\0${pkg.name}`;

/** Once the last version of a name is audited its packument is let go: memory stays bounded by concurrency. */
function releasePackument(pkg: TreePackage, users: Map<string, number>, fetcher: EvidenceFetcher): void {
  const key = packumentKey(pkg);
  const left = (users.get(key) ?? 1) - 1;
  users.set(key, left);
  if (left === 0) fetcher.release?.(pkg.name, pkg.registry);
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
