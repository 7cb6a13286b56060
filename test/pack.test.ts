// The shipped-tarball smoke test: what `npm pack` produces is what users install, so pack
// the built repo, check the file list, install the tarball into a scratch project from
// the registry and run the installed bin. Needs `npm run build` first (`npm test` does).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const SUITE_TIMEOUT_MS = 10 * 60_000;
const CLI_TIMEOUT_MS = 60_000;

const REQUIRED_FILES = [
  'dist/cli/main.js',
  'dist/index.js',
  'dist/index.d.ts',
  'policy.schema.json',
  'README.md',
  'package.json',
] as const;
const FORBIDDEN_PREFIXES = ['src/', 'test/', 'fixtures/', '.cache/', 'node_modules/'] as const;

interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface PackedFile {
  path: string;
}

interface PackResult {
  filename: string;
  files: PackedFile[];
}

/** Children get our environment minus the test runner's marker, which would make a
 * child that happens to load node:test report to us instead of running normally. */
function childEnvironment(): NodeJS.ProcessEnv {
  const environment = { ...process.env };
  delete environment.NODE_TEST_CONTEXT;
  return environment;
}

/** Runs a command without a shell; resolves with its exit code instead of rejecting. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: childEnvironment(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: spawn failure, timeout or signal.
          const reason = error.killed ? `killed after ${timeoutMs} ms` : error.message;
          reject(new Error(`${command} ${args.join(' ')} failed: ${reason}\n${stderr}`));
          return;
        }
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

async function runOk(command: string, args: string[], cwd: string, timeoutMs: number): Promise<CommandResult> {
  const result = await run(command, args, cwd, timeoutMs);
  assert.equal(
    result.exitCode,
    0,
    `${command} ${args.join(' ')} exited ${result.exitCode}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
  );
  return result;
}

/** `npm pack --json` prints a JSON array; lifecycle scripts may print before it. */
function parsePackOutput(stdout: string): PackResult {
  const jsonStart = stdout.search(/^\[/m);
  assert.ok(jsonStart >= 0, `npm pack --json printed no JSON array:\n${stdout}`);
  const packed = JSON.parse(stdout.slice(jsonStart)) as PackResult[];
  assert.equal(packed.length, 1, 'npm pack should produce exactly one tarball');
  return packed[0]!;
}

function nonEmptyLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

describe('shipped tarball', { timeout: SUITE_TIMEOUT_MS }, () => {
  let tempRoot = '';
  let tarballPath = '';
  let packedPaths: string[] = [];

  before(async () => {
    assert.ok(
      existsSync(path.join(repoRoot, 'dist/cli/main.js')),
      'dist/cli/main.js is missing: run `npm run build` first (`npm test` does)',
    );
    tempRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-pack-'));
    const packDir = path.join(tempRoot, 'pack');
    await fs.mkdir(packDir);
    const { stdout } = await runOk('npm', ['pack', '--json', '--pack-destination', packDir], repoRoot, INSTALL_TIMEOUT_MS);
    const packed = parsePackOutput(stdout);
    tarballPath = path.join(packDir, packed.filename);
    packedPaths = packed.files.map((file) => file.path.replace(/\\/g, '/'));
    assert.ok(existsSync(tarballPath), `npm pack reported ${packed.filename} but it is not in ${packDir}`);
  });

  after(async () => {
    if (tempRoot) await fs.rm(tempRoot, { recursive: true, force: true });
  });

  it('contains the bin, the library entry points, the policy schema, the README and package.json', () => {
    const missing = REQUIRED_FILES.filter((required) => !packedPaths.includes(required));
    assert.deepEqual(
      missing,
      [],
      `missing from the tarball: ${missing.join(', ')} (is it built, does it exist, is it in "files"?); ` +
        `${packedPaths.length} files were packed`,
    );
  });

  it('leaves out sources, tests, fixtures, caches and node_modules', () => {
    const leaked = packedPaths.filter((packedPath) =>
      FORBIDDEN_PREFIXES.some((prefix) => packedPath.startsWith(prefix)),
    );
    assert.deepEqual(leaked, [], 'these files should not be shipped; check "files" in package.json');
  });

  describe('installed into a scratch project', () => {
    let pkgsealBin = '';
    let scratchProject = '';

    before(async () => {
      // A fixed folder name keeps `npm init -y` from naming the project after a random
      // (possibly upper-case) temp name, or "pkgseal", which npm refuses to install into.
      scratchProject = path.join(tempRoot, 'scratch-project');
      await fs.mkdir(scratchProject);
      await runOk('npm', ['init', '-y'], scratchProject, CLI_TIMEOUT_MS);
      await runOk(
        'npm',
        ['install', '--no-audit', '--no-fund', '--offline=false', tarballPath],
        scratchProject,
        INSTALL_TIMEOUT_MS,
      );
      pkgsealBin = path.join(scratchProject, 'node_modules/.bin/pkgseal');
      assert.ok(existsSync(pkgsealBin), 'npm install did not link node_modules/.bin/pkgseal');
    }, { timeout: INSTALL_TIMEOUT_MS + CLI_TIMEOUT_MS });

    it('starts the bin with a node shebang', async () => {
      const installedMain = path.join(scratchProject, 'node_modules/pkgseal/dist/cli/main.js');
      const firstLine = (await fs.readFile(installedMain, 'utf8')).split('\n', 1)[0];
      assert.equal(firstLine, '#!/usr/bin/env node');
    });

    it('prints the package.json version for --version', async () => {
      const packageJson = JSON.parse(await fs.readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
        version: string;
      };
      const { stdout } = await runOk(pkgsealBin, ['--version'], scratchProject, CLI_TIMEOUT_MS);
      assert.equal(stdout.trim(), packageJson.version);
    });

    it('shows help for verify --help and exits 0', async () => {
      const { stdout } = await runOk(pkgsealBin, ['verify', '--help'], scratchProject, CLI_TIMEOUT_MS);
      assert.match(stdout, /verify/);
    });

    it('rejects an unknown command with exit code 2 and a one-line error, no stack trace', async () => {
      const result = await run(pkgsealBin, ['bogus-command'], scratchProject, CLI_TIMEOUT_MS);
      assert.equal(result.exitCode, 2, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
      const errorLines = nonEmptyLines(result.stderr);
      assert.equal(errorLines.length, 1, `expected a one-line error on stderr, got:\n${result.stderr}`);
      assert.match(errorLines[0]!, /bogus-command/);
      const stackLines = nonEmptyLines(`${result.stdout}\n${result.stderr}`).filter((line) => line.startsWith('    at '));
      assert.deepEqual(stackLines, [], 'no stack trace should reach the user');
    });
  });
});
