import { scanJson } from '../trust/json-scan.js';
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
  let problem: string | undefined;
  scanJson(text, {
    open(isObject, depth) {
      frames.push(isObject ? new Set() : null);
      if (depth > maxDepth) problem = `nests deeper than ${maxDepth} levels`;
      return problem === undefined;
    },
    close() {
      frames.pop();
    },
    key(key) {
      const keys = frames[frames.length - 1]!;
      if (keys.has(key)) problem = `has the key ${JSON.stringify(key)} twice in one object (readers disagree on which value counts)`;
      keys.add(key);
      return problem === undefined;
    },
  });
  return problem;
}
