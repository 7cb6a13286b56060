import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { initCommand } from '../src/cli/init-command.js';
import type { ObservedSigner } from '../src/policy/init-policy.js';
import { isOneCleanLine, type CliResult } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-policy-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const source = (path: string) => JSON.stringify(pathToFileURL(join(REPO_ROOT, path)).href);

/**
 * `pkgseal policy …` and `pkgseal init …` as main.ts runs its commands (same exit codes and
 * stderr), in a child process so exit codes and output stay apart from the test runner's.
 * `PKGSEAL_TEST_OBSERVATIONS` (JSON) stands in for the tree walk behind `init --from-tree`.
 */
const PROGRAM = `
import { policyCommand } from ${source('src/cli/policy-command.ts')};
import { initCommand } from ${source('src/cli/init-command.ts')};
import { UsageError } from ${source('src/cli/usage-error.ts')};
const observations = process.env.PKGSEAL_TEST_OBSERVATIONS;
const observe = observations ? async () => JSON.parse(observations) : undefined;
const [name, ...args] = process.argv.slice(1);
const command = { policy: policyCommand(), init: initCommand({ observe }) }[name];
try {
  await command.exitOverride().configureOutput({ outputError: () => undefined }).parseAsync(args, { from: 'user' });
  process.exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
} catch (error) {
  const commanderExit = typeof error?.code === 'string' && error.code.startsWith('commander.') ? error.exitCode : undefined;
  if (commanderExit === 0) process.exitCode = 0;
  else {
    const known = commanderExit !== undefined || error instanceof UsageError;
    process.stderr.write('pkgseal: ' + (known ? '' : 'internal error: ') + String(error.message).replace(/^error: /, '') + '\\n');
    process.exitCode = 2;
  }
}
`;

const TSX = import.meta.resolve('tsx');

function run(args: string[], options: { cwd?: string; observations?: ObservedSigner[] } = {}): Promise<CliResult> {
  const env = { ...process.env, ...(options.observations ? { PKGSEAL_TEST_OBSERVATIONS: JSON.stringify(options.observations) } : {}) };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, '--input-type=module', '-e', PROGRAM, '--', ...args], { cwd: options.cwd ?? scratch, env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function folder(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('pkgseal policy check', () => {
  test('a valid policy prints OK: FILE and exits 0', async () => {
    const file = join(REPO_ROOT, 'fixtures/demo/pkgseal.policy.json');
    const result = await run(['policy', 'check', file]);
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, `OK: ${file}\n`, '']);
  });

  test('without FILE it checks ./pkgseal.policy.json', async () => {
    const dir = folder('default-file');
    writeFileSync(join(dir, 'pkgseal.policy.json'), '{ "version": 1 }\n');
    const result = await run(['policy', 'check'], { cwd: dir });
    assert.deepEqual([result.code, result.stdout], [0, 'OK: ./pkgseal.policy.json\n']);
  });

  test('prints every error, one per line as FILE:LINE:COL: /pointer: reason, and exits 2', async () => {
    const file = join(folder('errors'), 'pkgseal.policy.json');
    writeFileSync(
      file,
      ['{', '  "version": 1,', '  "surprise": true,', '  "packages": [', '    { "match": "a", "versions": ">=banana", "require": "signed" }', '  ]', '}', ''].join('\n'),
    );
    const result = await run(['policy', 'check', file]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, [
      `${file}:3:3: /: unknown key "surprise"`,
      `${file}:5:33: /packages/0/versions: invalid semver range ">=banana"`,
      `${file}:5:56: /packages/0/require: require "signed" needs at least one identity, in the entry or in defaults.identities`,
      '',
    ].join('\n'));
  });

  test('warnings are printed before OK and do not fail', async () => {
    const file = join(folder('warnings'), 'pkgseal.policy.json');
    writeFileSync(file, '{\n  "version": 1,\n  "sources": ["github"]\n}\n');
    const result = await run(['policy', 'check', file]);
    assert.deepEqual([result.code, result.stdout], [0, `${file}:3:15: /sources/0: warning: source "github" is not supported yet: it is skipped\nOK: ${file}\n`]);
  });

  test('a missing file exits 2 with one clean line', async () => {
    const file = join(scratch, 'nothing-here.json');
    const result = await run(['policy', 'check', file]);
    assert.equal(result.code, 2);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.equal(result.stderr, `pkgseal: ${file}: cannot read policy: no such file (write a starter policy with "pkgseal init")\n`);
  });

  test('invalid JSON is reported with line and column, exit 2', async () => {
    const file = join(folder('not-json'), 'pkgseal.policy.json');
    writeFileSync(file, '{\n  "version": 1,\n  "mode": "warn"\n  "packages": []\n}\n');
    const result = await run(['policy', 'check', file]);
    assert.deepEqual([result.code, result.stdout], [2, `${file}: not valid JSON at line 4, column 3 (Expected ',' or '}' after property value)\n`]);
  });
});

