/**
 * Issue 7, fuzz: random mutations of real bundles through the verify entry point (the strict
 * evidence parser, then verifyArtifact), with fast-check and fixed seeds.
 *
 * - Every mutation that changes signed content (see signedParts in support/hostile-evidence.ts)
 *   fails with a VerificationError: never a pass.
 * - No mutation, signed content or not, throws anything but a VerificationError.
 * - A mutation that passes changed only what nobody signed (whitespace, a DSSE keyid, a
 *   certificate a timestamp carries, a witness cosignature, an escape in a JSON string).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { VerificationError } from '../src/verify/errors.js';
import { parseEvidenceJson } from '../src/verify/json-text.js';
import { changedSignedParts, realEvidenceCases, type RealEvidenceCase } from './support/hostile-evidence.js';
import { realdataSkip } from './support/realdata.js';

const cases = realEvidenceCases();
const RUNS_PER_CASE = { text: 200, field: 200 };

type Outcome = { kind: 'pass' } | { kind: 'rejected'; code: string } | { kind: 'crash'; error: unknown };

/** What `pkgseal verify` does with evidence text: the strict parser, then verification. */
function verifyText(testCase: RealEvidenceCase, text: string): { outcome: Outcome; document?: unknown } {
  let document: unknown;
  try {
    document = parseEvidenceJson(text, 'bundle');
  } catch (error) {
    return { outcome: error instanceof VerificationError ? { kind: 'rejected', code: error.code } : { kind: 'crash', error } };
  }
  return { outcome: verifyDocument(testCase, document), document };
}

function verifyDocument(testCase: RealEvidenceCase, document: unknown): Outcome {
  try {
    testCase.verify(document);
    return { kind: 'pass' };
  } catch (error) {
    return error instanceof VerificationError ? { kind: 'rejected', code: error.code } : { kind: 'crash', error };
  }
}

function describeCrash(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
}

/** Tallies for the README's table. */
const tally = { mutations: 0, signedChanged: 0, rejected: 0, passedUnsigned: 0, crashes: 0, falsePasses: 0 };

test.after(() => {
  process.stdout.write(
    `fuzz: ${tally.mutations} mutations of ${cases.length} real evidence documents; ${tally.signedChanged} changed signed content, ` +
      `${tally.rejected} rejected in all; ${tally.passedUnsigned} passed with only unsigned bytes changed; ` +
      `${tally.falsePasses} false passes, ${tally.crashes} other exceptions\n`,
  );
});

function record(testCase: RealEvidenceCase, original: unknown, mutated: unknown, outcome: Outcome, what: string): void {
  tally.mutations += 1;
  if (outcome.kind === 'crash') {
    tally.crashes += 1;
    assert.fail(`${testCase.id}: ${what} threw something other than a VerificationError: ${describeCrash(outcome.error)}`);
  }
  const changed = mutated === undefined ? [] : changedSignedParts(original, mutated);
  if (changed.length > 0) tally.signedChanged += 1;
  if (outcome.kind === 'rejected') {
    tally.rejected += 1;
    return;
  }
  if (changed.length > 0) {
    tally.falsePasses += 1;
    assert.fail(`${testCase.id}: ${what} changed signed content (${changed.join(', ')}) and still verified`);
  }
  tally.passedUnsigned += 1;
}

describe('every real evidence document verifies untouched (the baseline)', () => {
  for (const testCase of cases) {
    test(testCase.id, () => {
      assert.deepEqual(verifyText(testCase, testCase.text).outcome, { kind: 'pass' });
    });
  }
  test('real data is present, or the conformance and npm cases are skipped', { skip: realdataSkip }, () => {
    assert.ok(cases.length >= 15, `${cases.length} cases`);
  });
});

describe('random byte mutations of the evidence text', () => {
  interface TextMutation {
    position: number;
    kind: 'xor' | 'delete' | 'insert' | 'replace-digit' | 'swap';
    byte: number;
    length: number;
  }
  const textMutation: fc.Arbitrary<TextMutation> = fc.record({
    position: fc.nat(),
    kind: fc.constantFrom('xor', 'delete', 'insert', 'replace-digit', 'swap'),
    byte: fc.integer({ min: 1, max: 255 }),
    length: fc.integer({ min: 1, max: 8 }),
  });

  function mutateText(text: string, mutation: TextMutation): string {
    const i = mutation.position % text.length;
    const char = String.fromCharCode(mutation.byte);
    switch (mutation.kind) {
      case 'xor':
        return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ mutation.byte) + text.slice(i + 1);
      case 'delete':
        return text.slice(0, i) + text.slice(i + mutation.length);
      case 'insert':
        return text.slice(0, i) + char.repeat(mutation.length) + text.slice(i);
      case 'replace-digit':
        return text.slice(0, i) + String(mutation.byte % 10) + text.slice(i + 1);
      case 'swap':
        return text.slice(0, i) + text.slice(i + mutation.length, i + 2 * mutation.length) + text.slice(i, i + mutation.length) + text.slice(i + 2 * mutation.length);
    }
  }

  for (const testCase of cases) {
    test(`${testCase.id}: ${RUNS_PER_CASE.text} mutations`, () => {
      const original = JSON.parse(testCase.text) as unknown;
      fc.assert(
        fc.property(textMutation, (mutation) => {
          const text = mutateText(testCase.text, mutation);
          if (text === testCase.text) return;
          const { outcome, document } = verifyText(testCase, text);
          record(testCase, original, document, outcome, `${mutation.kind} at ${mutation.position % testCase.text.length}`);
        }),
        { seed: 7, numRuns: RUNS_PER_CASE.text, includeErrorInReport: true },
      );
    });
  }
});

