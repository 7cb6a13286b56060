import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { findRule, effectiveRule } from '../policy/evaluate.js';
import { parseLocatedJson } from '../policy/json-locations.js';
import { loadPolicy, PolicyError } from '../policy/load-policy.js';
import type { PackageRule, Policy } from '../policy/policy.types.js';
import { shouldUseColor } from '../report/text-report.js';
import { loadTree, TreeError } from '../tree/load-tree.js';
import { loadNpmConfig } from '../tree/npm-registry-config.js';
import type { DependencyTree, TreePackage } from '../tree/tree.types.js';
import { auditPackage, type AuditTrace } from './audit-package.js';
import { createAuditContext } from './audit-run.js';
import { explanationJson, formatExplanation, type EntryExplanation, type Explanation } from './explain-report.js';
import { EXIT, UsageError } from './usage-error.js';

export interface ExplainFlags {
  policy?: string;
  installed?: boolean;
  offline?: boolean;
  format: 'text' | 'json';
  cache: boolean;
  cacheDir?: string;
}

/**
 * `pkgseal explain NAME[@VERSION]`: audits the matching packages of the tree exactly as
 * `pkgseal audit` does (same driver, same policy), recording each step to show it.
 */
export async function runExplain(spec: string, dir: string, flags: ExplainFlags): Promise<number> {
  const { name, version } = parsePackageArgument(spec);
  const policy = await loadPolicy(resolve(flags.policy ?? `${dir}/pkgseal.policy.json`)).catch(asUsageError);
  const npmConfig = await loadNpmConfig(dir);
  const tree = await loadTree(dir, { installed: flags.installed === true, omit: [], registryFor: npmConfig.registryFor }).catch(asUsageError);
  const packages = selectPackages(tree, name, version);
  const context = await createAuditContext(policy, {
    npmOptions: npmConfig.flat,
    offline: flags.offline === true,
    cache: flags.cache,
    ...(flags.cacheDir ? { cacheDir: flags.cacheDir } : {}),
    env: process.env,
  });
  const positionOf = await policyPositions(policy.file);
  const explanations: Explanation[] = [];
  for (const pkg of packages) {
    const { trace, steps } = recordingTrace();
    const result = await auditPackage(pkg, context, trace);
    explanations.push({ result, policy: { file: policy.file, mode: policy.mode }, entry: explainEntry(policy, pkg, positionOf), lockfile: tree.source, ...steps });
  }
  const text =
    flags.format === 'json'
      ? `${JSON.stringify(explanations.map(explanationJson), null, 2)}\n`
      : formatExplanation(explanations, { color: shouldUseColor(process.stdout, process.env), cwd: process.cwd() });
  process.stdout.write(text);
  return explanations.some((explanation) => explanation.result.outcome === 'violation') ? EXIT.violation : EXIT.ok;
}

/** `name`, `name@version`, `@scope/name` or `@scope/name@version`: the `@` of a scope is not a separator. */
function parsePackageArgument(spec: string): { name: string; version?: string } {
  const at = spec.lastIndexOf('@');
  const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
  if (name === '' || version === '') throw new UsageError(`${spec}: expected NAME or NAME@VERSION`);
  return version === undefined ? { name } : { name, version };
}

function selectPackages(tree: DependencyTree, name: string, version: string | undefined): TreePackage[] {
  const named = tree.packages.filter((pkg) => pkg.name === name);
  if (named.length === 0) {
    const close = tree.packages.map((pkg) => pkg.name).find((candidate) => candidate.toLowerCase() === name.toLowerCase() || candidate.endsWith(`/${name}`));
    throw new UsageError(`${name} is not in the dependency tree of ${tree.source}${close ? ` (did you mean ${close}?)` : ''}; "pkgseal audit --verbose" lists every package`);
  }
  if (version === undefined) return named;
  const exact = named.filter((pkg) => pkg.version === version);
  if (exact.length === 0) throw new UsageError(`${name}@${version} is not in the dependency tree of ${tree.source}; it has ${named.map((pkg) => `${name}@${pkg.version}`).join(', ')}`);
  return exact;
}

function recordingTrace(): { trace: AuditTrace; steps: Pick<Explanation, 'sources' | 'notes' | 'evidence'> } {
  const steps: Pick<Explanation, 'sources' | 'notes' | 'evidence'> = { sources: [], notes: [] };
  return {
    steps,
    trace: {
      source: (line) => steps.sources.push(line),
      note: (line) => steps.notes.push(line),
      verified: (location, attestations, cached) => {
        steps.evidence = { location, attestations: [...attestations], cached };
      },
    },
  };
}

/**
 * Which entry applies and why, found with the audit's own rule lookup (`effectiveRule`), plus the
 * earlier entries that name the package but whose version range leaves it out.
 */
function explainEntry(policy: Policy, pkg: TreePackage, positionOf: (pointer: string) => string): EntryExplanation | undefined {
  const rule = effectiveRule(policy, pkg.name, pkg.version);
  if (!rule) return undefined;
  const passedOver = policy.packages
    .slice(0, rule.pointer === '/defaults' ? undefined : policy.packages.findIndex((candidate) => candidate.pointer === rule.pointer))
    .filter((candidate) => matchesName(policy, candidate, pkg))
    .map((candidate) => `${candidate.pointer} "${candidate.match}" (${positionOf(candidate.pointer)}) names it, but ${pkg.version} is not in "${candidate.versions}"`);
  return { rule, at: positionOf(rule.pointer), why: whyRuleApplies(policy, rule, pkg), passedOver };
}

function whyRuleApplies(policy: Policy, rule: PackageRule, pkg: TreePackage): string {
  if (rule.pointer === '/defaults') return `no entry of "packages" (${policy.packages.length}) matches ${pkg.name}@${pkg.version}, so "defaults" applies`;
  const range = rule.versions === undefined ? '' : ` and ${pkg.version} is in "${rule.versions}"`;
  return `the first entry that matches: ${pkg.name} fits the glob "${rule.match}"${range}`;
}

/** The name part of an entry's match, through the audit's own lookup: the entry alone, without its range. */
function matchesName(policy: Policy, candidate: PackageRule, pkg: TreePackage): boolean {
  const { versions: _range, ...withoutRange } = candidate;
  return findRule({ ...policy, packages: [withoutRange] }, pkg.name, pkg.version) !== undefined;
}

/** `file:line:column` of a JSON pointer in the policy file, as `pkgseal policy check` prints positions. */
async function policyPositions(file: string): Promise<(pointer: string) => string> {
  const located = parseLocatedJson(await readFile(file, 'utf8'));
  return (pointer) => {
    const { line, column } = located.positionOf(pointer);
    return `${file}:${line}:${column}`;
  };
}

function asUsageError(error: unknown): never {
  if (error instanceof PolicyError || error instanceof TreeError) throw new UsageError(error.message);
  throw error;
}
