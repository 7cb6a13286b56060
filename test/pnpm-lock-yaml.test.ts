/**
 * readLockYaml (src/tree/pnpm-lock-yaml.ts), the one-pass reader of the YAML pnpm writes, against
 * what it stands in for: js-yaml's loadAll with the core schema for the documents, yamlKeyLines
 * for the key lines. Over generated lockfile-like YAML and over real lockfiles with odd constructs
 * put in, it either declines or gives exactly what those two give; when js-yaml refuses a text,
 * it declines. Fixed seeds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CORE_SCHEMA, dump, loadAll } from 'js-yaml';
import { MAY_RESOLVE, readLockYaml } from '../src/tree/pnpm-lock-yaml.js';
import { yamlKeyLines } from '../src/tree/yaml-key-lines.js';
import { REPO_ROOT } from './support/realdata.js';

const options = (seed: number, numRuns: number) => ({ seed, numRuns, includeErrorInReport: true });

type Outcome = { documents: unknown[] } | { refused: string };

function jsYaml(text: string): Outcome {
  try {
    return { documents: loadAll(text, undefined, { schema: CORE_SCHEMA }) };
  } catch (error) {
    return { refused: String(error) };
  }
}

/** The property: readLockYaml declines, or reads what js-yaml reads and places keys where yamlKeyLines does. Tells which. */
function assertDeclinesOrAgrees(text: string): 'declined' | 'read' {
  const fast = readLockYaml(text, 4);
  if (fast === undefined) return 'declined';
  const reference = jsYaml(text);
  assert.ok('documents' in reference, `read what js-yaml refuses (${'refused' in reference ? reference.refused : ''}):\n${text}`);
  assert.deepStrictEqual(fast.documents, reference.documents, text);
  assert.deepStrictEqual(fast.keyLines.toMap(), yamlKeyLines(text, 4), text);
  return 'read';
}

/** Fails unless readLockYaml, in a process of its own, is done with `text` within `ms`. */
function assertReadsWithin(text: string, ms: number): void {
  const reader = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'read-lock-yaml.ts')], { input: text, timeout: ms, encoding: 'utf8' });
  const outcome = reader.stdout === 'done' ? 'done' : reader.signal ? `still reading after ${ms} ms` : `failed: ${reader.stderr.trim().split('\n', 1)[0]}`;
  assert.equal(outcome, 'done', `${outcome} (a ${text.length}-character text)`);
}

