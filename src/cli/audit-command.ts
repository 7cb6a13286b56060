import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadPolicy, PolicyError } from '../policy/load-policy.js';
import { formatJson } from '../report/json-report.js';
import { createProgress } from '../report/progress.js';
import type { AuditReport } from '../report/report.types.js';
import { formatSarif } from '../report/sarif-report.js';
import { formatText, shouldUseColor } from '../report/text-report.js';
import { writeOutput } from '../report/write-output.js';
import { loadTree, TreeError } from '../tree/load-tree.js';
import { loadNpmConfig } from '../tree/npm-registry-config.js';
import type { OmitKind } from '../tree/tree.types.js';
import { auditDependencyTree, auditFails } from './audit-run.js';
import { EXIT, UsageError } from './usage-error.js';


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
  const report = await auditDependencyTree(tree, policy, {
    npmOptions: npmConfig.flat,
    offline: flags.offline === true,
    concurrency,
    cache: flags.cache,
    ...(flags.cacheDir ? { cacheDir: flags.cacheDir } : {}),
    env: process.env,
    progress: createProgress(process.stderr, process.env, tree.packages.length),
  });
  await writeOutput(render(report, flags), flags.output).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  return auditFails(report) ? EXIT.violation : EXIT.ok;
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


