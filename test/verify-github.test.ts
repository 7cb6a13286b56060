import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

// The demo's tarballs and bundles: made through real Fulcio/Rekor/TSA protocols by
// scripts/make-demo-fixtures.ts, signed "in GitHub Actions" by demo-org/good-lib's release
// workflow on refs/tags/v1.0.0 (good) and by attacker/fork's on refs/heads/main (evil).
const DEMO = join(REPO_ROOT, 'fixtures/demo');
const GOOD = [join(DEMO, 'tarballs/demo-good-lib-1.0.0.tgz'), '--bundle', join(DEMO, 'evidence/@demo/good-lib@1.0.0.sigstore.json')];
const EVIL = [join(DEMO, 'tarballs/demo-evil-lib-1.0.0.tgz'), '--bundle', join(DEMO, 'evidence/@demo/evil-lib@1.0.0.sigstore.json')];
const TRUST = ['--trusted-root', join(DEMO, 'trusted_root.json')];

function verifyGithub(...args: string[]) {
  return runCli(['verify', 'github', ...args, ...TRUST]);
}

describe('pkgseal verify github: the issuer is implied, the repository required', () => {
  test('passes the artifact signed by the named repository', async () => {
    const result = await verifyGithub(...GOOD, '--repository', 'demo-org/good-lib');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout, `OK: ${GOOD[0]}\n`);
  });

  test('passes when every optional claim matches (workflow, ref, trigger, sha; repository as a URL)', async () => {
    const result = await verifyGithub(
      ...GOOD,
      '--repository', 'https://github.com/demo-org/good-lib',
      '--workflow', '.github/workflows/release.yml',
      '--ref', 'refs/tags/v1.0.0',
      '--trigger', 'push',
      '--sha', '96d5cdd8682d26b0b7c610921bb4b8daf385beca',
    );
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  test('fails a valid signature made by another repository (a fork)', async () => {
    const result = await verifyGithub(...EVIL, '--repository', 'demo-org/good-lib');
    assert.equal(result.code, 1);
    assert.ok(isOneCleanLine(result.stdout), result.stdout);
    assert.match(result.stdout, /^FAIL: .*demo-evil-lib-1\.0\.0\.tgz: signer does not match: repository: expected "https:\/\/github\.com\/demo-org\/good-lib", got "https:\/\/github\.com\/attacker\/fork"$/m);
  });

  for (const [flag, value, claim] of [
    ['--ref', 'refs/heads/main', 'ref'],
    ['--workflow', '.github/workflows/other.yml', 'workflow'],
    ['--trigger', 'workflow_dispatch', 'trigger'],
    ['--sha', '0000000000000000000000000000000000000000', 'sha'],
  ] as const) {
    test(`fails when the certificate's ${claim} is not the one given with ${flag}`, async () => {
      const result = await verifyGithub(...GOOD, '--repository', 'demo-org/good-lib', flag, value);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`signer does not match: ${claim}: expected`));
    });
  }

  test('--cert-identity adds an exact SAN on top of the claims', async () => {
    const san = 'https://github.com/demo-org/good-lib/.github/workflows/release.yml@refs/tags/v1.0.0';
    assert.equal((await verifyGithub(...GOOD, '--repository', 'demo-org/good-lib', '--cert-identity', san)).code, 0);
    const prefix = await verifyGithub(...GOOD, '--repository', 'demo-org/good-lib', '--cert-identity-regexp', 'https://github\\.com/demo-org/good-lib/\\.github/workflows/release\\.yml@refs/tags/v1');
    assert.equal(prefix.code, 1, 'the SAN regexp is anchored: a prefix is not a match');
  });

  test('the issuer is GitHub Actions\', and JSON output shows the signer', async () => {
    const result = await verifyGithub(...GOOD, '--repository', 'demo-org/good-lib', '--format', 'json');
    assert.equal(result.code, 0, result.stderr);
    const signer = (JSON.parse(result.stdout) as { attestations: Array<{ signer: Record<string, string> }> }).attestations[0]!.signer;
    assert.equal(signer.issuer, 'https://token.actions.githubusercontent.com');
    assert.equal(signer.repository, 'https://github.com/demo-org/good-lib');
  });

  test('usage errors exit 2 with one line', async () => {
    const noRepository = await runCli(['verify', 'github', ...GOOD]);
    assert.equal(noRepository.code, 2);
    assert.match(noRepository.stderr, /^pkgseal: required option '--repository <owner\/repo>' not specified\n$/);
    const badRepository = await verifyGithub(...GOOD, '--repository', 'demo-org good-lib');
    assert.equal(badRepository.code, 2);
    assert.match(badRepository.stderr, /--repository demo-org good-lib: expected owner\/repo or https:\/\/github\.com\/owner\/repo/);
    const noBundle = await runCli(['verify', 'github', GOOD[0]!, '--repository', 'demo-org/good-lib']);
    assert.equal(noBundle.code, 2);
    assert.ok(isOneCleanLine(noBundle.stderr), noBundle.stderr);
  });

  test('plain verify still requires --bundle (now checked by the command, not commander)', async () => {
    const result = await runCli(['verify', GOOD[0]!, '--cert-identity', 'x', '--cert-oidc-issuer', 'y']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "pkgseal: required option '--bundle <file>' not specified\n");
  });

  test('help names the implied issuer and shows examples', async () => {
    const result = await runCli(['verify', 'github', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /The issuer is always https:\/\/token\.actions\.githubusercontent\.com/);
    assert.match(result.stdout, /\n {2}\$ pkgseal verify github /);
  });
});
