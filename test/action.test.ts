/**
 * The GitHub Action (action.yml), run locally as the runner would run it: each step's `if` is
 * evaluated, `${{ … }}` expressions are substituted, `run:` steps go to `bash --noprofile --norc
 * -eo pipefail` with the environment GitHub gives (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
 * GITHUB_ACTION_PATH, RUNNER_TEMP, CI), on a copy of fixtures/demo, with the built CLI in place of
 * `npx --yes pkgseal@VERSION`. `uses:` steps are recorded with their inputs, not run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Log } from 'sarif';
import { parse } from 'yaml';
import { CLI, REPO_ROOT } from './support/realdata.js';
import { loadSarifValidator } from './support/sarif-schema.js';

interface ActionStep {
  id?: string;
  name?: string;
  if?: string;
  shell?: string;
  run?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  'working-directory'?: string;
}

interface ActionDefinition {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

const ACTION = parse(readFileSync(join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionDefinition;
const { version: PACKAGE_VERSION } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const NPX_PKGSEAL = /^npx --yes pkgseal@(\S+)$/;

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-action-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface StepRun {
  step: ActionStep;
  skipped: boolean;
  /** Exit code of a `run:` step. */
  code?: number;
  stdout?: string;
  stderr?: string;
  /** A `uses:` step's inputs, expressions substituted. */
  with?: Record<string, string>;
}

interface ActionRun {
  steps: StepRun[];
  summary: string;
  outputs: Record<string, string>;
  workspace: string;
}

let runs = 0;

/** Runs action.yml's steps in order, as a composite action runs them, in a fresh copy of the demo. */
function runAction(inputOverrides: Record<string, string> = {}, prepare?: (workspace: string) => void): ActionRun {
  runs += 1;
  const workspace = join(scratch, `run-${runs}`);
  cpSync(join(REPO_ROOT, 'fixtures/demo'), workspace, { recursive: true });
  prepare?.(workspace);
  const inputs = Object.fromEntries(Object.entries(ACTION.inputs).map(([name, input]) => [name, inputOverrides[name] ?? input.default ?? '']));
  const summaryFile = join(workspace, '..', `summary-${runs}.md`);
  writeFileSync(summaryFile, '');
  const stepOutputs: Record<string, Record<string, string>> = {};
  const context = { inputs, steps: stepOutputs, github: { action_path: REPO_ROOT } };
  const steps: StepRun[] = [];
  let failed = false;
  for (const step of ACTION.runs.steps) {
    if (!evaluateCondition(step.if ?? 'success()', context, failed)) {
      steps.push({ step, skipped: true });
      continue;
    }
    if (step.uses) {
      steps.push({ step, skipped: false, with: Object.fromEntries(Object.entries(step.with ?? {}).map(([key, value]) => [key, substitute(value, context)])) });
      continue;
    }
    const outputFile = join(workspace, '..', `output-${runs}-${steps.length}`);
    writeFileSync(outputFile, '');
    const scriptFile = join(workspace, '..', `step-${runs}-${steps.length}.sh`);
    writeFileSync(scriptFile, step.run!);
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([key, value]) => [key, localCli(substitute(value, context))]));
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
      cwd: join(workspace, substitute(step['working-directory'] ?? '.', context)),
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_ACTION_PATH: REPO_ROOT,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_OUTPUT: outputFile,
        RUNNER_TEMP: join(workspace, '..'),
        PKGSEAL_CACHE_DIR: join(scratch, 'cache'),
        XDG_CONFIG_HOME: join(scratch, 'config'),
        ...stepEnv,
      },
    });
    if (step.id) stepOutputs[step.id] = { outputs: parseOutputs(readFileSync(outputFile, 'utf8')) } as never;
    steps.push({ step, skipped: false, code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr });
    if (result.status !== 0) failed = true;
  }
  const outputs = Object.fromEntries(Object.entries(ACTION.outputs).map(([name, output]) => [name, substitute(output.value, context)]));
  return { steps, summary: readFileSync(summaryFile, 'utf8'), outputs, workspace };
}

