import { formatDay } from '../policy/exceptions.js';
import { comparePackages, ruleIdFor } from './summarize.js';
import type { AuditReport, PackageResult } from './report.types.js';

/** Bumped only on a breaking change to the shape documented in docs/report-json.md. */
export const JSON_SCHEMA_VERSION = 1;

/**
 * `--format json`: the shape documented in docs/report-json.md. Keys are written in a fixed
 * order, results sorted by name then version, optional fields omitted rather than null or
 * undefined, dates as ISO 8601 strings, so two runs over the same tree give the same bytes.
 */
export function formatJson(report: AuditReport): string {
  const document = {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: report.tool.name, version: report.tool.version },
    generatedAt: report.generatedAt?.toISOString(),
    project: report.project,
    lockfile: report.lockfile,
    policy: report.policy,
    mode: report.mode,
    summary: {
      packages: report.summary.packages,
      passed: report.summary.passed,
      violations: report.summary.violations,
      exempted: report.summary.exempted,
      unsupported: report.summary.unsupported,
    },
    results: [...report.results].sort(comparePackages).map(jsonResult),
    policyProblems: [...report.policyProblems],
  };
  // JSON.stringify leaves out keys whose value is undefined: optional fields simply do not appear.
  return `${JSON.stringify(document, null, 2)}\n`;
}

function jsonResult(result: PackageResult): object {
  return {
    name: result.name,
    version: result.version,
    outcome: result.outcome,
    ruleId: result.outcome === 'pass' ? undefined : ruleIdFor(result),
    reason: result.reason,
    fix: result.fix,
    paths: [...result.paths],
    location: result.location && { file: result.location.file, line: result.location.line, column: result.location.column },
    rule: result.rule,
    signer: result.signer && {
      issuer: result.signer.issuer,
      subject: result.signer.subject,
      repository: result.signer.repository,
      workflow: result.signer.workflow,
      ref: result.signer.ref,
    },
    exception: result.exception && { reason: result.exception.reason, expires: formatDay(result.exception.expires) },
  };
}
