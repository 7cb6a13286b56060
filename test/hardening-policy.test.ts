/**
 * Issue 7, policy: every broken policy stops `pkgseal audit` with exit 2 and one line naming the
 * file, line and column, before any package is checked; a policy that would quietly admit too
 * much (an identity pattern that escapes its anchors) is refused; an expired exception and a
 * policy that matches nothing fail the run instead of passing it.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { assertNoStackTrace, auditJson, cleanEnv, DEMO, EVIL, GOOD, scratchDir } from './support/hostile-project.js';

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** A copy of the offline demo with `policyText` as its policy. */
function demoWith(id: string, policyText: string): string {
  const dir = scratchDir(`policy-${id}`);
  cpSync(DEMO, dir, { recursive: true });
  writeFileSync(join(dir, 'pkgseal.policy.json'), policyText);
  return dir;
}

const demoPolicy = () => JSON.parse(readFileSync(join(DEMO, 'pkgseal.policy.json'), 'utf8')) as Record<string, any>;
const pretty = (document: object) => `${JSON.stringify(document, null, 2)}\n`;

/** Where `needle` starts in `text`, as `line:column`. */
function positionOf(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `${needle} not in the policy`);
  const lines = text.slice(0, offset).split('\n');
  return `${lines.length}:${lines[lines.length - 1]!.length + 1}`;
}

describe('a broken policy exits 2 with FILE:LINE:COLUMN, for audit and policy check alike', () => {
  const withEntry = (edit: (entry: Record<string, any>) => void) => {
    const policy = demoPolicy();
    edit(policy.packages[0]);
    return pretty(policy);
  };
  const cases: Array<[string, string, string, RegExp]> = [
    ['JSON cut off', '{\n  "version": 1,\n  "packages": [\n', '', /not valid JSON at line 4, column 1/],
    ['a trailing comma', '{\n  "version": 1,\n}\n', '', /not valid JSON at line 3, column 1/],
    ['an unknown top-level key', pretty({ ...demoPolicy(), surprise: true }), '"surprise"', /\/: unknown key "surprise"/],
    ['an unknown key in an identity, with a suggestion', withEntry((entry) => (entry.identities[0].isuer = 'x')), '"isuer"', /unknown key "isuer" \(did you mean "issuer"\?\)/],
    ['a key written twice', pretty(demoPolicy()).replace('"mode": "enforce",', '"mode": "warn",\n  "mode": "enforce",'), '"mode": "enforce"', /duplicate key "mode"/],
    ['a match that is a regular expression', withEntry((entry) => (entry.match = '^@demo/.*$')), '"^@demo/.*$"', /\/packages\/0\/match: looks like a regular expression/],
    ['a subject glob written as a regular expression', withEntry((entry) => (entry.identities[0].subject = 'https://github\\.com/demo-org/.*')), '"https://github', /subject: looks like a regular expression .* use "subjectRegExp"/],
    ['an invalid semver range', withEntry((entry) => (entry.versions = '>=1.0.0 <<2')), '">=1.0.0 <<2"', /\/packages\/0\/versions: invalid semver range ">=1\.0\.0 <<2"/],
    ['a subjectRegExp that does not compile', withEntry((entry) => { delete entry.identities[0].subject; entry.identities[0].subjectRegExp = 'https://github.com/demo-org/(' }), '"https://github.com/demo-org/("', /subjectRegExp: invalid regular expression/],
    ['an exception that never expires', pretty({ ...demoPolicy(), exceptions: [{ package: '@demo/evil-lib', reason: 'trust me' }] }), '{\n      "package"', /missing required key "expires"/],
    ['an exception with an impossible date', pretty({ ...demoPolicy(), exceptions: [{ package: '@demo/evil-lib', reason: 'r', expires: '2027-02-30' }] }), '"2027-02-30"', /"2027-02-30" is not a calendar date/],
    ['an exception with a version range', pretty({ ...demoPolicy(), exceptions: [{ package: '@demo/evil-lib@^1', reason: 'r', expires: '2999-01-01' }] }), '"@demo/evil-lib@^1"', /not an exact version|package name or name@version/],
    ['an identity naming only an issuer (it admits everyone the issuer serves)', withEntry((entry) => (entry.identities = [{ issuer: GITHUB_ISSUER }])), '{\n          "issuer"', /an identity must name who signed/],
    ['require signed without identities', withEntry((entry) => delete entry.identities), '"signed"', /require "signed" needs at least one identity/],
    ['a trust entry that is not there', withEntry((entry) => (entry.trust = 'nowhere')), '"nowhere"', /no trust entry named "nowhere"/],
    ['version 2', pretty({ ...demoPolicy(), version: 2 }), '2', /\/version: must be equal to constant 1/],
  ];
  for (const [name, text, needle, reason] of cases) {
    test(name, async () => {
      const dir = demoWith(name.replace(/\W+/g, '-'), text);
      const file = join(dir, 'pkgseal.policy.json');
      const location = needle ? `:${positionOf(text, needle)}` : '';
      for (const args of [['audit', dir, '--offline'], ['policy', 'check', file]]) {
        const result = await runCli(args, { env: cleanEnv() });
        assert.equal(result.code, 2, `${args[0]}: ${result.stdout}${result.stderr}`);
        assertNoStackTrace(result.stderr);
        const output = result.stdout + result.stderr;
        const firstError = output.split('\n').find((line) => line.includes(file)) ?? '';
        assert.match(output, reason);
        assert.ok(firstError.includes(file), `names the file: ${output}`);
        if (args[0] === 'audit') assert.ok(isOneCleanLine(result.stderr), result.stderr);
        if (location) assert.ok(output.includes(`${file}${location}: `), `expected ${file}${location}: in ${output}`);
        if (args[0] === 'audit') assert.equal(result.stdout, '', 'no package was checked');
      }
    });
  }
});