/** The one substitution the test makes: the built CLI instead of the published package. */
function localCli(value: string): string {
  return NPX_PKGSEAL.test(value) ? `node ${CLI}` : value;
}

type Context = { inputs: Record<string, string>; steps: Record<string, unknown>; github: Record<string, string> };

function lookup(path: string, context: Context): string {
  const value = path.split('.').reduce<unknown>((parent, key) => (parent as Record<string, unknown> | undefined)?.[key], context);
  return typeof value === 'string' ? value : '';
}

function substitute(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, path: string) => lookup(path, context));
}

/** The expression subset action.yml uses: status functions, `a == 'x'`, `a != ''`, joined by `&&`. */
function evaluateCondition(expression: string, context: Context, failed: boolean): boolean {
  return expression.split('&&').every((term) => {
    const trimmed = term.trim();
    if (trimmed === 'always()') return true;
    if (trimmed === 'success()') return !failed;
    if (trimmed === 'failure()') return failed;
    const comparison = /^([\w.-]+)\s*(==|!=)\s*'([^']*)'$/.exec(trimmed);
    if (!comparison) throw new Error(`action.yml uses an expression this test cannot evaluate: ${trimmed}`);
    const equal = lookup(comparison[1]!, context) === comparison[3];
    return comparison[2] === '==' ? equal : !equal;
  });
}

