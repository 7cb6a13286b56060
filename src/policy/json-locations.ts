import { createRequire } from 'node:module';
import { lineStartsOf, scanJson, textPosition } from '../trust/json-scan.js';

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

/**
 * Parses strictly with JSON.parse (so syntax is exactly the platform's), then maps pointers to
 * positions with json-source-map. A leading byte-order mark is ignored.
 */
export function parseLocatedJson(input: string): LocatedJson {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  // Positions are only needed to report a problem: work them out on first use.
  let lineStarts: number[] | undefined;
  const positionAt = (offset: number): JsonPosition => textPosition((lineStarts ??= lineStartsOf(text)), offset);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw syntaxError((error as Error).message, text.length, positionAt);
  }
  let pointers: Record<string, SourceMapEntry> | undefined;
  return {
    document,
    duplicateKeys: findDuplicateKeys(text).map(({ pointer, key, offset }) => ({ pointer, key, position: positionAt(offset) })),
    positionOf(pointer, part = 'value') {
      pointers ??= sourceMapPointers(text);
      for (let current: string | undefined = pointer; current !== undefined; current = parentPointer(current)) {
        const entry = pointers[current];
        if (entry) return positionAt((part === 'key' && current === pointer ? entry.key : undefined)?.pos ?? entry.value.pos);
      }
      return { line: 1, column: 1 };
    },
  };
}

function sourceMapPointers(text: string): Record<string, SourceMapEntry> {
  try {
    const jsonSourceMap = createRequire(import.meta.url)('json-source-map') as JsonSourceMap;
    return jsonSourceMap.parse(text).pointers;
  } catch {
    // JSON.parse accepted the text, so positions are a convenience: fall back to the start.
    return {};
  }
}

/** One open object (its keys so far, and the key being read) or array (the index being read). */
interface Frame {
  keys: Set<string> | null;
  key: string;
  index: number;
}

/** Keys written twice in one object, with the pointer of that object, from text JSON.parse has accepted. */
function findDuplicateKeys(text: string): Array<{ pointer: string; key: string; offset: number }> {
  const found: Array<{ pointer: string; key: string; offset: number }> = [];
  const frames: Frame[] = [];
  scanJson(text, {
    open(isObject) {
      frames.push({ keys: isObject ? new Set() : null, key: '', index: 0 });
    },
    close() {
      frames.pop();
    },
    key(key, offset) {
      const frame = frames[frames.length - 1]!;
      if (frame.keys!.has(key)) found.push({ pointer: pointerOf(frames), key, offset });
      frame.keys!.add(key);
      frame.key = key;
    },
    nextElement() {
      frames[frames.length - 1]!.index++;
    },
  });
  return found;
}

/** The pointer of the innermost open container: each enclosing one's current key or index. */
function pointerOf(frames: Frame[]): string {
  let pointer = '';
  for (let depth = 0; depth < frames.length - 1; depth++) {
    const frame = frames[depth]!;
    pointer += `/${frame.keys ? frame.key.replace(/~/g, '~0').replace(/\//g, '~1') : frame.index}`;
  }
  return pointer;
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
