/**
 * parseBundle reads bundle JSON itself now, instead of through @sigstore/bundle's protobuf
 * round trip: on every real bundle and on thousands of malformed variants of them, it must accept
 * and refuse exactly what the former parser did (same error code), and read the same values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { parseBundle } from '../src/verify/bundle.js';
import { VerificationError } from '../src/verify/errors.js';
import { parseCertificate } from '../src/verify/x509/certificate.js';
import { DERError } from '../src/verify/x509/der-reader.js';
import { formerParseBundle, type FormerParsedBundle } from './support/former-bundle-parser.js';
import { realBundles } from './support/real-evidence.js';

type Outcome = { accepted: unknown } | { refused: string };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The values both parsers read, in one comparable shape. */
function readValues(bundle: FormerParsedBundle | ReturnType<typeof parseBundle>): unknown {
  const { content, material } = bundle;
  return {
    version: bundle.version,
    mediaType: bundle.mediaType,
    content: content.kind === 'message' ? [content.kind, content.digestAlgorithm, hex(content.digest), hex(content.signature)] : [content.kind, content.payloadType, hex(content.payload), hex(content.signature)],
    material: material.kind === 'publicKey' ? material.hint : ('leaf' in material ? material.chain.map((certificate) => hex(certificate.der)) : material.chain.map(hex)),
    tlogEntries: bundle.tlogEntries.map((entry) => ({
      logIndex: entry.logIndex,
      logId: entry.logId ? hex(entry.logId.keyId) : undefined,
      kindVersion: entry.kindVersion ? [entry.kindVersion.kind, entry.kindVersion.version] : undefined,
      integratedTime: entry.integratedTime,
      promise: entry.inclusionPromise ? hex(entry.inclusionPromise.signedEntryTimestamp) : undefined,
      proof: entry.inclusionProof
        ? [entry.inclusionProof.logIndex, hex(entry.inclusionProof.rootHash), entry.inclusionProof.treeSize, entry.inclusionProof.hashes.map(hex), entry.inclusionProof.checkpoint?.envelope]
        : undefined,
      body: hex(entry.canonicalizedBody),
    })),
    rfc3161Timestamps: bundle.rfc3161Timestamps.map(hex),
  };
}

function outcome(parse: (document: unknown) => FormerParsedBundle | ReturnType<typeof parseBundle>, document: unknown): Outcome {
  try {
    return { accepted: readValues(parse(document)) };
  } catch (error) {
    assert.ok(error instanceof VerificationError, `not a VerificationError: ${(error as Error).stack}`);
    return { refused: error.code };
  }
}

function assertSameOutcome(document: unknown, what: string): Outcome {
  const current = outcome(parseBundle, structuredClone(document));
  const former = outcome(formerParseBundle, structuredClone(document));
  if ('refused' in current && 'accepted' in former && strictlyRefusedCertificate(document)) {
    // The certificate reader refuses more than @sigstore/core's parser did (an empty SEQUENCE, say):
    // a refusal, never another reading; verify-der-reader.test.ts holds it to that.
    return current;
  }
  assert.deepEqual(current, former, what);
  return current;
}

/** Whether the former parser's certificates include one the certificate reader refuses. */
function strictlyRefusedCertificate(document: unknown): boolean {
  const { material } = formerParseBundle(structuredClone(document));
  return material.kind === 'certificate' && material.chain.some((der) => {
    try {
      parseCertificate(der);
      return false;
    } catch (error) {
      return error instanceof DERError;
    }
  });
}

describe('parseBundle accepts and refuses what the former parser did', () => {
  test('every real bundle (fixtures, ../shared/realdata conformance and npm attestations)', () => {
    const bundles = realBundles();
    assert.ok(bundles.length >= 20, `only ${bundles.length} bundles`);
    const outcomes = bundles.map(({ source, document }) => assertSameOutcome(document, source));
    assert.ok(outcomes.filter((result) => 'accepted' in result).length >= 10);
  });

  test('malformed variants of real bundles: fields removed, nulled, retyped, added, and base64 bent (fixed seed)', () => {
    const samples = realBundles().filter(({ document }) => 'accepted' in outcome(formerParseBundle, document));
    const mutation = fc.record({ where: fc.nat(), change: fc.nat(), value: fc.nat() });
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ source, document }, mutations) => {
        const variant = structuredClone(document) as Record<string, unknown>;
        for (const { where, change, value } of mutations) mutateJSON(variant, where, change, value);
        const result = assertSameOutcome(variant, `${source}: ${JSON.stringify(mutations)}`);
        outcomes['accepted' in result ? 'accepted' : 'refused']++;
      }),
      { seed: 20261126, numRuns: 3000 },
    );
    assert.ok(outcomes.accepted > 200 && outcomes.refused > 200, JSON.stringify(outcomes));
  });
});

