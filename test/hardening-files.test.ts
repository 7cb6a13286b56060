/**
 * Issue 7, files: what pkgseal writes for the user (`audit --output`, `init`, the bundle `sign`
 * writes beside a tarball, a `--store-dir` bundle) is replaced whole or not at all. A write cut
 * off part-way (a file-size limit, `ulimit -f`, which stops a write in the middle even as root)
 * leaves the old file as it was and no temporary file behind, and the command says so in one
 * line. `--output` cannot be pointed at a file the audit reads.
 *
 * The writer itself (kill before commit, EFBIG part-way, symlinks) is tested in test/report.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isOneCleanLine, runCli, type CliResult } from './support/cli.js';
import { assertNoStackTrace, cleanEnv, DEMO, GOOD, scratchDir } from './support/hostile-project.js';
import { startLocalSigstore, type LocalSigstore } from './support/local-sigstore.js';
import { CLI } from './support/realdata.js';

const OLD = 'the old file, which must survive\n';

/** Runs the CLI under a file-size limit (KiB). */
function runLimited(limitKiB: number, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `ulimit -f ${limitKiB} && exec "$0" "$@"`, process.execPath, CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

function demoCopy(id: string): string {
  const dir = scratchDir(`files-${id}`);
  cpSync(DEMO, dir, { recursive: true });
  return dir;
}

function assertIntactAndAlone(file: string, content = OLD): void {
  assert.equal(readFileSync(file, 'utf8'), content, `${file} was changed`);
  const folder = join(file, '..');
  assert.deepEqual(readdirSync(folder).filter((name) => name.endsWith('.tmp')), [], 'no temporary file is left');
}

describe('audit --output', () => {
  test('a report cut off part-way leaves the old report as it was', async () => {
    const project = demoCopy('output-efbig');
    const report = join(scratchDir('files-output-efbig-out'), 'report.sarif');
    writeFileSync(report, OLD);
    const result = await runLimited(1, ['audit', project, '--offline', '--format', 'sarif', '--output', report]);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.match(result.stderr, /cannot write .*report\.sarif: the file would be too large/);
    assertNoStackTrace(result.stderr);
    assertIntactAndAlone(report);
  });

  test('control: without the limit the report replaces the old one', async () => {
    const project = demoCopy('output-ok');
    const report = join(scratchDir('files-output-ok-out'), 'report.json');
    writeFileSync(report, OLD);
    const result = await runCli(['audit', project, '--offline', '--format', 'json', '--output', report], { env: cleanEnv() });
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(readFileSync(report, 'utf8')).summary.packages, 2);
  });

  test('a report written through a symbolic link replaces the target and keeps the link', async () => {
    const project = demoCopy('output-link');
    const folder = scratchDir('files-output-link-out');
    writeFileSync(join(folder, 'target.json'), OLD);
    symlinkSync('target.json', join(folder, 'link.json'));
    await runCli(['audit', project, '--offline', '--format', 'json', '--output', join(folder, 'link.json')], { env: cleanEnv() });
    assert.ok(lstatSync(join(folder, 'link.json')).isSymbolicLink());
    assert.equal(readlinkSync(join(folder, 'link.json')), 'target.json');
    assert.equal(JSON.parse(readFileSync(join(folder, 'target.json'), 'utf8')).summary.packages, 2);
  });

  for (const input of ['pkgseal.policy.json', 'package-lock.json', 'package.json']) {
    test(`--output ${input} (a file the audit reads) is refused before anything is written`, async () => {
      const project = demoCopy(`output-onto-${input}`);
      const original = readFileSync(join(project, input), 'utf8');
      const result = await runCli(['audit', project, '--offline', '--output', join(project, input)], { env: cleanEnv() });
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.ok(isOneCleanLine(result.stderr), result.stderr);
      assert.match(result.stderr, new RegExp(`--output .*${input.replace('.', '\\.')} would overwrite`));
      assert.equal(readFileSync(join(project, input), 'utf8'), original);
    });
  }

  test('--output through a symbolic link to the policy is refused too', async () => {
    const project = demoCopy('output-link-to-policy');
    const link = join(scratchDir('files-link-to-policy'), 'report.json');
    symlinkSync(join(project, 'pkgseal.policy.json'), link);
    const original = readFileSync(join(project, 'pkgseal.policy.json'), 'utf8');
    const result = await runCli(['audit', project, '--offline', '--output', link], { env: cleanEnv() });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.equal(readFileSync(join(project, 'pkgseal.policy.json'), 'utf8'), original);
  });

  test('--output into a folder that does not exist is one line, exit 2', async () => {
    const result = await runCli(['audit', demoCopy('output-missing'), '--offline', '--output', join(scratchDir('files-missing'), 'no', 'such', 'report.json')], { env: cleanEnv() });
    assert.equal(result.code, 2);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.match(result.stderr, /its folder does not exist/);
  });
});

