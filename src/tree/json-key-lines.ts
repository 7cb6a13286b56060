/** What one pass over valid JSON text finds for npm lockfile line numbers. */
export interface LockfileJsonScan {
  /** 1-based line of each key of the top-level `packages` object (the last one where a key repeats, as JSON.parse keeps). */
  packagesKeyLines: Map<string, number>;
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Some key, at any depth, is `__proto__` (JSON.parse makes it a property, other parsers a prototype). */
  hasProtoKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Scans JSON text that JSON.parse accepts (so a raw newline is always whitespace, never inside a
 * string) tracking strings, escapes and nesting, in one linear pass with no parse tree.
 */
export function scanLockfileJson(text: string): LockfileJsonScan {
  const packagesKeyLines = new Map<string, number>();
  let hasProtoKey = false;
  let maxDepth = 0;
  let line = 1;
  /** One entry per open container: true for an object. */
  const inObject: boolean[] = [];
  let expectingKey = false;
  let topLevelKey: string | undefined;
  let inPackages = false;

  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === NEWLINE) {
      line++;
    } else if (code === QUOTE) {
      const end = closingQuote(text, at);
      if (expectingKey) {
        const key = keyText(text, at, end);
        if (key === '__proto__') hasProtoKey = true;
        if (inObject.length === 1) topLevelKey = key;
        else if (inObject.length === 2 && inPackages) packagesKeyLines.set(key, line);
        expectingKey = false;
      }
      at = end;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const isObject = code === OPEN_OBJECT;
      inObject.push(isObject);
      maxDepth = Math.max(maxDepth, inObject.length);
      expectingKey = isObject;
      if (inObject.length === 2) inPackages = isObject && inObject[0] === true && topLevelKey === 'packages';
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      inObject.pop();
      expectingKey = false;
    } else if (code === COMMA) {
      expectingKey = inObject[inObject.length - 1] === true;
    }
  }
  return { packagesKeyLines, maxDepth, hasProtoKey };
}

/** Index of the quote that closes the string opening at `start`: the first one not escaped. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (isEscaped(text, end)) end = text.indexOf('"', end + 1);
  return end;
}

/** Preceded by an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

function keyText(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}
