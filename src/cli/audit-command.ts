import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import pLimit from 'p-limit';
import { expiredExceptions } from '../policy/exceptions.js';
import { loadPolicy, PolicyError } from '../policy/load-policy.js';
import type { Policy } from '../policy/policy.types.js';
import { formatJson } from '../report/json-report.js';
import { createProgress } from '../report/progress.js';
import type { AuditReport, PackageResult } from '../report/report.types.js';
import { formatSarif } from '../report/sarif-report.js';
import { summarize } from '../report/summarize.js';
import { formatText, shouldUseColor } from '../report/text-report.js';
import { writeOutput } from '../report/write-output.js';
import { createHttpFetcher } from '../sources/http-fetcher.js';
import { cacheSecret, createVerificationCache, defaultCacheDir, NO_CACHE } from '../sources/verification-cache.js';
import { registryKeysFromJson } from '../trust/registry-keys.js';
import { TrustedRootError } from '../trust/trusted-root.js';
import type { TrustMaterial, TrustedPublicKey } from '../trust/trust.types.js';
import { loadTree, TreeError } from '../tree/load-tree.js';
import { loadNpmConfig } from '../tree/npm-registry-config.js';
import type { OmitKind } from '../tree/tree.types.js';
import { auditPackage, type AuditContext } from './audit-package.js';
import { loadTrust, readJsonFile } from './trust-options.js';
import { EXIT, UsageError } from './usage-error.js';

const { version: PKGSEAL_VERSION } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface AuditFlags {
  policy?: string;
  installed?: boolean;
  omit?: OmitKind[];
  offline?: boolean;
  format: 'text' | 'json' | 'sarif';
  output?: string;
  concurrency: string;
  verbose?: boolean;
  cache: boolean;
  cacheDir?: string;
}

export function auditCommand(): Command {
  return new Command('audit')
    .description("Gate a project's dependency tree on its policy: every package must be signed by the identities the policy names")
    .argument('[dir]', 'project folder (package-lock.json, npm-shrinkwrap.json or pnpm-lock.yaml)', '.')
    .option('--policy <file>', 'policy file (default: <dir>/pkgseal.policy.json)')
    .option('--installed', 'audit node_modules (after npm ci --ignore-scripts) instead of the lockfile')
    .addOption(new Option('--omit <kind...>', 'leave out dev, optional or peer dependencies').choices(['dev', 'optional', 'peer']))
    .option('--offline', 'no network at all: evidence only from dir sources')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--output <file>', 'write the report to a file (atomically) instead of stdout')
    .option('--concurrency <n>', 'packages checked at once', '16')
    .option('--verbose', 'also list the packages that pass')
    .option('--no-cache', 'verify every bundle again instead of reusing earlier verifications')
    .option('--cache-dir <dir>', 'verification cache folder (default: $PKGSEAL_CACHE_DIR or ~/.cache/pkgseal)')
    .addHelpText(
      'after',
      `
Examples:
  $ pkgseal audit                                  # the lockfile in this folder, before npm ci
  $ pkgseal audit --installed --omit dev           # node_modules, after npm ci --ignore-scripts
  $ pkgseal audit --format sarif --output pkgseal.sarif
  $ pkgseal audit fixtures/demo --offline

Exit codes: 0 every package conforms (or the policy's mode is "warn"), 1 violations, 2 usage or configuration error.`,
    )
    .action(async (dir: string, flags: AuditFlags) => {
      process.exitCode = await runAudit(dir, flags);
    });
}

async function runAudit(dir: string, flags: AuditFlags): Promise<number> {
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${flags.concurrency}: expected a positive whole number`);
  const policyFile = resolve(flags.policy ?? `${dir}/pkgseal.policy.json`);
  const policy = await loadPolicy(policyFile).catch(asUsageError);
  const npmConfig = await loadNpmConfig(dir);
  const tree = await loadTree(dir, { installed: flags.installed === true, omit: flags.omit ?? [], registryFor: npmConfig.registryFor }).catch(asUsageError);
  const context: AuditContext = {
    policy,
    trustByName: await loadPolicyTrust(policy),
    policyRegistryKeys: await loadPolicyRegistryKeys(policy),
    fetcher: createHttpFetcher({ npmOptions: npmConfig.flat, offline: flags.offline === true }),
    offline: flags.offline === true,
    env: process.env,
    today: new Date(),
    cache: flags.cache ? createVerificationCache({ dir: join(flags.cacheDir ?? defaultCacheDir(process.env), 'verify'), secret: await cacheSecret(process.env), version: PKGSEAL_VERSION }) : NO_CACHE,
  };
  const progress = createProgress(process.stderr, process.env, tree.packages.length);
  const limit = pLimit(concurrency);
  const results: PackageResult[] = await Promise.all(
    tree.packages.map((pkg) =>
      limit(async () => {
        const result = await auditPackage(pkg, context);
        progress.tick();
        return result;
      }),
    ),
  );
  progress.done();
  const report: AuditReport = {
    tool: { name: 'pkgseal', version: PKGSEAL_VERSION },
    project: tree.root,
    lockfile: tree.source,
    policy: policyFile,
    mode: policy.mode,
    summary: summarize(results),
    results,
    policyProblems: expiredExceptions(policy, context.today),
    generatedAt: context.today,
  };
  await writeOutput(render(report, flags), flags.output).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  const failing = report.summary.violations > 0 || report.policyProblems.length > 0;
  return failing && policy.mode === 'enforce' ? EXIT.violation : EXIT.ok;
}

function render(report: AuditReport, flags: AuditFlags): string {
  if (flags.format === 'json') return formatJson(report);
  if (flags.format === 'sarif') return formatSarif(report);
  const color = flags.output === undefined && shouldUseColor(process.stdout, process.env);
  return formatText(report, { color, verbose: flags.verbose === true });
}

function asUsageError(error: unknown): never {
  if (error instanceof PolicyError || error instanceof TreeError) throw new UsageError(error.message);
  throw error;
}

async function loadPolicyTrust(policy: Policy): Promise<Map<string, TrustMaterial>> {
  const trustByName = new Map<string, TrustMaterial>();
  for (const entry of policy.trust) {
    trustByName.set(entry.name, await loadTrust(entry.trustedRoot ? { trustedRoot: entry.trustedRoot } : {}));
  }
  return trustByName;
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