describe('init', () => {
  test('init --force cut off part-way leaves the old policy as it was', async () => {
    const dir = scratchDir('files-init');
    writeFileSync(join(dir, 'pkgseal.policy.json'), OLD);
    const result = await runLimited(1, ['init', dir, '--force']);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /cannot write .*pkgseal\.policy\.json: the file would be too large/);
    assertIntactAndAlone(join(dir, 'pkgseal.policy.json'));
  });

  test('init without --force never touches an existing policy', async () => {
    const dir = scratchDir('files-init-noforce');
    writeFileSync(join(dir, 'pkgseal.policy.json'), OLD);
    const result = await runCli(['init', dir], { env: cleanEnv() });
    assert.equal(result.code, 2);
    assertIntactAndAlone(join(dir, 'pkgseal.policy.json'));
  });
});

describe('bundles written by sign (beside the tarball, and in a --store-dir)', () => {
  let sigstore: LocalSigstore;
  let token: string;
  before(async () => {
    sigstore = await startLocalSigstore();
    token = await sigstore.mintToken({}, 'dev@example.com');
  });
  after(async () => sigstore?.close());

  const signArgs = (tarball: string, extra: string[] = []) => ['sign', tarball, '--identity-token', token, '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, ...extra];

  test('a bundle write cut off part-way leaves the old bundle beside the tarball', async () => {
    const folder = scratchDir('files-sign');
    const tarball = join(folder, 'demo-good-lib-1.0.0.tgz');
    cpSync(GOOD.tarballFile, tarball);
    const bundle = join(folder, 'demo-good-lib-1.0.0.tgz.sigstore.json');
    writeFileSync(bundle, OLD);
    const result = await runLimited(2, signArgs(tarball));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /cannot write .*demo-good-lib-1\.0\.0\.tgz\.sigstore\.json: the file would be too large/);
    assertNoStackTrace(result.stderr);
    assertIntactAndAlone(bundle);
    // Control: with room to write, the bundle is replaced.
    const signed = await runCli(signArgs(tarball), { env: cleanEnv() });
    assert.equal(signed.code, 0, signed.stdout + signed.stderr);
    assert.equal(JSON.parse(readFileSync(bundle, 'utf8')).mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  });

  test('a --store-dir bundle cut off part-way leaves the stored bundle', async () => {
    const folder = scratchDir('files-store');
    const store = join(folder, 'store');
    mkdirSync(join(store, '@demo'), { recursive: true });
    const stored = join(store, '@demo', 'good-lib@1.0.0.sigstore.json');
    writeFileSync(stored, OLD);
    const tarball = join(folder, 'demo-good-lib-1.0.0.tgz');
    cpSync(GOOD.tarballFile, tarball);
    // Room for neither bundle: the one beside the tarball fails first, and the store is never written.
    const result = await runLimited(2, signArgs(tarball, ['--store-dir', store]));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assertIntactAndAlone(stored);
  });
});
