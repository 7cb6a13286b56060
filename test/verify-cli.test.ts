import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { REALDATA, realdataSkip } from './support/realdata.js';

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const IDENTITY = [
  '--cert-identity',
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  '--cert-oidc-issuer',
  'https://token.actions.githubusercontent.com',
];
const A_TXT = join(REALDATA, 'conformance/a.txt');
const HAPPY_V03 = join(REALDATA, 'conformance/cases/happy-path-v0.3/bundle.sigstore.json');
const HAPPY_DSSE = join(REALDATA, 'conformance/cases/happy-path-intoto-in-dsse-v3/bundle.sigstore.json');

function write(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

/** Asserts the one-line, no-stack-trace contract for a failure with the given exit code. */
function assertCleanFailure(result: { code: number; stdout: string; stderr: string }, code: 1 | 2, pattern: RegExp): void {
  assert.equal(result.code, code, `exit ${result.code}: ${result.stdout}${result.stderr}`);
  const output = code === 1 ? result.stdout : result.stderr;
  assert.ok(isOneCleanLine(output), `not one clean line: ${output}`);
  assert.match(output, pattern);
}

describe('usage errors exit 2 with one line', () => {
  test('no expected signer at all', async () => {
    assertCleanFailure(await runCli(['verify', 'sha256:' + '0'.repeat(64), '--bundle', 'x.json']), 2, /give an expected signer/);
  });
  test('an identity without an issuer', async () => {
    assertCleanFailure(await runCli(['verify', 'sha256:' + '0'.repeat(64), '--bundle', 'x.json', '--cert-identity', 'me']), 2, /needs both a subject .* and an issuer/);
  });
  test('both exact and regexp identity', async () => {
    assertCleanFailure(await runCli(['verify', 'a', '--bundle', 'b', '--cert-identity', 'x', '--cert-identity-regexp', 'y', '--cert-oidc-issuer', 'z']), 2, /cannot be used with/);
  });
  test('missing bundle file', async () => {
    assertCleanFailure(await runCli(['verify', 'sha256:' + '0'.repeat(64), '--bundle', join(scratch, 'absent.json'), ...IDENTITY]), 2, /cannot read bundle .*absent\.json: no such file/);
  });
  test('missing artifact file', async () => {
    const bundle = write('any.json', '{}');
    assertCleanFailure(await runCli(['verify', join(scratch, 'absent.txt'), '--bundle', bundle, ...IDENTITY]), 2, /cannot read artifact .*absent\.txt/);
  });
  test('a digest of the wrong length', async () => {
    const bundle = write('any2.json', '{}');
    assertCleanFailure(await runCli(['verify', 'sha256:abcd', '--bundle', bundle, ...IDENTITY]), 2, /sha256 digest has 64 hex digits/);
  });
  test('an invalid regular expression', async () => {
    assertCleanFailure(await runCli(['verify', 'sha256:' + '0'.repeat(64), '--bundle', 'b', '--cert-identity-regexp', '(', '--cert-oidc-issuer', 'i']), 2, /invalid regular expression/);
  });
  test('a key file that is not a PEM key', async () => {
    assertCleanFailure(await runCli(['verify', 'sha256:' + '0'.repeat(64), '--bundle', 'b', '--key', write('key.pem', 'nope')]), 2, /is not a PEM public key/);
  });
  test('an unknown command', async () => {
    assertCleanFailure(await runCli(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });
});

describe('trusted roots are validated, not trusted blindly', { skip: realdataSkip }, () => {
  test('a trusted root that is not a trusted root', async () => {
    const root = write('not-root.json', JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }));
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--trusted-root', root, ...IDENTITY]), 2, /is not a Sigstore trusted root/);
  });
  test('a trusted root that is not JSON', async () => {
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--trusted-root', write('root.txt', 'trust me'), ...IDENTITY]), 2, /is not valid JSON/);
  });
  test('an authority without a validity window is an error, not a smaller trust set', async () => {
    const publicGood = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(REALDATA, 'trust/public-good.trusted_root.json'), 'utf8')));
    delete publicGood.certificateAuthorities[0].validFor;
    const root = write('no-validity.json', JSON.stringify(publicGood));
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--trusted-root', root, ...IDENTITY]), 2, /certificateAuthorities\[0\]\.validFor: expected an object/);
  });
  test('an empty trusted root', async () => {
    const root = write('empty-root.json', JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--trusted-root', root, ...IDENTITY]), 2, /names no transparency log/);
  });
});

describe('verification failures exit 1 with one line', { skip: realdataSkip }, () => {
  test('a bundle that is not JSON', async () => {
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', write('bad.json', '{"mediaType":'), ...IDENTITY]), 1, /^FAIL: .*: bundle is not valid JSON/);
  });
  test('an unknown bundle version', async () => {
    const bundle = write('v9.json', JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v9.9+json' }));
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', bundle, ...IDENTITY]), 1, /unsupported bundle media type/);
  });
  test('the wrong artifact', async () => {
    assertCleanFailure(await runCli(['verify', write('other.txt', 'not a.txt'), '--bundle', HAPPY_V03, ...IDENTITY]), 1, /artifact digest does not match/);
  });
  test('a DSSE statement about another artifact (the library does not check subjects)', async () => {
    assertCleanFailure(await runCli(['verify', write('other2.txt', 'not a.txt'), '--bundle', HAPPY_DSSE, ...IDENTITY]), 1, /no statement subject has the artifact digest/);
  });
  test('the right artifact for a DSSE statement passes', async () => {
    const result = await runCli(['verify', A_TXT, '--bundle', HAPPY_DSSE, ...IDENTITY]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });
  test('a SAN that only matches as a prefix is rejected (regexps are anchored)', async () => {
    const prefix = IDENTITY[1]!.replace(/main$/, 'mai');
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const result = await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--cert-identity-regexp', escaped, '--cert-oidc-issuer', IDENTITY[3]!]);
    assertCleanFailure(result, 1, /subject: expected regexp/);
    const full = await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--cert-identity-regexp', `${escaped}n`, '--cert-oidc-issuer', IDENTITY[3]!]);
    assert.equal(full.code, 0, full.stdout);
  });
  test('a GitHub claim that does not match the certificate', async () => {
    const result = await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, ...IDENTITY, '--repository', 'someone/else']);
    assertCleanFailure(result, 1, /repository: expected "https:\/\/github\.com\/someone\/else", got "https:\/\/github\.com\/sigstore-conformance\/extremely-dangerous-public-oidc-beacon"/);
    const matching = await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, ...IDENTITY, '--repository', 'sigstore-conformance/extremely-dangerous-public-oidc-beacon', '--workflow', '.github/workflows/extremely-dangerous-oidc-beacon.yml', '--ref', 'refs/heads/main']);
    assert.equal(matching.code, 0, matching.stdout);
  });
  test('a bundle signed by a certificate cannot be checked with --key', async () => {
    const key = join(REALDATA, 'conformance/cases/managed-key-happy-path/key.pub');
    assertCleanFailure(await runCli(['verify', A_TXT, '--bundle', HAPPY_V03, '--key', key]), 1, /signed with a certificate, but a key was given/);
  });
});
