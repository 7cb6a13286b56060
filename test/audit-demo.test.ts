import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

const DEMO = join(REPO_ROOT, 'fixtures/demo');
const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-audit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the demo project whose files a test may change. */
function demoCopy(name: string): string {
  const dir = join(scratch, name);
  cpSync(DEMO, dir, { recursive: true });
  return dir;
}

function editPolicy(dir: string, edit: (policy: Record<string, unknown>) => void): void {
  const file = join(dir, 'pkgseal.policy.json');
  const policy = JSON.parse(readFileSync(file, 'utf8'));
  edit(policy);
  writeFileSync(file, JSON.stringify(policy));
}

describe('pkgseal audit on the bundled offline demo', () => {
  test('passes the package signed by the expected workflow and fails the one signed from a fork', async () => {
    const result = await runCli(['audit', DEMO, '--offline', '--verbose']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^PASS @demo\/good-lib@1\.0\.0: signed by https:\/\/github\.com\/demo-org\/good-lib\//m);
    assert.match(result.stdout, /^FAIL @demo\/evil-lib@1\.0\.0 \(node_modules\/@demo\/evil-lib\): signed by https:\/\/github\.com\/attacker\/fork\/.*Fix: /m);
    assert.match(result.stdout, /^2 packages: 1 passed, 1 violations, 0 exempted, 0 unsupported$/m);
  });

  test('--format json reports each package with its outcome', async () => {
    const result = await runCli(['audit', DEMO, '--offline', '--format', 'json']);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.summary, { packages: 2, passed: 1, violations: 1, exempted: 0, unsupported: 0 });
    assert.deepEqual(report.results.map((r: { name: string; outcome: string }) => [r.name, r.outcome]).sort(), [
      ['@demo/evil-lib', 'violation'],
      ['@demo/good-lib', 'pass'],
    ]);
  });

  test('mode warn reports the violation but exits 0', async () => {
    const dir = demoCopy('warn');
    editPolicy(dir, (policy) => (policy.mode = 'warn'));
    const result = await runCli(['audit', dir, '--offline']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /1 violations, 0 exempted, 0 unsupported \(mode: warn, not failing\)/);
  });

  test('evidence swapped for another package\'s fails closed', async () => {
    const dir = demoCopy('swapped');
    cpSync(join(dir, 'evidence/@demo/evil-lib@1.0.0.sigstore.json'), join(dir, 'evidence/@demo/good-lib@1.0.0.sigstore.json'));
    editPolicy(dir, (policy) => {
      (policy.packages as Array<{ identities: unknown[] }>)[0]!.identities = [{ issuer: 'https://token.actions.githubusercontent.com', subjectRegExp: '.*' }];
    });
    const result = await runCli(['audit', dir, '--offline']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^FAIL @demo\/good-lib@1\.0\.0 .*statement is about pkg:npm\/%40demo\/evil-lib@1\.0\.0, not pkg:npm\/%40demo\/good-lib@1\.0\.0/m);
  });

  test('a package with no evidence is a violation naming the sources tried', async () => {
    const dir = demoCopy('missing');
    rmSync(join(dir, 'evidence/@demo/good-lib@1.0.0.sigstore.json'));
    const result = await runCli(['audit', dir, '--offline']);
    assert.match(result.stdout, /^FAIL @demo\/good-lib@1\.0\.0 .*no evidence found \(tried: dir .*\)/m);
  });

  test('a package no policy entry matches is a violation', async () => {
    const dir = demoCopy('unmatched');
    editPolicy(dir, (policy) => ((policy.packages as Array<{ match: string }>)[0]!.match = '@other/*'));
    const result = await runCli(['audit', dir, '--offline']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /no policy entry matches this package and the policy sets no defaults\.require\. Fix: add an entry whose "match" covers "@demo\/good-lib"/);
  });
});

describe('policy errors exit 2 with one line naming the file', () => {
  for (const [name, edit, pattern] of [
    ['an unknown key', (policy: Record<string, unknown>) => (policy.surprise = true), /pkgseal\.policy\.json:\d+:\d+: \/: unknown key "surprise"/],
    ['a bad require value', (policy: Record<string, unknown>) => ((policy.packages as Array<{ require: string }>)[0]!.require = 'maybe'), /pkgseal\.policy\.json:\d+:\d+: \/packages\/0\/require: must be equal to one of the allowed values/],
    ['a rule naming an unknown trust entry', (policy: Record<string, unknown>) => ((policy.packages as Array<{ trust: string }>)[0]!.trust = 'nowhere'), /pkgseal\.policy\.json:\d+:\d+: \/packages\/0\/trust: no trust entry named "nowhere"/],
  ] as const) {
    test(name, async () => {
      const dir = demoCopy(`policy-${name.replace(/\W+/g, '-')}`);
      editPolicy(dir, edit);
      const result = await runCli(['audit', dir, '--offline']);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.ok(isOneCleanLine(result.stderr), result.stderr);
      assert.match(result.stderr, pattern);
    });
  }

  test('a policy that is not JSON', async () => {
    const dir = demoCopy('policy-not-json');
    writeFileSync(join(dir, 'pkgseal.policy.json'), '{ "version": 1,');
    const result = await runCli(['audit', dir, '--offline']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pkgseal\.policy\.json: not valid JSON/);
  });
});

describe('pkgseal audit reads pnpm lockfiles and reports unsupported sources', () => {
  const PNPM_PROJECT = join(REPO_ROOT, 'fixtures/tree/pnpm-sources');

  function policyFile(name: string, require: string): string {
    const file = join(scratch, name);
    writeFileSync(file, JSON.stringify({ version: 1, sources: ['registry'], packages: [{ match: '**', require, ...(require === 'none' ? {} : { identities: [{ issuer: 'https://token.actions.githubusercontent.com', repository: 'acme/lib' }] }) }] }));
    return file;
  }

  test('git, file, directory, link, workspace and remote dependencies are "unsupported" where nothing is required', async () => {
    const result = await runCli(['audit', PNPM_PROJECT, '--offline', '--policy', policyFile('pnpm-none.json', 'none')]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    for (const kind of ['git', 'file', 'directory', 'link', 'workspace', 'remote']) assert.match(result.stdout, new RegExp(`^UNSUPPORTED .*unsupported source \\(${kind}\\)`, 'm'));
    assert.match(result.stdout, /^13 packages: 6 passed, 0 violations, 0 exempted, 7 unsupported$/m);
  });

  test('and violations where the rule requires evidence, located in pnpm-lock.yaml for SARIF', async () => {
    const result = await runCli(['audit', PNPM_PROJECT, '--offline', '--format', 'sarif', '--policy', policyFile('pnpm-signed.json', 'signed')]);
    assert.equal(result.code, 1, result.stderr);
    const sarif = JSON.parse(result.stdout);
    const unsupported = sarif.runs[0].results.filter((r: { ruleId: string }) => r.ruleId === 'pkgseal/unsupported-source');
    assert.equal(unsupported.length, 7);
    for (const entry of unsupported) {
      assert.equal(entry.level, 'error');
      assert.equal(entry.locations[0].physicalLocation.artifactLocation.uri, 'pnpm-lock.yaml');
      assert.ok(entry.locations[0].physicalLocation.region.startLine > 1);
    }
  });
});
