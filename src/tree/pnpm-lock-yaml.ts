import { CORE_SCHEMA } from 'js-yaml';
import { KeyLines } from './yaml-key-lines.js';

/** A YAML stream as readLockYaml reads it: what js-yaml's loadAll gives, and where the last document's keys are. */
export interface LockYaml {
  documents: unknown[];
  keyLines: KeyLines;
}

/**
 * The block YAML that pnpm writes, read in one pass: the same documents as js-yaml's
 * `loadAll(text, undefined, { schema: CORE_SCHEMA })` and the same lines as `yamlKeyLines(text,
 * maxDepth)`, or undefined for anything outside that subset (the caller then uses js-yaml).
 * The subset: block mappings (plain or single-quoted keys), block sequences of scalars, plain and
 * single-quoted scalars, and flow collections, each on one line; comments on their own line or
 * after a value; `---` between documents. Declined, among others: double quotes, multi-line
 * scalars, anchors, aliases, tags, explicit keys, directives, tabs, control characters, duplicate
 * keys, and plain keys that are not strings (`1.0:`, `true:`), as their line would be filed under
 * other text than their key.
 */
export function readLockYaml(text: string, maxDepth: number): LockYaml | undefined {
  if (IMPLICIT_TYPES === undefined || hasOddCharacters(text)) return undefined;
  try {
    return new LockYamlReader(text, maxDepth).read();
  } catch (error) {
    if (error === DECLINE) return undefined;
    throw error;
  }
}

interface ImplicitType {
  resolve(data: string): boolean;
  construct(data: string): unknown;
}

/** js-yaml's own resolution of plain scalars, in its order: null, bool, int, float (the types MAY_RESOLVE is written for). */
const IMPLICIT_TYPES = ((): ImplicitType[] | undefined => {
  const types: unknown = (CORE_SCHEMA as unknown as { compiledImplicit?: unknown }).compiledImplicit;
  const tags = ['null', 'bool', 'int', 'float'].map((name) => `tag:yaml.org,2002:${name}`);
  const usable =
    Array.isArray(types) &&
    types.length === tags.length &&
    types.every((type, index) => type?.tag === tags[index] && typeof type.resolve === 'function' && typeof type.construct === 'function');
  return usable ? (types as ImplicitType[]) : undefined;
})();

/**
 * What every scalar those four types resolve looks like (`~`, `null`, `True`, `0x1F`, `-1_000`,
 * `.5e3`, `-.inf`, `.NaN`…: no other characters, at most one dot): the others are strings without
 * asking them, as most keys and values of a lockfile are (`name@1.0.0`, `1.2.3`, `sha512-…`).
 * Tested against the types themselves.
 */
export const MAY_RESOLVE = /^[-+.0-9~nNtTfF][-+0-9A-Za-z_]*(?:\.[-+0-9A-Za-z_]*)?$/;

const DECLINE = Symbol('outside the subset');

function decline(): never {
  throw DECLINE;
}

/**
 * Characters that js-yaml refuses or reads in its own way (tabs, control characters, a lone CR, a
 * BOM, non-ASCII line breaks, broken surrogate pairs) or that yamlKeyLines trims as white space
 * where js-yaml keeps them (no-break spaces…): declined outright.
 */