describe('identity patterns can never be unanchored', () => {
  const withRegExp = (pattern: string) => {
    const policy = demoPolicy();
    policy.packages[0].identities = [{ issuer: GITHUB_ISSUER, subjectRegExp: pattern }];
    return pretty(policy);
  };

  test('a pattern that closes the anchoring group itself is not a regular expression (it would match anything)', async () => {
    const text = withRegExp('https://github\\.com/demo-org/good-lib/.*)|(?:.*');
    const dir = demoWith('escape-anchor', text);
    const result = await runCli(['audit', dir, '--offline'], { env: cleanEnv() });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, new RegExp(`pkgseal\\.policy\\.json:${positionOf(text, '"https://github\\\\.com').replace(':', ':')}: /packages/0/identities/0/subjectRegExp: invalid regular expression`));
  });

  test('the same through pkgseal verify is a usage error', async () => {
    const result = await runCli(['verify', EVIL.tarballFile, '--bundle', EVIL.bundleFile, '--trusted-root', join(DEMO, 'trusted_root.json'), '--cert-identity-regexp', 'https://github\\.com/demo-org/.*)|(?:.*', '--cert-oidc-issuer', GITHUB_ISSUER], { env: cleanEnv() });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.ok(isOneCleanLine(result.stderr));
    assert.match(result.stderr, /invalid regular expression/);
  });

  const unanchoredAttempts: Array<[string, string]> = [
    ['a prefix of the real SAN', 'https://github\\.com/demo-org/good-lib'],
    ['a suffix of the real SAN', 'release\\.yml@refs/tags/v1\\.0\\.0'],
    ['an alternation with an empty branch', 'https://github\\.com/demo-org/good-lib/.*|'],
    ['explicit anchors around a prefix', '^https://github\\.com/demo-org/$'],
    ['a lookahead instead of a match', '(?=https://github\\.com/attacker/)'],
  ];
  for (const [name, pattern] of unanchoredAttempts) {
    test(`${name} does not admit the attacker's signer`, async () => {
      const dir = demoWith(`anchored-${name.replace(/\W+/g, '-')}`, withRegExp(pattern));
      const audit = await auditJson(dir, ['--offline']);
      assert.equal(audit.code, 1, audit.raw);
      assert.equal(audit.result(EVIL).outcome, 'violation', audit.raw);
    });
  }
});

