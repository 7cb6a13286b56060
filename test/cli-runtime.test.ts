/**
 * The CLI sets V8 flags for short runs before it does any work (src/cli/v8-tuning.ts). V8 prints
 * an error for a flag it does not know, so this file runs on Node 20 and, through
 * scripts/node24.mjs, on Node 24 too.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

describe(`the CLI on Node ${process.versions.node}`, () => {
  test('--version prints the version and nothing on stderr', async () => {
    const result = await runCli(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(result.stderr, '');
  });

  test('an audit reports on stdout and leaves stderr empty', async () => {
    const result = await runCli(['audit', join(REPO_ROOT, 'fixtures/demo'), '--offline', '--quiet']);
    assert.equal(result.code, 1, 'the demo has one violation');
    assert.match(result.stdout, /2 packages: 1 passed, 1 violations/);
    assert.equal(result.stderr, '');
  });
});
