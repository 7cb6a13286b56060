import semver from 'semver';
import type { AuditSummary, Outcome, PackageResult, RuleId } from './report.types.js';

/** Counts results by outcome; `packages` is the number of results. */
export function summarize(results: readonly PackageResult[]): AuditSummary {
  const count = (outcome: Outcome): number => results.filter((result) => result.outcome === outcome).length;
  return {
    packages: results.length,
    passed: count('pass'),
    violations: count('violation'),
    exempted: count('exempted'),
    unsupported: count('unsupported'),
  };
}

/** The order every report lists problems in: worst first. Passes are not problems. */
export const PROBLEM_OUTCOMES = ['violation', 'unsupported', 'exempted'] as const satisfies readonly Outcome[];

/**
 * The one order every report lists packages in: name (code units, not locale, so output is the
 * same on every machine), then version (semver where both parse), then first path.
 */
export function comparePackages(a: PackageResult, b: PackageResult): number {
  return compareStrings(a.name, b.name) || compareVersions(a.version, b.version) || compareStrings(a.paths[0] ?? '', b.paths[0] ?? '');
}

function compareVersions(a: string, b: string): number {
  if (semver.valid(a) && semver.valid(b)) return semver.compareBuild(a, b) || compareStrings(a, b);
  return compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Used only when the audit did not set `ruleId`: the first pattern that matches the reason. */
const RULE_BY_REASON = [
  [/no policy entry/i, 'pkgseal/no-policy-entry'],
  [/unsupported source/i, 'pkgseal/unsupported-source'],
  [/does not verify|verification failed/i, 'pkgseal/verification-failed'],
  [/does not allow|not allowed/i, 'pkgseal/identity-mismatch'],
  [/downgrade|earlier version/i, 'pkgseal/evidence-downgrade'],
  [/no evidence|no bundle|no SLSA provenance|not signed/i, 'pkgseal/missing-evidence'],
] as const satisfies ReadonlyArray<readonly [RegExp, RuleId]>;

/** The kind of problem: as the audit set it, else from the outcome and reason. */
export function ruleIdFor(result: PackageResult): RuleId {
  if (result.ruleId) return result.ruleId;
  if (result.outcome === 'unsupported') return 'pkgseal/unsupported-source';
  return RULE_BY_REASON.find(([pattern]) => pattern.test(result.reason))?.[1] ?? 'pkgseal/violation';
}