function hasOddCharacters(text: string): boolean {
  if (!/[^\x20-\x7e\n]/.test(text)) return false;
  if (/[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\uffff]|\r(?!\n)/.test(text)) return true;
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** First character of a plain scalar (js-yaml's readPlainScalar), and the rest of it in a block and in a flow. */
const PLAIN_FIRST = String.raw`[^\s'"#&*!|>%@\x60,[\]{}]`;
const BLOCK_PLAIN_REST = String.raw`(?:[^:#\n\r]|:(?=[^ \n\r])|(?<! )#)*`;
const FLOW_PLAIN_REST = String.raw`(?:[^:#,[\]{}\n\r]|:(?![ ,[\]{}]|$)|(?<! )#)*`;
const FLOW_PLAIN_SOURCE = String.raw`(?![-?:](?:[ ,[\]{}]|$))${PLAIN_FIRST}${FLOW_PLAIN_REST}`;
/**
 * The rest of a plain key: a run of spaces only where more of the key follows it, so that the
 * spaces before `:` are never the key's and every character has one reading (a lazy match, rescanning
 * a long run of spaces for each character it took, was quadratic in the line's length).
 */
const BLOCK_KEY_REST = String.raw`(?:[^:#\n\r ]| +(?=[^ :#\n\r])|:(?=[^ \n\r])|(?<! )#)*`;
/**
 * One line: its indent; then a key (quoted, or plain) and what follows `: `, or a sequence item
 * (`- …`), or nothing but a comment. A line that is none of these (`---` included) does not match.
 */
const LINE = new RegExp(
  String.raw`( *)(?:(?:'((?:[^'\n\r]|'')*)':|((?![-?:] )${PLAIN_FIRST}${BLOCK_KEY_REST}) *:)(?: +([^\n\r]*))?|- +([^\n\r]*)|#[^\n\r]*|)\r?(?:\n|$)`,
  'y',
);
/** A value after `key: ` or `- `: plain (then a comment or not), or single-quoted. */
const PLAIN_VALUE = new RegExp(String.raw`^(?![-?:](?: |$))${PLAIN_FIRST}${BLOCK_PLAIN_REST}(?: #.*)?$`);
const QUOTED_VALUE = /^'((?:[^']|'')*)'(?: *| +#.*)$/;
/** In a flow collection as pnpm writes it: `key: value` and what follows, `, ` or its end. */
const FLOW_PAIR = new RegExp(String.raw`(${FLOW_PLAIN_SOURCE}): (?:'((?:[^']|'')*)'|(${FLOW_PLAIN_SOURCE}))(, |\})`, 'y');
const FLOW_ITEM = new RegExp(String.raw`(?:'((?:[^']|'')*)'|(${FLOW_PLAIN_SOURCE}))(, |\])`, 'y');
const FLOW_PLAIN = new RegExp(FLOW_PLAIN_SOURCE, 'y');
const FLOW_QUOTED = /'(?:[^']|'')*'/y;
/** After a flow collection: nothing but spaces and a comment. */
const AFTER_FLOW = /(?: *| +#.*)$/y;

const SPACE = 0x20;
const HASH = 0x23;
const QUOTE = 0x27;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

type Collection = Record<string, unknown> | unknown[];

class LockYamlReader {
  private readonly documents: unknown[] = [];
  /** The block collections the current line is in, the document first, with their indents. */
  private collections: Collection[] = [];
  private indents: number[] = [];
  /** The last of those, and its indent. */
  private collection: Collection = [];
  private indent = -1;
  private keyLines = new KeyLines();
  /** A key with nothing after its colon: a collection nested below it follows, or its value is null. */
  private openMapping: Record<string, unknown> | undefined;
  private openKey = '';
  private separators = 0;
  /** Position in the flow collection being read. */
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  read(): LockYaml {
    const { text, maxDepth } = this;
    for (let start = 0, line = 1; start < text.length; line++) {
      // pnpm puts a blank line between entries: a fifth of the lines.
      if (text.charCodeAt(start) === 0x0a) {
        start++;
        continue;
      }
      LINE.lastIndex = start;
      const match = LINE.exec(text);
      if (match === null) {
        start = this.separate(start);
        continue;
      }
      start = LINE.lastIndex;
      const quotedKey = match[2];
      const plainKey = match[3];
      if (quotedKey === undefined && plainKey === undefined) {
        // Else a blank line or a comment.
        if (match[5] !== undefined) this.readItem(match[1]!.length, match[5]);
        continue;
      }
      const indent = match[1]!.length;
      const key = quotedKey !== undefined ? unquote(quotedKey) : plainKeyOf(plainKey!, indent);
      // Most lines are one more key of the mapping the line before is in.
      const mapping = this.openMapping === undefined && indent === this.indent ? this.collection : this.collectionAt(indent, false);
      if (Array.isArray(mapping) || isTaken(mapping, key)) decline();
      const depth = this.collections.length;
      if (depth <= maxDepth) this.keyLines.add(key, line, depth);
      const value = match[4];
      if (value === undefined || value === '' || value.charCodeAt(0) === HASH) {
        // Set now, so that the key keeps its place among its mapping's keys.
        mapping[key] = null;
        this.openMapping = mapping;
        this.openKey = key;
      } else {
        mapping[key] = this.blockValue(value);
      }
    }
    this.endDocument();
    if (this.documents.length === 0) decline();
    return { documents: this.documents, keyLines: this.keyLines };
  }

  private readItem(indent: number, item: string): void {
    const sequence = this.collectionAt(indent, true);
    if (!Array.isArray(sequence) || item === '' || item.charCodeAt(0) === HASH) decline();
    sequence.push(this.blockValue(item));
  }

  /** The collection a line at `indent` belongs to, after opening the one an open key starts. */
  private collectionAt(indent: number, item: boolean): Collection {
    const { collections, indents } = this;
    if (collections.length === 0) {
      if (indent !== 0 || item) decline();
      collections.push({});
      indents.push(0);
    }
    const open = this.openMapping;
    this.openMapping = undefined;
    if (open !== undefined && indent > indents[indents.length - 1]!) {
      const collection = item ? [] : {};
      open[this.openKey] = collection;
      collections.push(collection);
      indents.push(indent);
    }
    while (indents[indents.length - 1]! > indent) {
      collections.pop();
      indents.pop();
    }
    if (indents[indents.length - 1] !== indent) decline();
    this.indent = indent;
    this.collection = collections[collections.length - 1]!;
    return this.collection;
  }

  /** A value that starts and ends on its line (then only spaces or a comment). */
  private blockValue(value: string): unknown {
    const first = value.charCodeAt(0);
    if (first === QUOTE) {
      const quoted = QUOTED_VALUE.exec(value);
      if (quoted === null) decline();
      return unquote(quoted[1]!);
    }
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      if (value === '{}') return {};
      this.at = 0;
      const collection = this.pnpmFlowCollection(value) ?? this.flowCollection(value);
      AFTER_FLOW.lastIndex = this.at;
      if (!AFTER_FLOW.test(value)) decline();
      return collection;
    }
    if (!PLAIN_VALUE.test(value)) decline();
    // The scalar cannot hold ` #`: one there starts a comment.
    const comment = value.indexOf(' #');
    return resolvePlain(trimEnd(comment === -1 ? value : value.slice(0, comment)));
  }

  /** A flow collection of scalars written as pnpm writes it (`{integrity: sha512-…}`, `[x64]`), else undefined. */
  private pnpmFlowCollection(value: string): Collection | undefined {
    const mapping = value.charCodeAt(0) === OPEN_BRACE;
    const entry = mapping ? FLOW_PAIR : FLOW_ITEM;
    const collection: Collection = mapping ? {} : [];
    for (let at = 1; ; ) {
      entry.lastIndex = at;
      const match = entry.exec(value);
      if (match === null) return undefined;
      at = entry.lastIndex;
      if (mapping) {
        const key = trimEnd(match[1]!);
        if (!isStringKey(key) || isTaken(collection as Record<string, unknown>, key)) decline();
        (collection as Record<string, unknown>)[key] = match[2] !== undefined ? unquote(match[2]) : resolvePlain(trimEnd(match[3]!));
      } else {
        (collection as unknown[]).push(match[1] !== undefined ? unquote(match[1]) : resolvePlain(trimEnd(match[2]!)));
      }
      if (match[mapping ? 4 : 3] !== ', ') {
        this.at = at;
        return collection;
      }
    }
  }

  /** `{…}` or `[…]` at `at`, nested ones included. */
  private flowCollection(value: string): Collection {
    const mapping = value.charCodeAt(this.at) === OPEN_BRACE;
    const close = mapping ? '}' : ']';
    const collection: Collection = mapping ? {} : [];
    this.at++;
    this.skipSpaces(value);
    if (value[this.at] === close) {
      this.at++;
      return collection;
    }
    for (;;) {
      if (mapping) {
        const key = this.flowKey(value);
        if (isTaken(collection as Record<string, unknown>, key)) decline();
        (collection as Record<string, unknown>)[key] = this.flowNode(value);
      } else {
        (collection as unknown[]).push(this.flowNode(value));
        this.skipSpaces(value);
        if (value[this.at] === ':') decline();
      }
      this.skipSpaces(value);
      const next = value[this.at++];
      if (next === close) return collection;
      if (next !== ',') decline();
      this.skipSpaces(value);
      if (this.at === value.length || ',]}'.includes(value[this.at]!)) decline();
    }
  }

  /** A flow mapping's key and its `: `. */
  private flowKey(value: string): string {
    let key: string;
    if (value.charCodeAt(this.at) === QUOTE) key = this.flowQuoted(value);
    else {
      key = trimEnd(this.flowPlain(value));
      if (!isStringKey(key)) decline();
    }
    this.skipSpaces(value);
    if (value[this.at] !== ':' || value[this.at + 1] !== ' ') decline();
    this.at += 2;
    this.skipSpaces(value);
    return key;
  }

  private flowNode(value: string): unknown {
    const first = value.charCodeAt(this.at);
    if (first === QUOTE) return this.flowQuoted(value);
    if (first === OPEN_BRACE || first === OPEN_BRACKET) return this.flowCollection(value);
    return resolvePlain(trimEnd(this.flowPlain(value)));
  }

  private flowPlain(value: string): string {
    const start = this.at;
    FLOW_PLAIN.lastIndex = start;
    if (!FLOW_PLAIN.test(value)) decline();
    this.at = FLOW_PLAIN.lastIndex;
    return value.slice(start, this.at);
  }

  private flowQuoted(value: string): string {
    const start = this.at;
    FLOW_QUOTED.lastIndex = start;
    if (!FLOW_QUOTED.test(value)) decline();
    this.at = FLOW_QUOTED.lastIndex;
    return unquote(value.slice(start + 1, this.at - 1));
  }

  private skipSpaces(value: string): void {
    while (value.charCodeAt(this.at) === SPACE) this.at++;
  }

  /** A line that is no key, item, comment or blank: only `---`, between documents that each have content. */
  private separate(start: number): number {
    const { text } = this;
    let end = start + 3;
    if (text.charCodeAt(end) === 0x0d) end++;
    if (!text.startsWith('---', start) || (end < text.length && text.charCodeAt(end) !== 0x0a)) decline();
    this.endDocument();
    this.separators++;
    this.collections = [];
    this.indents = [];
    this.indent = -1;
    this.keyLines = new KeyLines();
    return end + 1;
  }

  private endDocument(): void {
    if (this.collections.length > 0) this.documents.push(this.collections[0]);
    // js-yaml reads a `---` with nothing after it as a null document.
    else if (this.separators > 0) decline();
    this.openMapping = undefined;
  }
}