describe('pkgseal init', () => {
  test('writes a starter policy that passes policy check, and explains it', async () => {
    const dir = folder('init-fresh');
    const result = await run(['init', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Wrote .*pkgseal\.policy\.json \(mode: warn/);
    assert.match(result.stdout, /Next: run "pkgseal audit"/);
    const policy = JSON.parse(readFileSync(join(dir, 'pkgseal.policy.json'), 'utf8'));
    assert.deepEqual([policy.mode, policy.defaults.require, policy.defaults.noDowngrade, policy.sources, policy.trust[0].name], ['warn', 'registry-signature', true, ['registry'], 'public-good']);
    assert.equal(typeof policy.$comment, 'string');
    const checked = await run(['policy', 'check', join(dir, 'pkgseal.policy.json')]);
    assert.equal(checked.code, 0, checked.stdout);
  });

  test('refuses to overwrite an existing policy without --force, leaving it untouched', async () => {
    const dir = folder('init-existing');
    const file = join(dir, 'pkgseal.policy.json');
    writeFileSync(file, '{ "version": 1, "mode": "enforce" }\n');
    const result = await run(['init', dir]);
    assert.equal(result.code, 2);
    assert.ok(isOneCleanLine(result.stderr), result.stderr);
    assert.equal(result.stderr, `pkgseal: ${file} already exists; use --force to overwrite it\n`);
    assert.equal(readFileSync(file, 'utf8'), '{ "version": 1, "mode": "enforce" }\n');
  });

  test('--force replaces the file by renaming a complete temporary file over it', async () => {
    const dir = folder('init-force');
    const file = join(dir, 'pkgseal.policy.json');
    writeFileSync(file, '{ "version": 1, "mode": "enforce" }\n');
    const before = statSync(file).ino;
    const result = await run(['init', dir, '--force']);
    assert.equal(result.code, 0, result.stderr);
    assert.notEqual(statSync(file).ino, before, 'an in-place write would keep the inode');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).mode, 'warn');
    assert.deepEqual(readdirSync(dir), ['pkgseal.policy.json']);
  });

  test('a failed write is a usage error and leaves the old policy intact (atomicity itself: test/report.test.ts)', async () => {
    const dir = folder('init-fails');
    const file = join(dir, 'pkgseal.policy.json');
    writeFileSync(file, '{ "version": 1, "mode": "enforce" }\n');
    const failingDisk = async () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    };
    await assert.rejects(
      initCommand({ writeFile: failingDisk }).exitOverride().parseAsync([dir, '--force'], { from: 'user' }),
      new RegExp(`^UsageError: cannot write ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOSPC\\); nothing was changed$`),
    );
    assert.equal(readFileSync(file, 'utf8'), '{ "version": 1, "mode": "enforce" }\n');
    assert.deepEqual(readdirSync(dir), ['pkgseal.policy.json']);
  });

  test('a missing folder is a usage error', async () => {
    const result = await run(['init', join(scratch, 'no-such-dir')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^pkgseal: .*no-such-dir: no such folder\n$/);
  });

  test('--from-tree without a tree observer is a usage error', async () => {
    const result = await run(['init', folder('init-no-tree'), '--from-tree']);
    assert.deepEqual([result.code, result.stderr], [2, 'pkgseal: --from-tree is not available in this build\n']);
  });

  test('--from-tree records the observed signers as a valid warn-mode policy', async () => {
    const dir = folder('init-from-tree');
    const observations: ObservedSigner[] = [
      {
        name: 'sigstore',
        issuer: 'https://token.actions.githubusercontent.com',
        subject: 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main',
        repository: 'https://github.com/sigstore/sigstore-js',
        workflow: '.github/workflows/release.yml',
      },
    ];
    const result = await run(['init', dir, '--from-tree'], { observations });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 package\(s\) with provenance/);
    const policy = JSON.parse(readFileSync(join(dir, 'pkgseal.policy.json'), 'utf8'));
    assert.deepEqual(policy.packages.map((entry: { match: string; require: string }) => [entry.match, entry.require]), [['sigstore', 'provenance']]);
    assert.equal((await run(['policy', 'check', join(dir, 'pkgseal.policy.json')])).code, 0);
  });
});