/** Scalars whose reading depends on the rules: numbers, booleans, nulls, dates, versions, indicators, quotes. */
const TRICKY = [
  ...['1.0', '1e3', '1E3', '-1', '+1', '0', '-0', '007', '0x1F', '0o17', '0b101', '1_000', '1_', '.5', '1.', '-.5e+3', '1.2.3', '10.0.0-rc.1', '0.0.0'],
  ...['~', 'null', 'Null', 'NULL', 'nUll', 'true', 'True', 'TRUE', 'tRue', 'false', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n'],
  ...['.inf', '-.Inf', '+.INF', '.nan', '.NaN', '.NAN', 'inf', 'NaN', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '12:30:00', '<<', '='],
  ...['^1.0.0 || >=2', '>=18', '>= 14.0.0', '8 || 9 || 10', 'link:../x', 'link:', 'file:x.tgz', 'workspace:*', 'npm:other@1.0.0'],
  ...['git+https://github.com/a/b.git#0123abc', 'https://example.com/a/-/a-1.0.0.tgz', 'sha512-AbC+/dEf==', 'sha1-abc'],
  ...["it's", "''", "'", 'a #b', 'a#b', '#a', 'a: b', 'a:b', 'a:', ':a', ': a', '-a', '- a', '-', '--', '---', '...', '?a', '? a'],
  ...['[x]', '[a, b]', '{}', '[]', '{a: b}', 'a,b', 'a]', 'a}', '*a', '&a', '!a', '!!str a', '|', '>', '%a', '`a', '@a', '"a"', 'a "b"', 'a\\b'],
  ...['', ' ', ' a', 'a ', 'a  b', 'é', '日本', '😀', 'a\tb', '\u00a0a', 'a\u2028b', '\ufeffa', 'a\rb'],
];
const PACKAGE_NAMES = ['a', 'ms', 'is-number', 'node-ipc', 'true', 'null', 'nan', '@scope/x', '@babel/core', 'x.js', 'constructor', '1', 'toString'];
/** What lockfiles are mostly made of. */
const ORDINARY = fc.oneof(
  fc.constantFrom('1.0.0', '18.2.0', '2.0.0-beta.1', '^1.2.3', 'link:../lib', 'file:x.tgz', 'sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng=='),
  fc.constantFrom('https://registry.example/@scope/x/-/x-1.0.0.tgz', 'github:user/repo#abc', '>=18', 'x64', 'darwin', 'true', 'false'),
  fc.tuple(fc.constantFrom(...PACKAGE_NAMES), fc.constantFrom('1.0.0', '18.2.0', '2.0.0-beta.1', '1.0')).map(([name, version]) => `${name}@${version}`),
  fc.constantFrom('1.0.0(react@18.2.0)', '7.24.0(@babel/core@7.24.0(supports-color@5.5.0))', '1.0.0(patch_hash=abc)(a@1)', 'node_modules/.pnpm/a@1.0.0'),
);
const scalar = fc.oneof(
  { arbitrary: ORDINARY, weight: 6 },
  { arbitrary: fc.constantFrom(...TRICKY), weight: 3 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...'a0.-_:#@/ \'"[]{},&*!|>%`~+eE'.split('')), maxLength: 8 }), weight: 1 },
);
const key = fc.oneof(
  // js-yaml defines `__proto__` as a key; the reader declines it.
  { arbitrary: fc.constant('__proto__'), weight: 1 },
  { arbitrary: fc.constantFrom(...PACKAGE_NAMES, 'importers', 'packages', 'snapshots', 'dependencies', 'resolution', 'integrity', '.', 'packages/app'), weight: 40 },
  { arbitrary: scalar, weight: 20 },
);
const entries = <T>(value: fc.Arbitrary<T>, maxLength: number) =>
  fc.oneof(
    { arbitrary: fc.uniqueArray(fc.tuple(key, value), { selector: ([entryKey]) => entryKey, maxLength }), weight: 19 },
    // js-yaml refuses a key written twice; so must the reader.
    { arbitrary: fc.array(fc.tuple(key, value), { maxLength }), weight: 1 },
  );

type YamlNode = { scalar: string } | { mapping: Array<[string, YamlNode]> } | { sequence: YamlNode[] } | { flowMapping: Array<[string, YamlNode]> } | { flowSequence: YamlNode[] };

const node: fc.Arbitrary<YamlNode> = fc.letrec<{ node: YamlNode; flow: YamlNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ scalar }),
    fc.record({ mapping: entries(tie('node'), 4) }),
    fc.record({ sequence: fc.array(fc.oneof(fc.record({ scalar }), tie('flow')), { minLength: 1, maxLength: 3 }) }),
    tie('flow'),
  ),
  flow: fc.oneof(
    { depthSize: 'small' },
    fc.record({ flowMapping: entries(fc.oneof(fc.record({ scalar }), tie('flow')), 3) }),
    fc.record({ flowSequence: fc.array(fc.oneof(fc.record({ scalar }), tie('flow')), { maxLength: 3 }) }),
  ),
})).node;

/** How a document is written: how scalars are quoted, the indentation, comments, blank lines, line ends. */
interface Style {
  scalar: (text: string, where: number, inFlow?: boolean) => string;
  /** pnpm's way: js-yaml's dump of the whole flow collection, which quotes what a flow needs quoted. */
  dumpsFlows: boolean;
  indent: number;
  comment: (where: number) => string | undefined;
  blankLines: (where: number) => boolean;
  trailingSpaces: (where: number) => string;
  flowSpacing: (where: number) => string;
}

