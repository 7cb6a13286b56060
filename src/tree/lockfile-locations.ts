import { createRequire } from 'node:module';
import { isMap, isScalar, type LineCounter } from 'yaml';

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
  /** 1-based line where the entry for an Arborist location (`node_modules/a/node_modules/b`) starts. */
  lineOf(location: string): number | undefined;
}

/**
 * Parses npm lockfile JSON once and keeps where each entry's key is: `packages["<location>"]`
 * (v2, v3), else the nested `dependencies` of v1.
 */
export function parseNpmLockfileText(text: string): ParsedNpmLockfile {
  const jsonSourceMap = require('json-source-map') as JsonSourceMap;
  const source = text.replace(/^\uFEFF/, '');
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
    lineOf(location) {
      const pointer = hasPackages ? `/packages/${escapePointer(location)}` : v1Pointer(location);
      const position = pointer === undefined ? undefined : pointers[pointer]?.key;
      return position ? position.line + 1 : undefined;
    },
  };
}

/** 1-based line of each key of a YAML map node (undefined for anything else). */
export function yamlKeyLines(node: unknown, lineCounter: LineCounter): Map<string, number> {
  const lines = new Map<string, number>();
  if (!isMap(node)) return lines;
  for (const pair of node.items) {
    const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (isScalar(pair.key) && offset !== undefined) lines.set(String(pair.key.value), lineCounter.linePos(offset).line);
  }
  return lines;
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
  const before = text.slice(0, Number(offset));
  const line = before.split('\n').length;
  const column = Number(offset) - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+/, '')} at line ${line} column ${column}`;
}
