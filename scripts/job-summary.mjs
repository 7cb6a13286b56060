// The GitHub Action's job summary: reads a `pkgseal audit --format json` report (docs/report-json.md)
// and writes a Markdown table of the problems (violations, unsupported, exempted) to stdout, for
// `>> "$GITHUB_STEP_SUMMARY"`. Passing packages are only counted: a tree has thousands.
// Usage: node scripts/job-summary.mjs REPORT.json [EXIT_CODE]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const OUTCOMES = {
  violation: '❌ violation',
  unsupported: '⚠️ unsupported',
  exempted: 'ℹ️ exempted',
};
const MAX_ROWS = 200;

const [reportFile, exitCode = ''] = process.argv.slice(2);
if (!reportFile) {
  console.error('usage: node scripts/job-summary.mjs REPORT.json [EXIT_CODE]');
  process.exit(2);
}
process.stdout.write(summaryMarkdown(readReport(reportFile), exitCode));

function readReport(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    process.stdout.write(`## pkgseal audit could not run\n\nNo report (${oneLine(error.message)}): see the step's log for the error.\n`);
    process.exit(0);
  }
}

function summaryMarkdown(report, exitCode) {
  const { summary } = report;
  const problems = report.results.filter((result) => result.outcome in OUTCOMES);
  const failing = summary.violations > 0 || report.policyProblems.length > 0;
  const verdict = !failing ? '✅ every package conforms' : report.mode === 'warn' ? '⚠️ violations (mode: warn, not failing)' : '❌ the gate is closed';
  const lines = [
    `## pkgseal audit: ${verdict}`,
    '',
    `${summary.packages} packages: **${summary.passed} passed**, **${summary.violations} violations**, ${summary.exempted} exempted, ${summary.unsupported} unsupported` +
      ` · policy \`${relative(report.project, report.policy)}\` (mode: ${report.mode}) · lockfile \`${relative(report.project, report.lockfile)}\`${exitCode ? ` · exit code ${exitCode}` : ''}`,
    '',
  ];
  if (problems.length > 0) {
    lines.push('| Outcome | Package | Rule | Why | Fix |', '| --- | --- | --- | --- | --- |');
    for (const result of problems.slice(0, MAX_ROWS)) {
      lines.push(`| ${OUTCOMES[result.outcome]} | \`${cell(result.name)}@${cell(result.version)}\` | ${cell(result.ruleId ?? '')} | ${cell(result.reason)} | ${cell(result.fix ?? '')} |`);
    }
    if (problems.length > MAX_ROWS) lines.push('', `… and ${problems.length - MAX_ROWS} more: see the SARIF results in code scanning.`);
    lines.push('');
  }
  for (const problem of report.policyProblems) lines.push(`- ❌ policy: ${cell(problem)}`);
  if (report.policyProblems.length > 0) lines.push('');
  if (summary.violations > 0) lines.push('To see why a package failed and what to change, run `npx pkgseal explain <name>` in the project.', '');
  return `${lines.join('\n')}\n`;
}

/** A table cell: one line, pipes escaped, no HTML. */
function cell(text) {
  return oneLine(String(text)).replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function oneLine(text) {
  return text.replace(/\s*[\u0000-\u001f\u007f-\u009f\u2028\u2029]+\s*/g, ' ').trim();
}
