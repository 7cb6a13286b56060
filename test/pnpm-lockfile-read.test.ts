/**
 * pnpm-lock.yaml is read in one pass (src/tree/pnpm-lock-yaml.ts) when it is written as pnpm
 * writes it, else with js-yaml (core schema) and a line scan for its lines
 * (src/tree/yaml-key-lines.ts). The yaml package, which read it before, is the reference for the
 * js-yaml reading: the same documents, and the same line for every package and importer dependency
 * key; the js-yaml reading is the reference for the one-pass reading: the same packages, lines
 * included, and the same errors.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { readLockYaml } from '../src/tree/pnpm-lock-yaml.js';
import { readPnpmLockfile, readPnpmLockfileWithJsYaml } from '../src/tree/pnpm-lockfile.js';
import { readSnapshotGraph } from '../src/tree/pnpm-snapshot-graph.js';
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

/** What a reading gives: the packages, or the error's message. */
function outcome(read: () => unknown): { packages: unknown } | { error: string } {
  try {
    return { packages: read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function assertReadsAsWithJsYaml(text: string): void {
  const registryFor = (name: string) => (name.startsWith('@corp/') ? 'https://npm.corp.example/' : npmjs());
  const fast = outcome(() => readPnpmLockfile(text, '/project/pnpm-lock.yaml', registryFor));
  const reference = outcome(() => readPnpmLockfileWithJsYaml(text, '/project/pnpm-lock.yaml', registryFor));
  assert.deepStrictEqual(fast, reference, text);
  // In the same order too: reports print these objects as they are.
  assert.equal(JSON.stringify(fast), JSON.stringify(reference));
}

describe('pnpm-lock.yaml read in one pass', () => {
  const link = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      a:\n        specifier: 1.0.0\n        version: 1.0.0\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  a@1.0.0:\n    dependencies:\n      b: link:vendor/b\n";
  const env = "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    packageManagerDependencies:\n      pnpm:\n        specifier: 12.0.0\n        version: 12.0.0\n\npackages:\n\n  pnpm@12.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  pnpm@12.0.0: {}\n\n---\n";
  const texts: Array<[string, string]> = [
    ...[...LOCKFILES, join(REPO_ROOT, 'fixtures/tree/npm-shrinkwrap/pnpm-lock.yaml')].map((file): [string, string] => [file.slice(REPO_ROOT.length + 1), readFileSync(file, 'utf8')]),
    ['a link: dependency of a package', link],
    ['an env document first (pnpm 11+)', env + readFileSync(LOCKFILES[0]!, 'utf8')],
    ['a CRLF lockfile', readFileSync(LOCKFILES[1]!, 'utf8').replaceAll('\n', '\r\n')],
    ['lockfileVersion 6.0', "lockfileVersion: '6.0'\nimporters: {}\n"],
    ['no lockfileVersion', 'importers: {}\n'],
    ['a snapshot without its package', "lockfileVersion: '9.0'\nimporters:\n  .: {}\nsnapshots:\n  a@1.0.0: {}\n"],
    ['a registry package without integrity', "lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  a@1.0.0:\n    resolution: {}\nsnapshots:\n  a@1.0.0: {}\n"],
    ['a dependency not in snapshots', "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\n"],
  ];
  for (const [what, text] of texts) {
    it(`${what}: the same packages or error as read with js-yaml`, () => assertReadsAsWithJsYaml(text));
  }

  it('takes the one-pass reading for every lockfile pnpm wrote here', () => {
    for (const file of LOCKFILES) assert.ok(readLockYaml(readFileSync(file, 'utf8'), 4), file);
  });

  it('reads lockfiles with lines put in or changed as with js-yaml', () => {
    const lockfiles = LOCKFILES.slice(0, 2).map((file) => readFileSync(file, 'utf8').split('\n'));
    const line = fc.constantFrom(
      '# comment',
      '    # deep comment',
      'x:',
      '  trailing: x   ',
      '  key: value # comment',
      "  'quoted': 'it''s'",
      '  extra: {integrity: sha512-BBBB}',
      '      b: link:../b',
      '      ms: 2.1.3',
      '    optionalDependencies:',
      '  &anchor x: 1',
      '  "double": "quoted"',
      '  dup: 1',
      '---',
      '  1.0: one',
      '      __proto__: 1.0.0',
      '\tindented: tab',
    );
    fc.assert(
      fc.property(fc.nat({ max: 1 }), fc.array(fc.tuple(fc.nat(), line), { minLength: 1, maxLength: 3 }), (which, edits) => {
        const lines = [...lockfiles[which]!];
        for (const [position, added] of edits) lines.splice(position % (lines.length + 1), 0, added);
        assertReadsAsWithJsYaml(lines.join('\n'));
      }),
      { seed: 31, numRuns: 300, includeErrorInReport: true },
    );
  });
});

describe('keys that are also Object.prototype names', () => {
  const lockfile = (snapshotDependencies: string, packageExtra = '') =>
    [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a:',
      '        specifier: 1.0.0',
      '        version: 1.0.0',
      'packages:',
      '  a@1.0.0:',
      '    resolution: {integrity: sha512-AAAA}',
      packageExtra,
      '  b@1.0.0:',
      '    resolution: {integrity: sha512-BBBB}',
      '  constructor@1.0.0:',
      '    resolution: {integrity: sha512-CCCC}',
      'snapshots:',
      '  a@1.0.0:',
      '    dependencies:',
      snapshotDependencies,
      '  b@1.0.0: {}',
      '  constructor@1.0.0: {}',
      '',
    ].filter((line) => line !== '').join('\n');

  it('refuses a "__proto__" key anywhere, whichever way the file is read: it would hide an entry', () => {
    for (const text of [lockfile('      __proto__: 1.0.0'), lockfile('      b: 1.0.0', '    __proto__: {}'), lockfile('      b: 1.0.0').replace('  .:', '  __proto__:')]) {
      for (const read of [readPnpmLockfile, readPnpmLockfileWithJsYaml]) {
        assert.throws(() => read(text, 'pnpm-lock.yaml', npmjs), /"__proto__" key, which pnpm never writes/);
      }
    }
  });

  it('the snapshot graph refuses a "__proto__" key on its own too, not only behind the lockfile check', () => {
    for (const snapshots of ['{"__proto__": {}}', '{"b@1.0.0": {"dependencies": {"__proto__": "1.0.0"}}}']) {
      assert.throws(() => readSnapshotGraph(JSON.parse(snapshots), {}), /"__proto__" key, which pnpm never writes/, snapshots);
    }
  });

  it('a dependency named like a prototype method is an ordinary dependency, not a peer', () => {
    const packages = readPnpmLockfile(lockfile('      constructor: 1.0.0'), 'pnpm-lock.yaml', npmjs);
    const dependency = packages.find((pkg) => pkg.name === 'constructor');
    assert.equal(dependency?.peer, false);
  });
});