/** A plain key as js-yaml stores it, when that is its text: not `1.0`, `true`, `~`… nor, first in a line, `---`. */
function plainKeyOf(text: string, indent: number): string {
  const key = trimEnd(text);
  if (!isStringKey(key) || (indent === 0 && (key.startsWith('---') || key.startsWith('...')))) decline();
  return key;
}

/** A key already in the mapping (js-yaml refuses it), or `__proto__`, which js-yaml defines rather than sets. */
function isTaken(mapping: Record<string, unknown>, key: string): boolean {
  // `in` first: it is cheaper, and rarely true.
  return key in mapping && (key === '__proto__' || Object.prototype.hasOwnProperty.call(mapping, key));
}

function isStringKey(key: string): boolean {
  if (!MAY_RESOLVE.test(key)) return true;
  const types = IMPLICIT_TYPES!;
  for (let index = 0; index < types.length; index++) if (types[index]!.resolve(key)) return false;
  return true;
}

function resolvePlain(text: string): unknown {
  if (!MAY_RESOLVE.test(text)) return text;
  const types = IMPLICIT_TYPES!;
  for (let index = 0; index < types.length; index++) if (types[index]!.resolve(text)) return types[index]!.construct(text);
  return text;
}

function unquote(content: string): string {
  return content.includes("''") ? content.replaceAll("''", "'") : content;
}

function trimEnd(text: string): string {
  return text.charCodeAt(text.length - 1) === SPACE ? text.replace(/ +$/, '') : text;
}
