/**
 * `pkgseal init --from-tree --evidence-dir --trusted-root --offline` on fixtures/newcomer (the
 * getting-started project): the written policy pins each package to the signer observed now, and
 * `pkgseal audit --offline` with it passes on the lockfile and fails on the update signed by a fork.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

const NEWCOMER = join(REPO_ROOT, 'fixtures/newcomer');
const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-init-from-tree-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, PKGSEAL_CACHE_DIR: join(scratch, 'cache') };

function project(name: string): string {
  const dir = join(scratch, name);
  cpSync(NEWCOMER, dir, { recursive: true });
  return dir;
}

interface WrittenPolicy {
  mode: string;
  trust: Array<{ name: string; trustedRoot?: string }>;
  sources: unknown[];
  packages: Array<{ match: string; require: string; trust?: string; identities: Array<{ repository?: string; workflow?: string; subject?: string }> }>;
}

describe('init --from-tree with an evidence folder and a trusted root, offline', () => {
  test('writes a valid policy pinning each package to its observed signer; audit passes, then fails on the fork-signed update', async () => {
    const dir = project('tofu');
    const init = await runCli(['init', '--from-tree', '--evidence-dir', 'evidence', '--trusted-root', 'trusted_root.json', '--offline'], { cwd: dir, env });
    assert.equal(init.code, 0, init.stdout + init.stderr);
    assert.match(init.stdout, /2 package\(s\) with provenance/);

    const check = await runCli(['policy', 'check'], { cwd: dir, env });
    assert.equal(check.code, 0, check.stdout + check.stderr);

    const policy = JSON.parse(readFileSync(join(dir, 'pkgseal.policy.json'), 'utf8')) as WrittenPolicy;
    assert.equal(policy.mode, 'warn');
    assert.deepEqual(policy.trust.map(({ name, trustedRoot }) => ({ name, trustedRoot })), [
      { name: 'public-good', trustedRoot: undefined },
      { name: 'observed', trustedRoot: './trusted_root.json' },
    ]);
    assert.deepEqual(policy.sources, ['registry', { dir: './evidence' }]);
    assert.deepEqual(
      policy.packages.map((entry) => [entry.match, entry.require, entry.trust, entry.identities.map((identity) => [identity.repository, identity.workflow, identity.subject])]),
      [
        ['@demo/good-lib', 'provenance', 'observed', [['https://github.com/demo-org/good-lib', '.github/workflows/release.yml', 'https://github.com/demo-org/good-lib/.github/workflows/release.yml@refs/tags/*']]],
        ['@demo/util', 'provenance', 'observed', [['https://github.com/demo-org/util', '.github/workflows/release.yml', 'https://github.com/demo-org/util/.github/workflows/release.yml@refs/tags/*']]],
      ],
    );

    const clean = await runCli(['audit', '--offline'], { cwd: dir, env });
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /2 packages: 2 passed, 0 violations/);

    copyFileSync(join(dir, 'package-lock.next.json'), join(dir, 'package-lock.json'));
    const warned = await runCli(['audit', '--offline'], { cwd: dir, env });
    assert.equal(warned.code, 0, 'warn mode reports without failing');
    assert.match(warned.stdout, /FAIL @demo\/good-lib@1\.0\.1 .*attacker\/fork/);

    const file = join(dir, 'pkgseal.policy.json');
    const enforced = readFileSync(file, 'utf8').replace('"mode": "warn"', '"mode": "enforce"');
    writeFileSync(file, enforced);
    const failed = await runCli(['audit', '--offline'], { cwd: dir, env });
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /FAIL @demo\/good-lib@1\.0\.1 .*expected glob "https:\/\/github\.com\/demo-org\/good-lib\/.*got "https:\/\/github\.com\/attacker\/fork/);
    assert.match(failed.stdout, /2 packages: 1 passed, 1 violations/);
  });

  test('without --trusted-root the local evidence does not verify against public-good: nothing is pinned', async () => {
    const dir = project('public-good');
    const init = await runCli(['init', '--from-tree', '--evidence-dir', 'evidence', '--offline'], { cwd: dir, env });
    assert.equal(init.code, 0, init.stdout + init.stderr);
    const policy = JSON.parse(readFileSync(join(dir, 'pkgseal.policy.json'), 'utf8')) as WrittenPolicy;
    assert.deepEqual(policy.packages, []);
    assert.deepEqual(policy.sources, ['registry', { dir: './evidence' }]);
  });

  test('a project folder argument: paths are written relative to the policy file', async () => {
    const dir = project('from-outside');
    const init = await runCli(['init', dir, '--from-tree', '--evidence-dir', join(dir, 'evidence'), '--trusted-root', join(dir, 'trusted_root.json'), '--offline'], { cwd: scratch, env });
    assert.equal(init.code, 0, init.stdout + init.stderr);
    const policy = JSON.parse(readFileSync(join(dir, 'pkgseal.policy.json'), 'utf8')) as WrittenPolicy;
    assert.equal(policy.trust[1]?.trustedRoot, './trusted_root.json');
    assert.deepEqual(policy.sources, ['registry', { dir: './evidence' }]);
    assert.equal(policy.packages.length, 2);
  });

  test('usage errors: the observe options need --from-tree, --offline needs --evidence-dir, paths must exist', async () => {
    const dir = project('usage');
    for (const [args, message] of [
      [['--evidence-dir', 'evidence'], /only apply with --from-tree/],
      [['--from-tree', '--offline'], /--offline needs --evidence-dir/],
      [['--from-tree', '--evidence-dir', 'nope', '--offline'], /--evidence-dir nope: no such folder/],
      [['--from-tree', '--evidence-dir', 'evidence', '--trusted-root', 'nope.json', '--offline'], /--trusted-root nope\.json: no such file/],
    ] as const) {
      const result = await runCli(['init', ...args], { cwd: dir, env });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
