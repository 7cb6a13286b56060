import { fail } from './errors.js';

/** Evidence documents are a few KiB (an npm attestations document with provenance, ~20 KiB). */
export const MAX_EVIDENCE_BYTES = 32 * 1024 * 1024;
/** A bundle nests 8 levels deep, an attestations document 10; a signed statement a few more. */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses an evidence document (a bundle or a registry attestations document) strictly: bounded in
 * size and depth, and with no key written twice. JSON.parse keeps the last of two equal keys and
 * other readers the first, so a document with a duplicate could mean one thing to pkgseal and
 * another to the tool that made or checks it. Throws VerificationError (BUNDLE_PARSE_ERROR).
 */
export function parseEvidenceJson(text: string, what: string): unknown {
  if (text.length > MAX_EVIDENCE_BYTES) fail('BUNDLE_PARSE_ERROR', `${what} is larger than ${MAX_EVIDENCE_BYTES / 1024 / 1024} MiB: not evidence`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    fail('BUNDLE_PARSE_ERROR', `${what} is not valid JSON (${(error as Error).message})`);
  }
  const problem = jsonStructureProblem(text);
  if (problem) fail('BUNDLE_PARSE_ERROR', `${what} ${problem}`);
  return document;
}

/**
 * Why JSON text that JSON.parse accepted is not acceptable as evidence: a key written twice in
 * one object, or nesting deeper than `maxDepth`. Undefined when there is nothing wrong.
 */
export function jsonStructureProblem(text: string, maxDepth = MAX_JSON_DEPTH): string | undefined {
  // One frame per open object (its keys so far) or array (null).
  const frames: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE) {
      const start = i;
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
      const keys = frames[frames.length - 1];
      if (!expectKey || !keys) continue;
      const raw = text.slice(start, i + 1);
      const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      if (keys.has(key)) return `has the key ${JSON.stringify(key)} twice in one object (readers disagree on which value counts)`;
      keys.add(key);
      expectKey = false;
    } else if (char === OPEN_OBJECT || char === OPEN_ARRAY) {
      frames.push(char === OPEN_OBJECT ? new Set() : null);
      if (frames.length > maxDepth) return `nests deeper than ${maxDepth} levels`;
      expectKey = char === OPEN_OBJECT;
    } else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) {
      frames.pop();
    } else if (char === COMMA) {
      expectKey = frames[frames.length - 1] !== null;
    }
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
