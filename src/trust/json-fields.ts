/** Strict readers for untrusted JSON: each names the field path in its error. */

export type JsonObject = Record<string, unknown>;

export class JsonShapeError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'JsonShapeError';
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readObject(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new JsonShapeError(path, 'expected an object');
  return value;
}

export function readArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new JsonShapeError(path, 'expected an array');
  return value;
}

export function readString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new JsonShapeError(path, 'expected a non-empty string');
  return value;
}

export function readOptionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : readString(value, path);
}

/**
 * Decodes standard (or URL-safe) base64 and rejects anything Buffer.from would silently skip.
 * Line breaks are ignored, as Go's decoder (used by most Sigstore clients) ignores them.
 */
export function readBase64(value: unknown, path: string): Buffer<ArrayBuffer> {
  const text = withoutLineBreaks(readString(value, path));
  const encoding = base64Alphabet(text);
  if (!encoding) throw new JsonShapeError(path, 'invalid base64');
  return Buffer.from(text, encoding) as Buffer<ArrayBuffer>;
}

/** Throws what `readBase64` would throw, without decoding. */
export function checkBase64(value: unknown, path: string): void {
  if (!base64Alphabet(withoutLineBreaks(readString(value, path)))) throw new JsonShapeError(path, 'invalid base64');
}

/**
 * `text` decoded when it is standard base64 in whole groups of four, padded (what Sigstore clients
 * write); undefined for anything else, which needs checkBase64. Node's decoder skips what is not
 * base64, so text that decodes to every byte its length promises had nothing to skip.
 */
export function decodePaddedBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || text.includes('-') || text.includes('_')) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (text.charCodeAt(text.length - 3) === EQUALS) return undefined;
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === (text.length / 4) * 3 - padding ? decoded : undefined;
}

const EQUALS = 0x3d;

function withoutLineBreaks(text: string): string {
  return text.includes('\n') ? text.replace(/\r?\n/g, '') : text;
}

/** Per character code below 128: 1 in the standard alphabet, 2 in the URL-safe one, 3 in both. */
const BASE64_CLASSES = (() => {
  const classes = new Uint8Array(128);
  for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') classes[char.charCodeAt(0)] = 3;
  classes['+'.charCodeAt(0)] = 1;
  classes['/'.charCodeAt(0)] = 1;
  classes['-'.charCodeAt(0)] = 2;
  classes['_'.charCodeAt(0)] = 2;
  return classes;
})();

/**
 * Standard base64 is groups of 4 with a final group of 2 (`==` optional) or 3 (`=` optional);
 * URL-safe is its alphabet with at most two `=`, at any length. Standard wins where both fit.
 */
function base64Alphabet(text: string): 'base64' | 'base64url' | undefined {
  // One linear pass (bundles carry tens of KiB of base64): which alphabets every character before
  // at most two trailing `=` belongs to.
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const body = text.length - padding;
  let alphabets = 3;
  for (let i = 0; i < body && alphabets !== 0; i++) {
    const code = text.charCodeAt(i);
    alphabets &= code < 128 ? BASE64_CLASSES[code]! : 0;
  }
  if (alphabets & 1) {
    const lastGroup = body % 4;
    if (padding === 0 ? lastGroup !== 1 : lastGroup === 4 - padding) return 'base64';
  }
  return alphabets & 2 ? 'base64url' : undefined;
}

export function readDate(value: unknown, path: string): Date {
  const text = readString(value, path);
  const date = new Date(text);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) || Number.isNaN(date.getTime())) {
    throw new JsonShapeError(path, `invalid RFC 3339 time "${text}"`);
  }
  return date;
}

/** Parses JSON text, turning a syntax error into a one-line reason. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new JsonShapeError(what, `not valid JSON (${(error as Error).message})`);
  }
}
