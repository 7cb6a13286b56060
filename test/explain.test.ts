import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

const DEMO = join(REPO_ROOT, 'fixtures/demo');
const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-explain-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the demo project, its policy edited. */
function demoWithPolicy(name: string, edit: (policy: Record<string, unknown>) => void): string {
  const dir = join(scratch, name);
  cpSync(DEMO, dir, { recursive: true });
  const file = join(dir, 'pkgseal.policy.json');
  const policy = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(policy);
  writeFileSync(file, `${JSON.stringify(policy, null, 2)}\n`);
  return dir;
}

interface ExplanationJson {
  name: string;
  version: string;
  entry?: { pointer: string; match: string; at: string; why: string; passedOver: string[]; require: string };
  sources: string[];
  checks: string[];
  evidence?: { location: string; cached: boolean; attestations: Array<{ predicateType?: string; signer: Record<string, string> }> };
  verdict: { outcome: string; ruleId?: string; reason: string; fix?: string };
}

async function explainJson(args: string[], cwd = DEMO): Promise<{ code: number; explanations: ExplanationJson[] }> {
  const result = await runCli(['explain', ...args, '--format', 'json', '--no-cache'], { cwd });
  assert.equal(result.stderr, '');
  return { code: result.code, explanations: JSON.parse(result.stdout) as ExplanationJson[] };
}