// ---------------------------------------------------------------------------
// Mutations aimed at the signed fields themselves

/** Base64 fields and text fields that are signed or checked against a signature. */
const BASE64_KEYS = new Set(['sig', 'payload', 'digest', 'signature', 'rawBytes', 'keyId', 'canonicalizedBody', 'signedEntryTimestamp', 'rootHash', 'signedTimestamp']);
const TEXT_KEYS = new Set(['payloadType', 'integratedTime', 'logIndex', 'treeSize', 'envelope', 'hint', 'algorithm', 'kind', 'version', 'predicateType']);

type Path = Array<string | number>;

function signedFields(document: unknown, path: Path = []): Array<{ path: Path; kind: 'base64' | 'text' }> {
  if (Array.isArray(document)) {
    const inHashes = path[path.length - 1] === 'hashes';
    return document.flatMap((item, i) => (inHashes && typeof item === 'string' ? [{ path: [...path, i], kind: 'base64' as const }] : signedFields(item, [...path, i])));
  }
  if (typeof document !== 'object' || document === null) return [];
  return Object.entries(document).flatMap(([key, value]) => {
    if (typeof value === 'string' && BASE64_KEYS.has(key)) return [{ path: [...path, key], kind: 'base64' as const }];
    if (typeof value === 'string' && TEXT_KEYS.has(key)) return [{ path: [...path, key], kind: 'text' as const }];
    return signedFields(value, [...path, key]);
  });
}

function withValue(document: unknown, path: Path, value: string): unknown {
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
  return copy;
}

interface ByteMutation {
  kind: 'flip-bit' | 'truncate' | 'append' | 'replace' | 'empty' | 'prepend-zero';
  position: number;
  bit: number;
  extra: Uint8Array;
}

const byteMutation: fc.Arbitrary<ByteMutation> = fc.record({
  kind: fc.constantFrom('flip-bit', 'truncate', 'append', 'replace', 'empty', 'prepend-zero'),
  position: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

function mutateBytes(bytes: Buffer, mutation: ByteMutation): Buffer {
  const i = bytes.length === 0 ? 0 : mutation.position % bytes.length;
  switch (mutation.kind) {
    case 'flip-bit': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[i] = copy[i]! ^ (1 << mutation.bit);
      return copy;
    }
    case 'truncate':
      return bytes.subarray(0, i);
    case 'append':
      return Buffer.concat([bytes, Buffer.from(mutation.extra)]);
    case 'replace':
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(mutation.extra), bytes.subarray(i + mutation.extra.length)]);
    case 'empty':
      return Buffer.alloc(0);
    case 'prepend-zero':
      return Buffer.concat([Buffer.alloc(1), bytes]);
  }
}

function mutateTextField(text: string, mutation: ByteMutation): string {
  return mutateBytes(Buffer.from(text, 'utf8'), mutation).toString('utf8');
}

describe('random mutations of each signed field (signature, payload, certificate, log body, proof, SET, timestamps)', () => {
  for (const testCase of cases) {
    test(`${testCase.id}: ${RUNS_PER_CASE.field} mutations`, () => {
      const original = JSON.parse(testCase.text) as unknown;
      const fields = signedFields(original);
      assert.ok(fields.length > 0);
      fc.assert(
        fc.property(fc.nat(), byteMutation, (fieldIndex, mutation) => {
          const field = fields[fieldIndex % fields.length]!;
          const current = field.path.reduce<unknown>((value, key) => (value as Record<string | number, unknown>)[key], original) as string;
          const value =
            field.kind === 'base64' ? mutateBytes(Buffer.from(current, 'base64'), mutation).toString('base64') : mutateTextField(current, mutation);
          if (value === current) return;
          const mutated = withValue(original, field.path, value);
          const what = `${mutation.kind} of ${field.path.join('.')}`;
          const outcome = verifyDocument(testCase, mutated);
          if (changedSignedParts(original, mutated).length === 0) {
            // Decodes to the same bytes (e.g. a timestamp's unsigned certificates): must not crash.
            record(testCase, original, mutated, outcome, what);
            return;
          }
          record(testCase, original, mutated, outcome, what);
          assert.equal(outcome.kind, 'rejected', `${testCase.id}: ${what}`);
        }),
        { seed: 11, numRuns: RUNS_PER_CASE.field, includeErrorInReport: true },
      );
    });
  }
});
