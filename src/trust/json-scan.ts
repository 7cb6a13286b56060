/** What a walk over JSON text reports; a callback that returns `false` stops the walk. */
export interface JsonScanVisitor {
  /** An object or array opens; `depth` counts it (the outermost is 1). */
  open?(isObject: boolean, depth: number): boolean | void;
  /** The innermost object or array closes. */
  close?(): void;
  /** A key of the innermost object (`depth` is that object's), its opening quote at `offset`. */
  key?(key: string, offset: number, depth: number): boolean | void;
  /** A comma in the innermost array: the next element starts. */
  nextElement?(): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Walks JSON text that JSON.parse has accepted — so it need not handle malformed input — in one
 * linear pass without recursion or a parse tree: the structure JSON.parse hides (keys written
 * twice, where a key is written, how deep it nests). Strings are skipped with indexOf.
 */
export function scanJson(text: string, visitor: JsonScanVisitor): void {
  const isObjectAt: boolean[] = [];
  let expectingKey = false;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      const end = closingQuote(text, at);
      if (end < 0) return;
      if (expectingKey) {
        expectingKey = false;
        if (visitor.key?.(keyText(text, at, end), at, isObjectAt.length) === false) return;
      }
      at = end;
    } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const isObject = code === OPEN_OBJECT;
      isObjectAt.push(isObject);
      expectingKey = isObject;
      if (visitor.open?.(isObject, isObjectAt.length) === false) return;
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      isObjectAt.pop();
      expectingKey = false;
      visitor.close?.();
    } else if (code === COMMA) {
      expectingKey = isObjectAt[isObjectAt.length - 1] === true;
      if (!expectingKey) visitor.nextElement?.();
    }
  }
}

/** Index of the quote that closes the string opening at `start` (the first one not escaped), or -1. */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end >= 0 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
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

/** A 1-based line and column in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** Where a text's lines start (offsets), for textPosition: one pass, done once per text. */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', newline + 1)) starts.push(newline + 1);
  return starts;
}

/** The line and column of a character offset, given the text's lineStartsOf. */
export function textPosition(lineStarts: readonly number[], offset: number): TextPosition {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (lineStarts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - lineStarts[low]! + 1 };
}