describe('pkgseal explain: why one package passes or fails', () => {
  test('names the matching entry with its position, the sources tried, the verified signer, the verdict and the fix', async () => {
    const result = await runCli(['explain', '@demo/evil-lib', '--no-cache'], { cwd: DEMO });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const text = result.stdout;
    assert.match(text, /^@demo\/evil-lib@1\.0\.0$/m);
    assert.match(text, /^ {2}entry {7}\/packages\/0 "@demo\/\*" at pkgseal\.policy\.json:17:5$/m);
    assert.match(text, /the first entry that matches: @demo\/evil-lib fits the glob "@demo\/\*"/);
    assert.match(text, /^ {2}sources {5}dir evidence: found evidence\/@demo\/evil-lib@1\.0\.0\.sigstore\.json$/m);
    for (const [claim, value] of [
      ['issuer', 'https://token.actions.githubusercontent.com'],
      ['SAN', 'https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main'],
      ['repository', 'https://github.com/attacker/fork'],
      ['workflow', '.github/workflows/release.yml'],
      ['ref', 'refs/heads/main'],
      ['runner', 'github-hosted'],
    ] as const) {
      assert.match(text, new RegExp(`^ {14}${claim} +${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), `signer ${claim}`);
    }
    assert.match(text, /identity 1: does not match \(subject: expected glob .*repository: expected "https:\/\/github\.com\/demo-org\/good-lib", got "https:\/\/github\.com\/attacker\/fork"\)/);
    assert.match(text, /^ {2}verdict {5}FAIL \(pkgseal\/identity-mismatch\): signed by https:\/\/github\.com\/attacker\/fork\//m);
    assert.match(text, /^ {2}fix {9}if this signer is legitimate, add it to the identities of the entry matching "@demo\/\*"$/m);
    assert.match(text, /identity to add: \{"issuer":"https:\/\/token\.actions\.githubusercontent\.com","subject":"https:\/\/github\.com\/attacker\/fork\/\.github\/workflows\/release\.yml@refs\/heads\/\*"/);
    assert.doesNotMatch(text, /\u001b\[/, 'no colour when stdout is not a terminal');
  });

  test('a passing package: exit 0, the identity matches, no fix', async () => {
    const result = await runCli(['explain', '@demo/good-lib@1.0.0', '--no-cache'], { cwd: DEMO });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /identity 1: matches/);
    assert.match(result.stdout, /^ {2}verdict {5}PASS: signed by https:\/\/github\.com\/demo-org\/good-lib\//m);
    assert.doesNotMatch(result.stdout, /^ {2}fix/m);
  });

  test('gives the same verdict as pkgseal audit for every package of the tree', async () => {
    const audit = await runCli(['audit', '--format', 'json', '--no-cache'], { cwd: DEMO });
    const results = (JSON.parse(audit.stdout) as { results: Array<{ name: string; version: string; outcome: string; ruleId?: string; reason: string; fix?: string }> }).results;
    for (const result of results) {
      const { explanations } = await explainJson([`${result.name}@${result.version}`]);
      const { verdict } = explanations[0]!;
      assert.deepEqual({ outcome: verdict.outcome, ruleId: verdict.ruleId, reason: verdict.reason, fix: verdict.fix }, { outcome: result.outcome, ruleId: result.ruleId, reason: result.reason, fix: result.fix });
    }
  });

  test('--format json carries the same steps as data', async () => {
    const { code, explanations } = await explainJson(['@demo/evil-lib']);
    assert.equal(code, 1);
    const [explanation] = explanations;
    assert.equal(explanation!.entry!.pointer, '/packages/0');
    assert.match(explanation!.entry!.at, /pkgseal\.policy\.json:17:5$/);
    assert.equal(explanation!.sources.length, 1);
    assert.match(explanation!.sources[0]!, /^dir .*evidence: found .*evil-lib@1\.0\.0\.sigstore\.json$/);
    assert.equal(explanation!.evidence!.cached, false);
    assert.deepEqual(
      { ...explanation!.evidence!.attestations[0]!.signer, sha: undefined },
      {
        kind: 'certificate',
        issuer: 'https://token.actions.githubusercontent.com',
        subject: 'https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main',
        repository: 'https://github.com/attacker/fork',
        workflow: '.github/workflows/release.yml',
        ref: 'refs/heads/main',
        trigger: 'push',
        sha: undefined,
        runner: 'github-hosted',
      },
    );
    assert.equal(explanation!.verdict.ruleId, 'pkgseal/identity-mismatch');
  });

  test('an earlier entry that names the package but not its version is shown as skipped', async () => {
    const dir = demoWithPolicy('ranged', (policy) => {
      const [entry] = policy.packages as Array<Record<string, unknown>>;
      policy.packages = [{ match: '@demo/evil-lib', versions: '>=2', require: 'none' }, entry];
    });
    const { explanations } = await explainJson(['@demo/evil-lib'], dir);
    assert.equal(explanations[0]!.entry!.pointer, '/packages/1');
    assert.deepEqual(explanations[0]!.entry!.passedOver.map((line) => line.replace(/\(.*\)/, '(…)')), ['/packages/0 "@demo/evil-lib" (…) names it, but 1.0.0 is not in ">=2"']);
  });

  test('no matching entry: says the defaults apply, and which sources were not consulted', async () => {
    const dir = demoWithPolicy('defaults', (policy) => {
      policy.packages = [];
      policy.defaults = { require: 'none' };
    });
    const result = await runCli(['explain', '@demo/evil-lib'], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ {2}entry {7}\/defaults "\(defaults\)" at .*pkgseal\.policy\.json:\d+:\d+$/m);
    assert.match(result.stdout, /no entry of "packages" \(0\) matches @demo\/evil-lib@1\.0\.0, so "defaults" applies/);
    assert.match(result.stdout, /^ {2}sources {5}none consulted: the entry requires nothing$/m);
  });

  test('an exception: shows it, exit 0', async () => {
    const dir = demoWithPolicy('exception', (policy) => {
      policy.exceptions = [{ package: '@demo/evil-lib@1.0.0', reason: 'reviewed the fork build', expires: '2099-01-01' }];
    });
    const result = await runCli(['explain', '@demo/evil-lib'], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^ {2}exception {3}until 2099-01-01: reviewed the fork build$/m);
    assert.match(result.stdout, /^ {2}verdict {5}EXEMPT/m);
    assert.match(result.stdout, /none consulted: an exception applies/);
  });

  test('missing evidence: each source says what it returned, and the fix names the command', async () => {
    const dir = demoWithPolicy('missing', (policy) => {
      policy.sources = [{ dir: './no-evidence-here' }, { dir: './evidence' }];
    });
    rmSync(join(dir, 'evidence/@demo/evil-lib@1.0.0.sigstore.json'));
    const { code, explanations } = await explainJson(['@demo/evil-lib'], dir);
    assert.equal(code, 1);
    assert.deepEqual(explanations[0]!.sources.map((line) => line.replace(dir, '.')), [
      'dir ./no-evidence-here: nothing for @demo/evil-lib@1.0.0',
      'dir ./evidence: nothing for @demo/evil-lib@1.0.0',
    ]);
    assert.equal(explanations[0]!.verdict.ruleId, 'pkgseal/missing-evidence');
    assert.match(explanations[0]!.verdict.fix!, /pkgseal publish/);
  });

  test('a package that is not in the tree is a usage error naming the close match', async () => {
    const result = await runCli(['explain', 'good-lib'], { cwd: DEMO });
    assert.equal(result.code, 2);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.match(result.stderr, /good-lib is not in the dependency tree of .*package-lock\.json \(did you mean @demo\/good-lib\?\)/);
  });

  test('a version that is not in the tree lists the versions that are', async () => {
    const result = await runCli(['explain', '@demo/good-lib@2.0.0'], { cwd: DEMO });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /@demo\/good-lib@2\.0\.0 is not in the dependency tree .*; it has @demo\/good-lib@1\.0\.0\n$/);
  });

  test('a broken policy is a usage error naming file, line and column', async () => {
    const dir = join(scratch, 'broken');
    cpSync(DEMO, dir, { recursive: true });
    writeFileSync(join(dir, 'pkgseal.policy.json'), '{\n  "version": 1,\n  "mode": "enforce",\n  "sources": ["registry"],\n  "packges": []\n}\n');
    const result = await runCli(['explain', '@demo/good-lib'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pkgseal\.policy\.json:5:3: \/: unknown key "packges" \(did you mean "packages"\?\)/);
  });
});

describe('terminal manners', () => {
  test('colour only when asked for (FORCE_COLOR) and never with NO_COLOR', async () => {
    const forced = await runCli(['explain', '@demo/evil-lib'], { cwd: DEMO, env: { ...process.env, FORCE_COLOR: '1', NO_COLOR: '' } });
    assert.match(forced.stdout, /\u001b\[31mFAIL\u001b\[0m/);
    const noColor = await runCli(['explain', '@demo/evil-lib'], { cwd: DEMO, env: { ...process.env, FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.doesNotMatch(noColor.stdout, /\u001b\[/);
  });

  test('audit --quiet prints only the violations and the summary', async () => {
    const result = await runCli(['audit', '--quiet'], { cwd: DEMO });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stdout.trimEnd().split('\n').map((line) => line.split(' ')[0]), ['FAIL', '2']);
    assert.equal(result.stderr, '');
  });

  test('audit --quiet prints nothing when nothing fails', async () => {
    const dir = demoWithPolicy('quiet-clean', (policy) => {
      policy.exceptions = [{ package: '@demo/evil-lib', reason: 'reviewed', expires: '2099-01-01' }];
    });
    const result = await runCli(['audit', '--quiet'], { cwd: dir });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, '');
  });

  test('--quiet and --verbose cannot be combined', async () => {
    const result = await runCli(['audit', '--quiet', '--verbose'], { cwd: DEMO });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot be used with/);
  });

  test('audit help points to explain', async () => {
    const result = await runCli(['audit', '--help']);
    assert.match(result.stdout, /pkgseal explain NAME/);
  });
});

describe('the newcomer path (docs/getting-started.md)', () => {
  test('is generated by running the real commands, and the committed page is up to date', () => {
    const out = join(scratch, 'getting-started.md');
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/newcomer.mjs'), '--out', out], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const page = readFileSync(out, 'utf8');
    assert.match(page, /~\/my-app\$ pkgseal init --from-tree --evidence-dir evidence --trusted-root trusted_root\.json --offline\nWrote pkgseal\.policy\.json \(mode: warn/);
    assert.match(page, /~\/my-app\$ pkgseal audit --offline\n2 packages: 2 passed, 0 violations/);
    assert.match(page, /~\/my-app\$ pkgseal audit --offline\nFAIL @demo\/good-lib@1\.0\.1 .*demo-org\/good-lib.*attacker\/fork.*Fix: .*\n2 packages: 1 passed, 1 violations/);
    assert.match(page, /~\/my-app\$ pkgseal explain @demo\/good-lib --offline\n[\s\S]*verdict {5}FAIL \(pkgseal\/identity-mismatch\)[\s\S]*fix {9}if this signer is legitimate/);
    assert.doesNotMatch(page, new RegExp(tmpdir().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'temporary paths are replaced');
    assert.equal(readFileSync(join(REPO_ROOT, 'docs/getting-started.md'), 'utf8'), page, 'docs/getting-started.md is stale: run `npm run build && node scripts/newcomer.mjs`');
  });
});
