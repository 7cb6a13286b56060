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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes standard (or URL-safe) base64 and rejects anything Buffer.from would silently skip.
 * Line breaks are ignored, as Go's decoder (used by most Sigstore clients) ignores them.
 */
export function readBase64(value: unknown, path: string): Buffer<ArrayBuffer> {
  const text = readString(value, path).replace(/\r?\n/g, '');
  if (!BASE64.test(text) && !BASE64URL.test(text)) throw new JsonShapeError(path, 'invalid base64');
  return Buffer.from(text, BASE64.test(text) ? "base64" : "base64url") as Buffer<ArrayBuffer>;
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
