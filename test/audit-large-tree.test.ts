import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

const LARGE_TREE = join(REPO_ROOT, 'fixtures/large-tree');
const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-large-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Every distinct name@version the lockfile records (what the audit must report). */
function lockedVersions(): Set<string> {
  const lockfile = JSON.parse(readFileSync(join(LARGE_TREE, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string; version: string }> };
  const versions = new Set<string>();
  for (const [path, entry] of Object.entries(lockfile.packages)) {
    if (path === '') continue;
    versions.add(`${entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`);
  }
  return versions;
}

function policy(name: string, document: object): string {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

describe('audit of a real lockfile of more than 500 packages', () => {
  const expected = lockedVersions();

  test('the fixture is a real tree of more than 500 packages', () => {
    assert.ok(expected.size > 500, `only ${expected.size} packages`);
  });

  test('reports every package, offline, with require "none"', async () => {
    const result = await runCli(['audit', LARGE_TREE, '--offline', '--format', 'json', '--policy', policy('none.json', { version: 1, sources: ['registry'], defaults: { require: 'none' } })]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { summary: { packages: number; passed: number }; results: Array<{ name: string; version: string }> };
    assert.deepEqual(new Set(report.results.map((r) => `${r.name}@${r.version}`)), expected);
    assert.equal(report.summary.passed, expected.size);
  });

  test('reports every package against the npm registry, each failing closed where registry signatures are missing', { timeout: 300_000 }, async () => {
    // The registry reachable here serves packuments without dist.signatures: every package must
    // be reported, and none may pass a signature check it could not make.
    const result = await runCli(['audit', LARGE_TREE, '--format', 'json', '--policy', policy('signatures.json', { version: 1, sources: ['registry'], defaults: { require: 'registry-signature' } })]);
    const report = JSON.parse(result.stdout) as { summary: { packages: number }; results: Array<{ name: string; version: string; outcome: string; reason: string }> };
    assert.deepEqual(new Set(report.results.map((r) => `${r.name}@${r.version}`)), expected);
    for (const entry of report.results) {
      if (entry.outcome === 'pass') assert.match(entry.reason, /^registry signature by SHA256:/);
      else assert.equal(entry.outcome, 'violation');
    }
    assert.equal(result.code, report.results.every((entry) => entry.outcome === 'pass') ? 0 : 1);
  });
});
