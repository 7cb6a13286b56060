/**
 * The fast paths under bundle verification must decide exactly what the slow ones did: a signing
 * certificate's key is the key `createPublicKey` reads from its SPKI (or the same error), and the
 * linear base64 check accepts exactly what the former regular expressions accepted. (The DER
 * reader's agreement with @sigstore/core is in verify-der-reader.test.ts.)
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { decodePaddedBase64, JsonShapeError, readBase64 } from '../src/trust/json-fields.js';
import { certificateKey } from '../src/verify/public-key.js';

describe('certificateKey reads what createPublicKey reads', () => {
  const P256 = (1n << 256n) - (1n << 224n) + (1n << 192n) + (1n << 96n) - 1n;
  const P256_B = BigInt('0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b');
  const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200';
  const spkiOf = (x: bigint, y: bigint) => Buffer.from(`${P256_SPKI_PREFIX}04${x.toString(16).padStart(64, '0')}${y.toString(16).padStart(64, '0')}`, 'hex');
  const power = (base: bigint, exponent: bigint): bigint => {
    let result = 1n;
    for (let b = base % P256, e = exponent; e > 0n; e >>= 1n, b = (b * b) % P256) if (e & 1n) result = (result * b) % P256;
    return result;
  };
  /** The point with the smallest x on P-256: small enough that x + p still fits in 32 bytes. */
  const smallPoint = (): [bigint, bigint] => {
    for (let x = 1n; ; x++) {
      const ySquared = (x ** 3n - 3n * x + P256_B) % P256;
      const y = power(ySquared, (P256 + 1n) / 4n);
      if ((y * y) % P256 === ySquared) return [x, y];
    }
  };
  const outcome = (read: () => ReturnType<typeof createPublicKey>): string => {
    try {
      return `key ${read().export({ format: 'der', type: 'spki' }).toString('hex')}`;
    } catch (error) {
      return `error ${(error as Error).message}`;
    }
  };
  const assertSameOutcome = (spki: Buffer, what: string) =>
    assert.equal(outcome(() => certificateKey(spki)), outcome(() => createPublicKey({ key: spki, format: 'der', type: 'spki' })), what);

  test('the same key for P-256, P-384 and Ed25519 keys', () => {
    for (const [type, options] of [['ec', { namedCurve: 'prime256v1' }], ['ec', { namedCurve: 'secp384r1' }], ['ed25519', {}]] as const) {
      for (let i = 0; i < 20; i++) {
        const spki = generateKeyPairSync(type as 'ec', options as { namedCurve: string }).publicKey.export({ format: 'der', type: 'spki' });
        assertSameOutcome(spki, `${type} ${JSON.stringify(options)}`);
        assert.ok(outcome(() => certificateKey(spki)).startsWith('key'));
      }
    }
  });

  test('the same error for a point off the curve, a coordinate not below p, and a truncated key', () => {
    const [x, y] = smallPoint();
    assertSameOutcome(spkiOf(x, y), 'control: the small point is on the curve');
    assert.ok(outcome(() => certificateKey(spkiOf(x, y))).startsWith('key'));
    assertSameOutcome(spkiOf(x, y + 1n), 'off the curve');
    assertSameOutcome(spkiOf(x + P256, y), 'x + p');
    assertSameOutcome(spkiOf(0n, 0n), 'zero');
    assertSameOutcome(spkiOf(x, y).subarray(0, 90), 'truncated');
    assert.ok(outcome(() => certificateKey(spkiOf(x + P256, y))).startsWith('error'));
  });
});

describe('readBase64 accepts what the former patterns accepted', () => {
  const FORMER_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
  const FORMER_BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
  function formerReadBase64(value: string): string {
    if (value.length === 0) return 'error';
    const text = value.replace(/\r?\n/g, '');
    if (!FORMER_BASE64.test(text) && !FORMER_BASE64URL.test(text)) return 'error';
    return Buffer.from(text, FORMER_BASE64.test(text) ? 'base64' : 'base64url').toString('hex');
  }
  function currentReadBase64(value: string): string {
    try {
      return readBase64(value, 'field').toString('hex');
    } catch (error) {
      assert.ok(error instanceof JsonShapeError);
      return 'error';
    }
  }

  test('on any short text of base64 characters, padding, line breaks and strays (fixed seed)', () => {
    const unit = fc.constantFrom(...'AQgw09+/-_====\n\n\r!. '.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 24 }), (text) => assert.equal(currentReadBase64(text), formerReadBase64(text))),
      { seed: 20261126, numRuns: 20_000 },
    );
  });

  test('on real base64 of every length, with and without padding', () => {
    for (let size = 0; size < 40; size++) {
      const bytes = Buffer.from(Array.from({ length: size }, (_, i) => (i * 37 + 250) % 256));
      for (const text of [bytes.toString('base64'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url'), `${bytes.toString('base64')}\r\n`]) {
        if (text.length === 0) continue;
        assert.equal(currentReadBase64(text), formerReadBase64(text), JSON.stringify(text));
      }
    }
  });

  test('decodePaddedBase64 decodes only text readBase64 accepts, to the same bytes, and every canonical encoding (fixed seed)', () => {
    const unit = fc.constantFrom(...'AQgw09+/-_=====\n\r!. \u00e9\u0000\u00ff'.split(''));
    let decoded = 0;
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 16 }), (text) => {
        const bytes = decodePaddedBase64(text);
        if (!bytes) return;
        decoded++;
        assert.equal(bytes.toString('hex'), currentReadBase64(text), JSON.stringify(text));
      }),
      { seed: 20261126, numRuns: 200_000 },
    );
    assert.ok(decoded > 100, `${decoded} decoded`);
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (bytes) => assert.ok(decodePaddedBase64(Buffer.from(bytes).toString('base64'))?.equals(bytes))), { seed: 20261126, numRuns: 5000 });
  });

  test('checks a 16 MB field without exhausting the stack', () => {
    const text = Buffer.alloc(12 * 1024 * 1024, 0xab).toString('base64');
    assert.equal(readBase64(text, 'field').length, 12 * 1024 * 1024);
    assert.throws(() => readBase64(`${text}!`, 'field'), /field: invalid base64/);
  });
});
