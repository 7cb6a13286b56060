import type { Verdict } from '../policy/evaluate.js';
import type { TreePackage } from '../tree/tree.types.js';

export interface PackageResult {
  package: TreePackage;
  verdict: Verdict;
}

export interface AuditReport {
  policy: string;
  mode: 'enforce' | 'warn';
  results: PackageResult[];
}

export function summarize(report: AuditReport): { packages: number; passed: number; violations: number } {
  const violations = report.results.filter((result) => result.verdict.outcome === 'violation').length;
  return { packages: report.results.length, passed: report.results.length - violations, violations };
}

/** One line per package (problems name the path in the tree and the fix), then a summary. */
export function formatText(report: AuditReport): string {
  const lines = report.results.map(({ package: pkg, verdict }) =>
    verdict.outcome === 'pass'
      ? `PASS ${pkg.name}@${pkg.version}: ${verdict.reason}`
      : `FAIL ${pkg.name}@${pkg.version} (${pkg.paths[0]}): ${verdict.reason}. Fix: ${verdict.fix}`,
  );
  const { packages, passed, violations } = summarize(report);
  const warnOnly = report.mode === 'warn' && violations > 0 ? ' (mode: warn, not failing)' : '';
  lines.push(`${packages} packages: ${passed} passed, ${violations} violations${warnOnly}`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(report: AuditReport): string {
  return `${JSON.stringify(
    {
      policy: report.policy,
      mode: report.mode,
      summary: summarize(report),
      results: report.results.map(({ package: pkg, verdict }) => ({ name: pkg.name, version: pkg.version, path: pkg.paths[0], ...verdict })),
    },
    null,
    2,
  )}\n`;
}
