/**
 * Issue 7, hostile tarballs: what `pkgseal verify x.tgz` (and `pkgseal sign x.tgz`) do with a
 * `.tgz` built to attack the reader. Nothing is ever written (the reader streams the archive in
 * memory and keeps only package.json), inflation is bounded, and the package.json names nothing
 * the signature does not: identity comes from the certificate alone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readNpmTarball, TarballError } from '../src/verify/npm-tarball.js';
import { isOneCleanLine, runCli } from './support/cli.js';
import { assertNoStackTrace, cleanEnv, DEMO, EVIL, GOOD, scratchDir } from './support/hostile-project.js';
import { manifest, tarHeader, tarOf, tgzOf, writeGzipBomb, type TarEntry } from './support/hostile-tarball.js';

const sandbox = scratchDir('tarballs');
/** Where the CLI runs: `../../x` from here lands in the sandbox, where the test would see it. */
const cwd = join(sandbox, 'work', 'a', 'b');
mkdirSync(cwd, { recursive: true });
const absoluteTarget = join('/tmp', `pkgseal-hostile-${randomBytes(6).toString('hex')}.txt`);

function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(sandbox, join(entry.parentPath, entry.name)))
    .sort();
}

let tarballCount = 0;
function writeTarball(bytes: Buffer): string {
  const file = join(sandbox, 'tarballs', `hostile-${++tarballCount}.tgz`);
  mkdirSync(join(sandbox, 'tarballs'), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}

const goodManifest = manifest(GOOD.name);
const verifyFlags = ['--bundle', GOOD.bundleFile, '--trusted-root', join(DEMO, 'trusted_root.json'), '--cert-identity-regexp', '.*', '--cert-oidc-issuer', 'https://token.actions.githubusercontent.com', '--repository', GOOD.identity.repository];

async function verifyTarball(file: string, extra: string[] = []) {
  const before = filesIn(sandbox);
  const result = await runCli(['verify', file, ...verifyFlags, ...extra], { cwd, env: cleanEnv() });
  assertNoStackTrace(result.stderr);
  assert.deepEqual(filesIn(sandbox), before, 'verify wrote nothing');
  assert.ok(!existsSync(absoluteTarget), 'nothing was written at an absolute path');
  assert.notEqual(result.code, 0, `a hostile tarball never verifies: ${result.stdout}`);
  return result;
}

test('control: the real good-lib tarball verifies', async () => {
  const result = await runCli(['verify', GOOD.tarballFile, ...verifyFlags], { cwd, env: cleanEnv() });
  assert.equal(result.code, 0, result.stdout + result.stderr);
});

describe('entries that point outside the package', () => {
  const cases: Array<[string, TarEntry[]]> = [
    ['a ../../ path', [goodManifest, { path: '../../escape.txt', body: 'escaped' }]],
    ['a path through package/../..', [goodManifest, { path: 'package/../../../escape.txt', body: 'escaped' }]],
    ['an absolute path', [goodManifest, { path: absoluteTarget, body: 'escaped' }]],
    ['a symlink to /etc then a file through it', [goodManifest, { path: 'package/etc', type: 'symlink', linkpath: '/etc' }, { path: 'package/etc/pkgseal-test', body: 'escaped' }]],
    ['a hard link to /etc/passwd', [goodManifest, { path: 'package/passwd', type: 'hardlink', linkpath: '/etc/passwd' }]],
  ];
  for (const [name, entries] of cases) {
    test(`${name}: nothing written; the archive's digest is not the signed one`, async () => {
      const result = await verifyTarball(writeTarball(tgzOf(entries)));
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /^FAIL: .*statement sha512 does not match the integrity of @demo\/good-lib@1\.0\.0$/m);
    });
  }

  test('package.json as a symlink to /etc/passwd is no manifest', async () => {
    const result = await verifyTarball(writeTarball(tgzOf([{ path: 'package/package.json', type: 'symlink', linkpath: '/etc/passwd' }])));
    assert.equal(result.code, 2);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.match(result.stderr, /tarball has no package\/package\.json$/m);
  });
});

