import { createRequire } from 'node:module';

/** 1-based line and column (in UTF-16 code units, as editors count them). */
export interface JsonPosition {
  line: number;
  column: number;
}

/** A parsed JSON document that can say where each value (by JSON pointer) was written. */
export interface LocatedJson {
  document: unknown;
  /** Where the value at `pointer` (`''` is the root) starts, or its key when `part` is `key`; falls back to the nearest ancestor. */
  positionOf(pointer: string, part?: 'key' | 'value'): JsonPosition;
  /** Keys written twice in one object: JSON.parse silently keeps the last, which a reviewer may not see. */
  duplicateKeys: Array<{ pointer: string; key: string; position: JsonPosition }>;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: JsonPosition,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

interface SourceMapEntry {
  value: { pos: number };
  key?: { pos: number };
}

interface JsonSourceMap {
  parse(text: string): { data: unknown; pointers: Record<string, SourceMapEntry> };
}

const jsonSourceMap = createRequire(import.meta.url)('json-source-map') as JsonSourceMap;

/**
 * Parses strictly with JSON.parse (so syntax is exactly the platform's), then maps pointers to
 * positions with json-source-map. A leading byte-order mark is ignored.
 */
export function parseLocatedJson(input: string): LocatedJson {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const lineStarts = lineStartsOf(text);
  const positionAt = (offset: number): JsonPosition => toPosition(lineStarts, offset);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw syntaxError((error as Error).message, text.length, positionAt);
  }
  let pointers: Record<string, SourceMapEntry> = {};
  try {
    pointers = jsonSourceMap.parse(text).pointers;
  } catch {
    // JSON.parse accepted the text, so positions are a convenience: fall back to the start.
  }
  return {
    document,
    duplicateKeys: findDuplicateKeys(text).map(({ pointer, key, offset }) => ({ pointer, key, position: positionAt(offset) })),
    positionOf(pointer, part = 'value') {
      for (let current: string | undefined = pointer; current !== undefined; current = parentPointer(current)) {
        const entry = pointers[current];
        if (entry) return positionAt((part === 'key' && current === pointer ? entry.key : undefined)?.pos ?? entry.value.pos);
      }
      return { line: 1, column: 1 };
    },
  };
}

/** Scans text JSON.parse has accepted, so it need not handle malformed input. */
function findDuplicateKeys(text: string): Array<{ pointer: string; key: string; offset: number }> {
  const found: Array<{ pointer: string; key: string; offset: number }> = [];
  let pos = 0;
  const skipWhitespace = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const readString = (): string => {
    const start = pos++;
    while (text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    return JSON.parse(text.slice(start, ++pos)) as string;
  };
  const readValue = (pointer: string): void => {
    skipWhitespace();
    const opening = text[pos];
    if (opening === '{' || opening === '[') {
      pos++;
      skipWhitespace();
      if (text[pos] === (opening === '{' ? '}' : ']')) {
        pos++;
        return;
      }
      const keys = new Set<string>();
      for (let index = 0; ; index++) {
        skipWhitespace();
        let child = `${pointer}/${index}`;
        if (opening === '{') {
          const offset = pos;
          const key = readString();
          if (keys.has(key)) found.push({ pointer, key, offset });
          keys.add(key);
          child = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          skipWhitespace();
          pos++; // ':'
        }
        readValue(child);
        skipWhitespace();
        if (text[pos++] !== ',') return;
      }
    }
    if (opening === '"') readString();
    else while (pos < text.length && !',]} \t\n\r'.includes(text[pos]!)) pos++;
  };
  try {
    readValue('');
  } catch {
    // Nesting deeper than the stack: the document is absurd, but JSON.parse took it; report no duplicates.
  }
  return found;
}

/** V8 says `... in JSON at position N` (Node 22 adds `(line L column C)`), or `Unexpected end of JSON input`. */
function syntaxError(message: string, textLength: number, positionAt: (offset: number) => JsonPosition): JsonSyntaxError {
  const offset = /at position (\d+)/.exec(message)?.[1];
  const reason = message.replace(/\s*in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  return new JsonSyntaxError(reason, positionAt(offset === undefined ? textLength : Number(offset)));
}

function parentPointer(pointer: string): string | undefined {
  return pointer === '' ? undefined : pointer.slice(0, pointer.lastIndexOf('/'));
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function toPosition(lineStarts: number[], offset: number): JsonPosition {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (lineStarts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - lineStarts[low]! + 1 };
}