describe('policies that do not say what they seem to', () => {
  test('an expired exception no longer exempts, and fails the run on its own', async () => {
    const policy = demoPolicy();
    policy.exceptions = [{ package: '@demo/evil-lib@1.0.0', reason: 'temporarily tolerated', expires: '2020-01-01' }];
    const audit = await auditJson(demoWith('expired', pretty(policy)), ['--offline']);
    assert.equal(audit.code, 1, audit.raw);
    assert.equal(audit.result(EVIL).outcome, 'violation');
    const text = await runCli(['audit', demoWith('expired-text', pretty(policy)), '--offline'], { env: cleanEnv() });
    assert.match(text.stdout, /^policy: .*exception for @demo\/evil-lib@1\.0\.0 expired on 2020-01-01/m);
  });

  test('an expired exception fails the run even when every package passes', async () => {
    const policy = demoPolicy();
    policy.packages[0].identities.push({ issuer: GITHUB_ISSUER, repository: EVIL.identity.repository });
    policy.exceptions = [{ package: 'left-pad', reason: 'old', expires: '2020-01-01' }];
    const audit = await auditJson(demoWith('expired-all-pass', pretty(policy)), ['--offline']);
    assert.equal(audit.report.summary.violations, 0, audit.raw);
    assert.equal(audit.code, 1, audit.raw);
  });

  test('a policy that matches nothing fails every package', async () => {
    const policy = demoPolicy();
    policy.packages[0].match = '@elsewhere/*';
    const audit = await auditJson(demoWith('matches-nothing', pretty(policy)), ['--offline']);
    assert.equal(audit.code, 1, audit.raw);
    for (const pkg of [GOOD, EVIL]) {
      assert.equal(audit.result(pkg).outcome, 'violation');
      assert.match(audit.result(pkg).reason, /no policy entry matches this package and the policy sets no defaults\.require/);
    }
  });

  test('a policy with no entries and no defaults fails every package', async () => {
    const audit = await auditJson(demoWith('empty', pretty({ version: 1, trust: [{ name: 'demo', trustedRoot: './trusted_root.json' }], sources: [{ dir: './evidence' }] })), ['--offline']);
    assert.equal(audit.code, 1, audit.raw);
    assert.equal(audit.report.summary.violations, 2);
  });

  test('an exception for one version does not cover another, nor a package whose name it prefixes', async () => {
    const policy = demoPolicy();
    policy.exceptions = [
      { package: '@demo/evil-lib@0.9.0', reason: 'old version only', expires: '2999-01-01' },
      { package: '@demo/evil', reason: 'another package', expires: '2999-01-01' },
    ];
    const audit = await auditJson(demoWith('exception-scope', pretty(policy)), ['--offline']);
    assert.equal(audit.result(EVIL).outcome, 'violation', audit.raw);
  });

  test('a versions range that excludes the version falls through to the next entry, not to a pass', async () => {
    const policy = demoPolicy();
    policy.packages = [
      { ...policy.packages[0], match: '@demo/evil-lib', versions: '>=2', identities: [{ issuer: GITHUB_ISSUER, repository: EVIL.identity.repository }] },
      policy.packages[0],
    ];
    const audit = await auditJson(demoWith('range-fallthrough', pretty(policy)), ['--offline']);
    assert.equal(audit.result(EVIL).outcome, 'violation', audit.raw);
  });

  test('mode warn reports the violation without failing, but only in warn mode', async () => {
    const policy = demoPolicy();
    policy.mode = 'warn';
    const audit = await auditJson(demoWith('warn', pretty(policy)), ['--offline']);
    assert.equal(audit.code, 0);
    assert.equal(audit.result(EVIL).outcome, 'violation');
  });
});