describe('package.json is never trusted for identity', () => {
  test('a package.json naming another package: the signed digest decides', async () => {
    const result = await verifyTarball(writeTarball(tgzOf([manifest(EVIL.name), { path: 'package/index.js', body: 'evil()' }])));
    assert.equal(result.code, 1);
    assert.match(result.stdout, /statement is about pkg:npm\/%40demo\/good-lib@1\.0\.0, not pkg:npm\/%40demo\/evil-lib@1\.0\.0/);
  });

  test('--package naming another package than the tarball is a usage error', async () => {
    const result = await verifyTarball(GOOD.tarballFile, ['--package', `${EVIL.name}@1.0.0`]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /does not match the tarball's package\.json \(@demo\/good-lib@1\.0\.0\)/);
  });

  test("the attacker's real tarball with its own valid bundle still fails the expected signer", async () => {
    const result = await verifyTarball(EVIL.tarballFile, ['--bundle', EVIL.bundleFile]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /signer does not match: repository: expected "https:\/\/github\.com\/demo-org\/good-lib", got "https:\/\/github\.com\/attacker\/fork"/);
  });

  test("the attacker's tarball repacked to claim good-lib's name", async () => {
    const evilFiles = gunzipSync(readFileSync(EVIL.tarballFile));
    const relabelled = Buffer.from(evilFiles.toString('latin1').replace('"@demo/evil-lib"', '"@demo/good-lib"'), 'latin1');
    const result = await verifyTarball(writeTarball(gzipSync(relabelled)), ['--bundle', EVIL.bundleFile]);
    assert.notEqual(result.code, 0);
  });

  const invalid: Array<[string, TarEntry[], RegExp]> = [
    ['a name that is a path', [manifest('../../../tmp/owned')], /invalid name "\.\.\/\.\.\/\.\.\/tmp\/owned"/],
    ['a scoped name with a second slash', [manifest('@demo/good-lib/../../x')], /invalid name/],
    ['a version that is a path', [manifest(GOOD.name, '1.0.0/../../x')], /invalid version "1\.0\.0\/\.\.\/\.\.\/x"/],
    ['no version', [{ path: 'package/package.json', body: JSON.stringify({ name: GOOD.name }) }], /lacks name or version/],
    ['two top-level manifests, another package second', [goodManifest, { path: 'other/package.json', body: JSON.stringify({ name: EVIL.name, version: '1.0.0' }) }], /tarball has 2 package\.json files at its top level/],
    ['a manifest that is not JSON', [{ path: 'package/package.json', body: '{"name": ' }], /package\.json in the tarball is not JSON/],
    ['a 2 MiB manifest', [{ path: 'package/package.json', body: `{"name":"x","version":"1.0.0","pad":"${'x'.repeat(2 * 1024 * 1024)}"}` }], /larger than 1 MiB/],
  ];
  for (const [name, entries, reason] of invalid) {
    test(`${name}: refused with one line`, async () => {
      const result = await verifyTarball(writeTarball(tgzOf(entries)));
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.ok(isOneCleanLine(result.stderr), result.stderr);
      assert.match(result.stderr, reason);
    });
  }

  test('pkgseal sign refuses a tarball whose name would place the bundle outside its folder, before any signing', async () => {
    const file = writeTarball(tgzOf([manifest('../../../escape')]));
    const before = filesIn(sandbox);
    const result = await runCli(['sign', file, '--identity-token', 'not-a-token'], { cwd, env: cleanEnv() });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.match(result.stderr, /cannot read tarball .*: package\.json in the tarball has an invalid name/);
    assert.deepEqual(filesIn(sandbox), before);
  });
});

describe('huge and endless gzip streams are cut off', () => {
  const bombs: Record<string, string> = {};
  before(async () => {
    bombs.declared = join(sandbox, 'bomb-declared.tgz');
    bombs.zeros = join(sandbox, 'bomb-zeros.tgz');
    bombs.entries = join(sandbox, 'bomb-entries.tgz');
    const archiveWithoutEnd = tarOf([goodManifest]).subarray(0, -1024);
    // A 600 MiB file entry: the header says so, and the zeros are really there.
    await writeGzipBomb(bombs.declared, Buffer.concat([archiveWithoutEnd, tarHeader({ path: 'package/zeros' }, 600 * 1024 * 1024)]), 600 * 1024 * 1024);
    // A valid archive, then 600 MiB of zeros after its end (tar's parser alone buffers those at quadratic cost).
    await writeGzipBomb(bombs.zeros, tarOf([goodManifest]), 600 * 1024 * 1024);
    // An archive that never ends: empty entries, a million of them.
    await writeGzipBomb(bombs.entries, archiveWithoutEnd, 600 * 1024 * 1024, tarHeader({ path: 'package/empty' }, 0));
  });

  test('a file entry that inflates to 600 MiB', async () => {
    assert.ok(readFileSync(bombs.declared!).length < 4 * 1024 * 1024, 'the bomb itself is small');
    const result = await verifyTarball(bombs.declared!);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unpacks to more than 512 MiB/);
  });

  test('600 MiB of zeros after the end of the archive: reading stops at the end', async () => {
    const started = Date.now();
    const result = await verifyTarball(bombs.zeros!);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /statement sha512 does not match/);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  test('an archive that never ends is cut off at 512 MiB inflated', async () => {
    const result = await verifyTarball(bombs.entries!);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /inflates to more than 512 MiB/);
  });

  test('a gzip stream cut off in the middle', async () => {
    const whole = readFileSync(GOOD.tarballFile);
    const result = await verifyTarball(writeTarball(whole.subarray(0, Math.floor(whole.length / 2))));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /not a readable npm tarball/);
  });

  test('bytes that are neither gzip nor tar', async () => {
    const result = await verifyTarball(writeTarball(randomBytes(4096)));
    assert.equal(result.code, 2);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
  });

  test('an empty file', async () => {
    const result = await verifyTarball(writeTarball(Buffer.alloc(0)));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /tarball has no package\/package\.json|not a readable npm tarball/);
  });

  test('a file larger than 512 MiB is not read at all', async () => {
    const file = join(sandbox, 'huge.tgz');
    writeFileSync(file, '');
    truncateSync(file, 513 * 1024 * 1024);
    await assert.rejects(readNpmTarball(file), (error: Error) => error instanceof TarballError && /larger than 512 MiB/.test(error.message));
  });
});