type JsonContainer = Record<string, unknown> | unknown[];

/** Every (container, key) in the document, depth first. */
function slots(value: unknown, found: Array<[JsonContainer, string | number]> = []): Array<[JsonContainer, string | number]> {
  if (Array.isArray(value)) value.forEach((item, i) => (found.push([value, i]), slots(item, found)));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) (found.push([value as JsonContainer, key]), slots(item, found));
  return found;
}

const MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];

/** Fields a bundle may have, to add where they are absent (oneof siblings included). */
const ADDITIONS: Array<[string, unknown]> = [
  ['messageSignature', { messageDigest: { algorithm: 'SHA2_256', digest: 'AAAA' }, signature: 'AAAA' }],
  ['dsseEnvelope', { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'AAAA' }] }],
  ['publicKey', { hint: 'a-key' }],
  ['x509CertificateChain', { certificates: [{ rawBytes: 'AAAA' }] }],
  ['certificate', { rawBytes: 'MAA=' }],
  ['timestampVerificationData', { rfc3161Timestamps: [{ signedTimestamp: 'AAAA' }] }],
  ['inclusionPromise', { signedEntryTimestamp: 'AAAA' }],
  ['inclusionProof', { logIndex: '0', rootHash: 'AAAA', treeSize: '1', hashes: [], checkpoint: { envelope: 'x' } }],
  ['checkpoint', {}],
  ['hashes', ['AAAA', null]],
  ['tlogEntries', [null]],
  ['algorithm', 'SHA3_256'],
];

/** Ways to bend a base64 string: some still strict base64, some not. */
const BASE64_BENDS: Array<(text: string) => string> = [
  (text) => text.replace(/=+$/, ''),
  (text) => text.replace(/\+/g, '-').replace(/\//g, '_'),
  (text) => `${text.slice(0, 4)}\n${text.slice(4)}`,
  (text) => `${text.slice(0, 4)}\r${text.slice(4)}`,
  (text) => `${text.slice(0, 4)}!${text.slice(4)}`,
  (text) => `${text.slice(0, 4)}=${text.slice(4)}`,
  () => '==',
  () => '',
  (text) => text.slice(1),
];

function mutateJSON(document: Record<string, unknown>, where: number, change: number, value: number): void {
  const all = slots(document);
  const [container, key] = all[where % all.length]!;
  const current = (container as Record<string | number, unknown>)[key];
  const set = (next: unknown) => ((container as Record<string | number, unknown>)[key] = next);
  switch (change % 12) {
    case 0:
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete container[key];
      return;
    case 1:
      return void set(null);
    case 2:
      return void set([0, -1, 12, 1.5, 2 ** 60][value % 5]);
    case 3:
      return void set(['x', '12', '-1', '007', ''][value % 5]);
    case 4:
      return void set([true, [], {}, [null], [[]]][value % 5]);
    case 5:
      if (typeof current === 'string') set(BASE64_BENDS[value % BASE64_BENDS.length]!(current));
      return;
    case 6: {
      const [name, added] = ADDITIONS[value % ADDITIONS.length]!;
      if (typeof current === 'object' && current !== null && !Array.isArray(current)) (current as Record<string, unknown>)[name] = structuredClone(added);
      return;
    }
    case 7:
      return void (document.mediaType = MEDIA_TYPES[value % MEDIA_TYPES.length]);
    case 8:
      if (Array.isArray(current)) current.push(structuredClone(current[0] ?? null));
      return;
    case 9:
      if (typeof current === 'string' && /^\d+$/.test(current)) set(Number(current));
      return;
    case 10:
      if (typeof current === 'string') set([current]);
      return;
    default:
      return void set(structuredClone(all[value % all.length]![0]));
  }
}
