import { createRequire } from 'node:module';
import { isObject } from '../trust/json-fields.js';
import { lineStartsOf, textPosition } from '../trust/json-scan.js';
import { scanLockfileJson } from './json-key-lines.js';

interface JsonPosition {
  /** 0-based. */
  line: number;
  /** 0-based. */
  column: number;
}

interface JsonSourceMap {
  parse(text: string): { data: unknown; pointers: Record<string, { key?: JsonPosition; value: JsonPosition }> };
}

const require = createRequire(import.meta.url);

export interface ParsedNpmLockfile {
  document: unknown;
  /** `document` is JSON.parse's reading of the text, which is Arborist's (json-source-map reads `__proto__` keys otherwise). */
  readAsJsonParse: boolean;
  /** 1-based line where the entry for an Arborist location (`node_modules/a/node_modules/b`) starts. */
  lineOf(location: string): number | undefined;
}

/** json-source-map recurses per level and overflows the stack far below JSON.parse's limit: such files stay its errors. */
const MAX_SCANNED_DEPTH = 1000;

/**
 * Parses npm lockfile JSON once and keeps where each entry's key is: `packages["<location>"]`
 * (v2, v3), else the nested `dependencies` of v1.
 */
export function parseNpmLockfileText(text: string): ParsedNpmLockfile {
  const source = text.replace(/^\uFEFF/, '');
  return parsedWithPackagesScan(source) ?? parsedWithSourceMap(source);
}

/**
 * Lockfiles v2 and v3: JSON.parse and one scan for the `packages` keys, ten times faster than
 * json-source-map. Undefined for anything else (v1, invalid JSON: json-source-map's message has
 * the line and column).
 */
function parsedWithPackagesScan(source: string): ParsedNpmLockfile | undefined {
  let document: unknown;
  try {
    document = JSON.parse(source);
  } catch {
    return undefined;
  }
  if (!isObject(document) || !Object.hasOwn(document, 'packages')) return undefined;
  const scan = scanLockfileJson(source);
  if (scan.hasProtoKey || scan.maxDepth > MAX_SCANNED_DEPTH) return undefined;
  return { document, readAsJsonParse: true, lineOf: (location) => scan.packagesKeyLines.get(location) };
}

function parsedWithSourceMap(source: string): ParsedNpmLockfile {
  const jsonSourceMap = require('json-source-map') as JsonSourceMap;
  let parsed: ReturnType<JsonSourceMap['parse']>;
  try {
    parsed = jsonSourceMap.parse(source);
  } catch (error) {
    throw new Error(`invalid JSON: ${withLineAndColumn((error as Error).message, source)}`);
  }
  const { data, pointers } = parsed;
  const hasPackages = pointers['/packages'] !== undefined;
  return {
    document: data,
    readAsJsonParse: false,
    lineOf(location) {
      const pointer = hasPackages ? `/packages/${escapePointer(location)}` : v1Pointer(location);
      const position = pointer === undefined ? undefined : pointers[pointer]?.key;
      return position ? position.line + 1 : undefined;
    },
  };
}

/** `node_modules/@s/a/node_modules/b` → `/dependencies/@s~1a/dependencies/b` (lockfile v1 nesting). */
function v1Pointer(location: string): string | undefined {
  if (!location.startsWith('node_modules/')) return undefined;
  return location
    .slice('node_modules/'.length)
    .split('/node_modules/')
    .map((name) => `/dependencies/${escapePointer(name)}`)
    .join('');
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parsers report a character offset; people look for a line. */
function withLineAndColumn(message: string, text: string): string {
  const offset = /at position (\d+)/.exec(message)?.[1];
  if (offset === undefined) return message;
  const { line, column } = textPosition(lineStartsOf(text), Number(offset));
  return `${message.replace(/ in JSON at position \d+/, '')} at line ${line} column ${column}`;
}