/** As pnpm writes a scalar (with js-yaml's dump), or always single-quoted, or as is (often not YAML). */
const QUOTING = {
  pnpm: (text: string, inFlow?: boolean) => {
    const dumped = dump(text, { schema: CORE_SCHEMA, lineWidth: -1 }).trimEnd();
    // dump quotes for a block; a flow also ends plain scalars at its indicators.
    return inFlow && /^[^'"].*[,[\]{}]/.test(dumped) ? QUOTING.single(text) : dumped;
  },
  single: (text: string) => `'${text.replaceAll("'", "''")}'`,
  plain: (text: string) => text,
};

const style: fc.Arbitrary<Style> = fc
  .record({
    quoting: fc.constantFrom('pnpm', 'pnpm', 'pnpm', 'pnpm', 'pnpm', 'single', 'single', 'mixed', 'mixed', 'plain'),
    indent: fc.constantFrom(2, 2, 2, 1, 3, 4),
    commentSeed: fc.integer({ min: 0, max: 11 }),
    blankSeed: fc.integer({ min: 0, max: 3 }),
    spaceSeed: fc.integer({ min: 0, max: 13 }),
  })
  .map(({ quoting, indent, commentSeed, blankSeed, spaceSeed }) => ({
    scalar: (text, where, inFlow) => (quoting === 'mixed' ? [QUOTING.pnpm, QUOTING.single][where % 2]! : QUOTING[quoting as keyof typeof QUOTING])(text, inFlow),
    dumpsFlows: quoting === 'pnpm',
    indent,
    comment: (where) => (commentSeed > 6 && where % commentSeed === 0 ? ['# a comment', '#', '#: not a key', "# 'x': 1"][where % 4] : undefined),
    blankLines: (where) => blankSeed > 0 && where % (blankSeed + 1) === 0,
    trailingSpaces: (where) => (spaceSeed > 10 && where % spaceSeed === 0 ? ' '.repeat(1 + (where % 2)) : ''),
    flowSpacing: (where) => (spaceSeed === 3 && where % 2 === 0 ? ' ' : ''),
  }));

function valueOf(node: YamlNode): unknown {
  if ('scalar' in node) return node.scalar;
  if ('mapping' in node || 'flowMapping' in node) return Object.fromEntries(('mapping' in node ? node.mapping : node.flowMapping).map(([entryKey, value]) => [entryKey, valueOf(value)]));
  return ('sequence' in node ? node.sequence : node.flowSequence).map(valueOf);
}

/** A value on its key's line, or a sequence item: a scalar in block context, or a flow collection. */
function renderValue(node: YamlNode, style: Style, where: number): string {
  return 'scalar' in node ? style.scalar(node.scalar, where) : renderFlow(node, style, where);
}

function renderFlow(node: YamlNode, style: Style, where: number): string {
  const pad = style.flowSpacing(where);
  if ('scalar' in node) return style.scalar(node.scalar, where, true);
  if (style.dumpsFlows) return dump(valueOf(node), { schema: CORE_SCHEMA, flowLevel: 0, lineWidth: -1 }).trimEnd();
  if ('flowMapping' in node || 'mapping' in node) {
    const entries = 'flowMapping' in node ? node.flowMapping : node.mapping;
    return `{${pad}${entries.map(([entryKey, value], index) => `${style.scalar(entryKey, where + index, true)}: ${renderFlow(value, style, where + index)}`).join(`,${pad} `)}${pad}}`;
  }
  const items = 'flowSequence' in node ? node.flowSequence : node.sequence;
  return `[${pad}${items.map((item, index) => renderFlow(item, style, where + index)).join(', ')}${pad}]`;
}

/** Block YAML for a mapping, as pnpm writes it give or take the style's oddities. */
function renderMapping(entries: Array<[string, YamlNode]>, style: Style, depth: number, lines: string[]): void {
  const indent = ' '.repeat(depth * style.indent);
  for (const [entryKey, value] of entries) {
    const where = lines.length;
    if (style.blankLines(where)) lines.push('');
    const comment = style.comment(where);
    if (comment !== undefined && where % 2 === 0) lines.push(`${' '.repeat(where % 5)}${comment}`);
    const head = `${indent}${style.scalar(entryKey, where)}:`;
    const after = comment !== undefined && where % 2 === 1 ? ` ${comment}` : style.trailingSpaces(where);
    if ('mapping' in value && value.mapping.length > 0) {
      lines.push(`${head}${after}`);
      renderMapping(value.mapping, style, depth + 1, lines);
    } else if ('sequence' in value) {
      lines.push(`${head}${after}`);
      const itemIndent = ' '.repeat((depth + 1) * style.indent);
      value.sequence.forEach((item, index) => lines.push(`${itemIndent}- ${renderValue(item, style, where + index)}${style.trailingSpaces(where + index)}`));
    } else if ('scalar' in value && value.scalar === '' && where % 3 === 0) {
      lines.push(`${head}${after}`);
    } else {
      lines.push(`${head} ${renderValue(value, style, where)}${after}`);
    }
  }
}

const lockfileLike = fc
  .record({
    env: fc.option(fc.uniqueArray(fc.tuple(key, node), { selector: ([entryKey]) => entryKey, minLength: 1, maxLength: 3 }), { nil: undefined }),
    main: fc.uniqueArray(fc.tuple(key, node), { selector: ([entryKey]) => entryKey, minLength: 1, maxLength: 6 }),
    style,
    version: fc.constantFrom("'9.0'", '9.0', '9', "'6.0'"),
    leadingSeparator: fc.boolean(),
    crlf: fc.constantFrom(false, false, false, true),
    finalNewline: fc.boolean(),
  })
  .map(({ env, main, style, version, leadingSeparator, crlf, finalNewline }) => {
    const lines: string[] = [];
    if (env !== undefined) {
      lines.push('---');
      renderMapping(env, style, 0, lines);
      lines.push('---');
    } else if (leadingSeparator) lines.push('---');
    lines.push(`lockfileVersion: ${version}`, '');
    renderMapping(main, style, 0, lines);
    const text = lines.join(crlf ? '\r\n' : '\n');
    return finalNewline ? `${text}${crlf ? '\r\n' : '\n'}` : text;
  });

/** Small edits that turn YAML pnpm writes into YAML it never writes (or into no YAML at all). */
const ODD_LINES = [
  '  &anchor x: 1',
  '  y: *anchor',
  '  z: !!str 1',
  '  "double": "quoted\\tvalue"',
  '  ? explicit key',
  '  : explicit value',
  '  block: |',
  '    literal text',
  '  folded: >-',
  '  - item',
  '---',
  '...',
  '--- # comment',
  '%YAML 1.2',
  '\tindented: tab',
  '   odd: indent',
  '# comment',
  '    # deep comment',
  'continued',
  '  multi line',
  'x:',
  '  {a: 1,',
  '  b: 2}',
  "  'quoted: key': 1",
  '  dup: 1',
  '  dup: 2',
  '  key: value # comment',
  '  key:value',
  '  <<: {a: 1}',
  '  1.0: one',
  '  ~: nothing',
  '  __proto__: {polluted: true}',
  '  trailing: x   ',
  '\u00a0nbsp: 1',
  '\ufeffbom: 1',
  'cr: 1\r',
];

function insertLines(text: string, edits: Array<[position: number, line: string]>): string {
  const lines = text.split('\n');
  for (const [position, line] of edits) lines.splice(position % (lines.length + 1), 0, line);
  return lines.join('\n');
}

function replaceCharacters(text: string, edits: Array<[position: number, replacement: string]>): string {
  let edited = text;
  for (const [position, replacement] of edits) {
    const at = position % (edited.length + 1);
    edited = edited.slice(0, at) + replacement + edited.slice(at + 1);
  }
  return edited;
}

const PNPM_LOCKFILES = ['fixtures/tree/pnpm-omit', 'fixtures/tree/pnpm-sources', 'fixtures/tree/npm-shrinkwrap', 'bench/workload'].map((dir) =>
  readFileSync(join(REPO_ROOT, dir, 'pnpm-lock.yaml'), 'utf8'),
);
const [omitLockfile, sourcesLockfile, , benchLockfile] = PNPM_LOCKFILES as [string, string, string, string];

describe('readLockYaml reads what js-yaml reads, or declines', () => {
  test('every pnpm lockfile of the repository: the same documents and key lines (the one that does not parse: declined)', () => {
    assert.deepEqual(
      PNPM_LOCKFILES.map((text) => assertDeclinesOrAgrees(text)),
      ['read', 'read', 'declined', 'read'],
    );
  });

  test('generated lockfile-like YAML: quoted and plain keys, tricky scalars, flows, sequences, comments, documents', () => {
    const seen = { declined: 0, read: 0 };
    fc.assert(
      fc.property(lockfileLike, (text) => {
        seen[assertDeclinesOrAgrees(text)]++;
      }),
      options(11, 4000),
    );
    // Both branches are exercised, or the property says little.
    assert.ok(seen.read > 1000 && seen.declined > 400, JSON.stringify(seen));
  });

  test('generated YAML with characters replaced at random', () => {
    const unit = fc.constantFrom(' ', '\n', ':', '#', "'", '"', '-', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '?', '%', '@', '\t', '\r', 'a', '1', '.', '~', '\u00a0', '\u2028');
    const seen = { declined: 0, read: 0 };
    fc.assert(
      fc.property(lockfileLike, fc.array(fc.tuple(fc.nat(), unit), { minLength: 1, maxLength: 4 }), (text, edits) => {
        seen[assertDeclinesOrAgrees(replaceCharacters(text, edits))]++;
      }),
      options(12, 3000),
    );
    assert.ok(seen.read > 300 && seen.declined > 300, JSON.stringify(seen));
  });

  test('real lockfiles with odd constructs put in', () => {
    const edit = fc.array(fc.tuple(fc.nat(), fc.constantFrom(...ODD_LINES)), { minLength: 1, maxLength: 3 });
    const seen = { declined: 0, read: 0 };
    fc.assert(
      fc.property(fc.constantFrom(omitLockfile, sourcesLockfile), edit, (text, edits) => {
        seen[assertDeclinesOrAgrees(insertLines(text, edits))]++;
      }),
      options(13, 600),
    );
    assert.ok(seen.read > 20 && seen.declined > 300, JSON.stringify(seen));
    // The large one is slow to read with js-yaml: fewer runs, on the part of it that has every kind of entry.
    const benchHead = benchLockfile.split('\n').slice(0, 2400).join('\n') + '\n' + benchLockfile.split('\n').slice(8490, 8700).join('\n');
    fc.assert(
      fc.property(edit, (edits) => {
        assertDeclinesOrAgrees(insertLines(benchHead, edits));
      }),
      options(14, 60),
    );
  });

  test('declines a duplicate key, a trailing `---`, an empty stream, a top-level sequence and a scalar document', () => {
    for (const text of ['a: 1\na: 2\n', 'a: 1\n---\n', '', '# only a comment\n', '- a\n', 'just text\n', '---\n---\na: 1\n', '  a: 1\n']) {
      assert.equal(readLockYaml(text, 4), undefined, JSON.stringify(text));
    }
  });

  // A key's run of spaces was once matched lazily, rescanning it for each character taken: 64 KiB
  // of spaces took 4 s, a megabyte minutes. Read in a process that can be stopped, a stall fails.
  test('reads keys and lines with long runs of spaces as js-yaml does, without stalling', () => {
    const spaces = ' '.repeat(1024 * 1024);
    for (const text of [`a${spaces}b: c\n`, `a${spaces}: c\n`, `a${spaces}b\n`, `key: a${spaces}b\n`, `a${spaces}#b: c\n`]) {
      assertReadsWithin(text, 5_000);
      assertDeclinesOrAgrees(text);
    }
    assert.equal(assertDeclinesOrAgrees(`a${spaces}b: c\n`), 'read');
  });

  test('reads an env document before the lockfile, and gives the last document\'s lines', () => {
    const text = "---\nlockfileVersion: '9.0'\nimporters:\n  .: {}\n---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\n";
    assert.equal(assertDeclinesOrAgrees(text), 'read');
    assert.equal(readLockYaml(text, 4)!.keyLines.line(['importers', '.', 'dependencies', 'a']), 12);
    assert.equal(readLockYaml(text, 4)!.keyLines.line(['importers', '.', 'dependencies', 'a', 'version']), undefined);
  });
});

describe('MAY_RESOLVE', () => {
  const implicit = (CORE_SCHEMA as unknown as { compiledImplicit: Array<{ resolve(text: string): boolean }> }).compiledImplicit;
  const resolvesToNonString = (text: string) => implicit.some((type) => type.resolve(text));

  test('matches every scalar that js-yaml reads as null, a boolean or a number', () => {
    const numberish = fc.string({ unit: fc.constantFrom(...'-+._0123456789eExXoObBaAfFiInNlLuUtTrRsS~ '.split('')), maxLength: 9 });
    fc.assert(
      fc.property(fc.oneof(numberish, fc.string({ maxLength: 6 }), fc.constantFrom(...TRICKY)), (text) => {
        if (resolvesToNonString(text)) assert.match(text, MAY_RESOLVE);
      }),
      options(21, 20000),
    );
    for (const text of ['~', 'null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '.NAN', '0x1F', '-0o17', '+0b101', '1_000', '-1e3', '1.5e-3', '.5', '1.']) {
      assert.ok(resolvesToNonString(text) && MAY_RESOLVE.test(text), text);
    }
  });
});
