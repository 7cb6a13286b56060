import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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


export interface AuditFlags {
  policy?: string;
  installed?: boolean;
  omit?: OmitKind[];
  offline?: boolean;
  format: 'text' | 'json' | 'sarif';
  output?: string;
  concurrency: string;
  verbose?: boolean;
  quiet?: boolean;
  cache: boolean;
  cacheDir?: string;
}


export async function runAudit(dir: string, flags: AuditFlags): Promise<number> {
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${flags.concurrency}: expected a positive whole number`);
  const policyFile = resolve(flags.policy ?? `${dir}/pkgseal.policy.json`);
  const policy = await loadPolicy(policyFile).catch(asUsageError);
  const npmConfig = await loadNpmConfig(dir);
  const tree = await loadTree(dir, { installed: flags.installed === true, omit: flags.omit ?? [], registryFor: npmConfig.registryFor }).catch(asUsageError);
  if (flags.output) await refuseToOverwriteInputs(flags.output, [policyFile, tree.source, join(tree.root, 'package.json')]);
  const report = await auditDependencyTree(tree, policy, {
    npmOptions: npmConfig.flat,
    fetch: npmConfig.fetch,
    offline: flags.offline === true,
    concurrency,
    cache: flags.cache,
    ...(flags.cacheDir ? { cacheDir: flags.cacheDir } : {}),
    env: process.env,
    ...(flags.quiet ? {} : { progress: createProgress(process.stderr, process.env, tree.packages.length) }),
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
  if (flags.quiet) return quietText(report, color);
  return formatText(report, { color, verbose: flags.verbose === true });
}

/** `--quiet`: nothing when nothing fails; otherwise only the violations, the summary and policy problems. */
function quietText(report: AuditReport, color: boolean): string {
  if (report.summary.violations === 0 && report.policyProblems.length === 0) return '';
  return formatText({ ...report, results: report.results.filter((result) => result.outcome === 'violation') }, { color, verbose: false });
}

/** `--output pkgseal.policy.json` would replace the policy with its own report. */
async function refuseToOverwriteInputs(output: string, inputs: string[]): Promise<void> {
  const target = await realpath(output).catch(() => resolve(output));
  for (const input of inputs) {
    if (target === (await realpath(input).catch(() => resolve(input)))) {
      throw new UsageError(`--output ${output} would overwrite ${input}, which the audit reads; write the report to another file`);
    }
  }
}

function asUsageError(error: unknown): never {
  if (error instanceof PolicyError || error instanceof TreeError) throw new UsageError(error.message);
  throw error;
}


