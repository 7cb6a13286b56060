/**
 * pnpm-lock.yaml is read with js-yaml (core schema) and its lines found by a line scan
 * (src/tree/yaml-key-lines.ts); the yaml package, which read it before, is the reference here:
 * the same documents, and the same line for every package and importer dependency key.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { readPnpmLockfile } from '../src/tree/pnpm-lockfile.js';
import { yamlKeyLines } from '../src/tree/yaml-key-lines.js';
import { REPO_ROOT } from './support/realdata.js';

const LOCKFILES = ['fixtures/tree/pnpm-omit', 'fixtures/tree/pnpm-sources', 'bench/workload'].map((dir) => join(REPO_ROOT, dir, 'pnpm-lock.yaml'));
const npmjs = () => 'https://registry.npmjs.org/';

/** Every block-mapping key path (up to 4 deep) → line, as the yaml package's document places them. */
function referenceLines(text: string): Map<string, number> {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter });
  const main = (Array.isArray(documents) ? documents : [documents]).at(-1)!;
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: string[]) => {
    // pnpm writes one-line flow mappings ({integrity: …}) only as values: their keys are not entries.
    if (!isMap(node) || node.flow || path.length >= 4) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key) || pair.key.range === undefined || pair.key.range === null) continue;
      const keyPath = [...path, String(pair.key.value)];
      lines.set(keyPath.join('\0'), lineCounter.linePos(pair.key.range[0]).line);
      walk(pair.value, keyPath);
    }
  };
  walk(main.contents, []);
  return lines;
}

describe('pnpm-lock.yaml read with js-yaml', () => {
  for (const file of LOCKFILES) {
    const text = readFileSync(file, 'utf8');
    const name = file.slice(REPO_ROOT.length + 1);
    it(`${name}: the same documents as the yaml package reads`, () => {
      const reference = parseAllDocuments(text);
      assert.deepEqual(loadAll(text, undefined, { schema: CORE_SCHEMA }), (Array.isArray(reference) ? reference : [reference]).map((document) => document.toJS()));
    });
    it(`${name}: every key line the yaml package places, placed the same`, () => {
      const expected = referenceLines(text);
      const actual = yamlKeyLines(text, 4);
      assert.ok(expected.size > 0);
      for (const [path, line] of expected) assert.equal(actual.get(path), line, path.replaceAll('\0', ' > '));
    });
  }

  it('finds keys in the last document only, quoted or plain, with comments and CRLF', () => {
    const text = "---\nimporters:\n  .: {}\n---\n# the project\nimporters:\r\n  .:\r\n    dependencies:\r\n      'a:b':\r\n        version: 1.0.0\r\n      \"c\\\"d\": # quoted\r\n        version: 2.0.0\r\n";
    const lines = yamlKeyLines(text, 4);
    assert.equal(lines.get('importers'), 6);
    assert.equal(lines.get(['importers', '.', 'dependencies', 'a:b'].join('\0')), 9);
    assert.equal(lines.get(['importers', '.', 'dependencies', 'c"d'].join('\0')), 11);
  });

  const rejected: Array<[string, string, RegExp]> = [
    ['anchors and aliases', "lockfileVersion: '9.0'\nimporters:\n  .: &x {}\n  other: *x\n", /anchors and aliases/],
    ['a self-referencing anchor', "lockfileVersion: '9.0'\nimporters: &x\n  .: *x\n", /anchors and aliases|unidentified alias/],
    ['a key written twice', "lockfileVersion: '9.0'\nimporters: {}\nimporters: {}\n", /duplicated mapping key at line 3, column 1/],
    ['YAML that does not parse', "lockfileVersion: '9.0'\nimporters: [\n", / at line \d+, column \d+$/],
  ];
  for (const [what, text, message] of rejected) {
    it(`refuses ${what}`, () => {
      assert.throws(() => readPnpmLockfile(text, 'pnpm-lock.yaml', npmjs), message);
    });
  }

  it('reads dates and merge keys as text, as YAML 1.2 core does (no timestamp or merge types)', () => {
    const [document] = loadAll("a: 2001-12-14\n<<: {b: 1}\n", undefined, { schema: CORE_SCHEMA }) as Array<Record<string, unknown>>;
    assert.equal(document!.a, '2001-12-14');
    assert.deepEqual(document!['<<'], { b: 1 });
  });
});