function parseOutputs(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

function stepNamed(run: ActionRun, pattern: RegExp): StepRun {
  const found = run.steps.find((candidate) => pattern.test(candidate.step.name ?? candidate.step.uses ?? ''));
  assert.ok(found, `no step matching ${pattern}`);
  return found;
}

describe('action.yml', () => {
  test('is a composite action that runs the pinned pkgseal release through npx, with inputs passed as environment variables', () => {
    assert.equal(ACTION.runs.using, 'composite');
    assert.equal(ACTION.inputs.version?.default, PACKAGE_VERSION, 'the version input must default to this release');
    const audit = ACTION.runs.steps.find((step) => step.id === 'audit')!;
    assert.match(audit.env?.PKGSEAL ?? '', /^npx --yes pkgseal@\$\{\{ inputs\.version \}\}$/);
    for (const step of ACTION.runs.steps.filter((candidate) => candidate.run)) {
      assert.equal(step.shell, 'bash');
      assert.doesNotMatch(step.run!, /\$\{\{/, `step "${step.name}" splices an expression into its script; pass it through env`);
    }
    for (const [name, input] of Object.entries(ACTION.inputs)) assert.ok(input.description.length > 10, `input ${name} has no description`);
    const upload = ACTION.runs.steps.find((step) => step.uses?.startsWith('github/codeql-action/upload-sarif@'));
    assert.equal(upload?.uses, 'github/codeql-action/upload-sarif@v3');
    assert.match(upload?.if ?? '', /^always\(\)/, 'the SARIF is uploaded even when the audit fails');
  });

  test('on the demo: writes SARIF for the violation, a summary table, uploads, then fails the job', () => {
    const run = runAction();
    const audit = stepNamed(run, /^pkgseal audit$/);
    assert.equal(audit.code, 0, `${audit.stdout}${audit.stderr}`);
    assert.match(audit.stdout!, /FAIL @demo\/evil-lib@1\.0\.0 .*Fix: /, 'the text report is in the log');
    assert.equal(run.outputs['exit-code'], '1');

    const sarifFile = run.outputs['sarif-file']!;
    assert.equal(sarifFile, join(run.workspace, 'pkgseal.sarif'));
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as Log;
    const validate = loadSarifValidator();
    if (validate) assert.ok(validate(sarif), JSON.stringify(validate.errors));
    const results = sarif.runs[0]!.results!;
    assert.deepEqual(results.map((result) => [result.ruleId, result.properties?.package]), [['pkgseal/identity-mismatch', '@demo/evil-lib']]);

    assert.match(run.summary, /^## pkgseal audit: ❌ the gate is closed$/m);
    assert.match(run.summary, /2 packages: \*\*1 passed\*\*, \*\*1 violations\*\*, 0 exempted, 0 unsupported/);
    assert.match(run.summary, /^\| Outcome \| Package \| Rule \| Why \| Fix \|$/m);
    assert.match(run.summary, /^\| ❌ violation \| `@demo\/evil-lib@1\.0\.0` \| pkgseal\/identity-mismatch \| signed by https:\/\/github\.com\/attacker\/fork\/.* \| if this signer is legitimate.* \|$/m);
    assert.doesNotMatch(run.summary, /@demo\/good-lib@/, 'passing packages are counted, not listed');
    assert.match(run.summary, /npx pkgseal explain/);

    const upload = stepNamed(run, /^Upload SARIF/);
    assert.equal(upload.skipped, false);
    assert.deepEqual(upload.with, { sarif_file: sarifFile, category: 'pkgseal' });

    const gate = stepNamed(run, /^Gate on the verdict$/);
    assert.equal(gate.code, 1);
    assert.match(gate.stdout!, /::error title=pkgseal::dependencies violate the policy/);
    assert.equal(run.outputs['report-file'], join(run.workspace, '..', 'pkgseal-report.json'));
    assert.equal((JSON.parse(readFileSync(run.outputs['report-file']!, 'utf8')) as { summary: { violations: number } }).summary.violations, 1);
  });

  test('fail-on-violation false reports the violation as a warning and passes', () => {
    const run = runAction({ 'fail-on-violation': 'false', 'upload-sarif': 'false' });
    assert.equal(run.outputs['exit-code'], '1');
    assert.equal(stepNamed(run, /^Upload SARIF/).skipped, true);
    const gate = stepNamed(run, /^Gate on the verdict$/);
    assert.equal(gate.code, 0);
    assert.match(gate.stdout!, /::warning title=pkgseal::/);
  });

  test('a policy in warn mode passes, and the summary says it did not fail', () => {
    const run = runAction({ policy: 'warn.policy.json' }, (workspace) => {
      const policy = JSON.parse(readFileSync(join(workspace, 'pkgseal.policy.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(workspace, 'warn.policy.json'), JSON.stringify({ ...policy, mode: 'warn' }));
    });
    assert.equal(run.outputs['exit-code'], '0');
    assert.match(run.summary, /^## pkgseal audit: ⚠️ violations \(mode: warn, not failing\)$/m);
    assert.equal(stepNamed(run, /^Gate on the verdict$/).code, 0);
  });

  test('a configuration error fails the job with exit 2, uploads nothing, and says so in the summary', () => {
    const run = runAction({ policy: 'missing.policy.json' });
    assert.equal(run.outputs['exit-code'], '2');
    assert.match(stepNamed(run, /^pkgseal audit$/).stderr!, /missing\.policy\.json: cannot read policy: no such file/);
    assert.equal(existsSync(join(run.workspace, 'pkgseal.sarif')), false);
    assert.equal(stepNamed(run, /^Upload SARIF/).skipped, true);
    assert.match(run.summary, /^## pkgseal audit could not run$/m);
    assert.equal(stepNamed(run, /^Gate on the verdict$/).code, 2);
  });

  test('the README and docs/ci.md show the action', () => {
    for (const page of ['README.md', 'docs/ci.md']) {
      const text = readFileSync(join(REPO_ROOT, page), 'utf8');
      assert.match(text, /uses: [\w-]+\/pkgseal@/, `${page} shows no "uses: …/pkgseal@…" step`);
      assert.match(text, /security-events: write/, `${page} does not show the permission SARIF upload needs`);
    }
  });
});
