import { formatDay } from '../policy/exceptions.js';
import { comparePackages, PROBLEM_OUTCOMES } from './summarize.js';
import type { AuditReport, Outcome, PackageResult } from './report.types.js';

export interface TextOptions {
  /** ANSI colour; the caller decides, with `shouldUseColor`. */
  color: boolean;
  /** Also list the packages that passed. */
  verbose: boolean;
}

/** Passes after the problems, and only when verbose. */
const OUTCOME_ORDER = [...PROBLEM_OUTCOMES, 'pass'] as const satisfies readonly Outcome[];

/** How each outcome is labelled in text output (shared by `audit` and `explain`). */
export const OUTCOME_LABEL = {
  violation: { text: 'FAIL', ansi: '31' },
  unsupported: { text: 'UNSUPPORTED', ansi: '33' },
  exempted: { text: 'EXEMPT', ansi: '36' },
  pass: { text: 'PASS', ansi: '32' },
} as const satisfies Record<Outcome, { text: string; ansi: string }>;

/**
 * The human report: one line per problem, grouped by outcome (violations, unsupported,
 * exempted, then passes when verbose), a summary line, then one `policy:` line per problem
 * with the policy itself.
 */
export function formatText(report: AuditReport, options: TextOptions): string {
  const paint = (ansi: string, text: string): string => (options.color ? `\u001b[${ansi}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  const sorted = [...report.results].sort(comparePackages);
  for (const outcome of OUTCOME_ORDER) {
    if (outcome === 'pass' && !options.verbose) continue;
    for (const result of sorted.filter((candidate) => candidate.outcome === outcome)) {
      lines.push(`${paint(OUTCOME_LABEL[outcome].ansi, OUTCOME_LABEL[outcome].text)} ${outcome === 'pass' ? describePass(result) : describeProblem(result)}`);
    }
  }
  lines.push(summaryLine(report));
  for (const problem of report.policyProblems) lines.push(`${paint('31', 'policy:')} ${oneLine(problem)}`);
  return `${lines.join('\n')}\n`;
}

/** `name@version (path in tree): why. Fix: what to do` on one line; SARIF messages use it too. */
export function describeProblem(result: PackageResult): string {
  const path = result.paths[0] ? ` (${oneLine(result.paths[0])})` : '';
  const why = oneLine(result.reason).replace(/\.$/, '');
  const exception = result.exception ? ` (exception expires ${formatDay(result.exception.expires)}: ${oneLine(result.exception.reason)})` : '';
  const fix = result.fix ? `. Fix: ${oneLine(result.fix)}` : '';
  return `${packageSpec(result)}${path}: ${why}${exception}${fix}`;
}

function describePass(result: PackageResult): string {
  return `${packageSpec(result)}: ${oneLine(result.reason)}`;
}

function packageSpec(result: PackageResult): string {
  return oneLine(`${result.name}@${result.version}`);
}

function summaryLine(report: AuditReport): string {
  const { packages, passed, violations, exempted, unsupported } = report.summary;
  const warnOnly = report.mode === 'warn' && violations > 0 ? ' (mode: warn, not failing)' : '';
  return `${packages} packages: ${passed} passed, ${violations} violations, ${exempted} exempted, ${unsupported} unsupported${warnOnly}`;
}

/**
 * Keeps a report line one line and inert: reasons can quote package metadata, so line breaks
 * become spaces and control characters (including ESC, which could drive the terminal) go.
 */
export function oneLine(text: string): string {
  return text.replace(/\s*[\u0000-\u001f\u007f-\u009f\u2028\u2029]+\s*/g, ' ').trim();
}

export interface ColorStream {
  isTTY?: boolean;
}

/**
 * no-color.org: a non-empty `NO_COLOR` always wins. Otherwise `FORCE_COLOR` (any value but
 * `0`/`false`, as Node reads it) turns colour on, and without it only a terminal that is not
 * `TERM=dumb` gets colour.
 */
export function shouldUseColor(stream: ColorStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}
