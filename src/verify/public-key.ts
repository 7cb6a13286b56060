import { createPublicKey, type KeyObject } from 'node:crypto';
import { BytesMemo } from './memo.js';

const trustedKeys = new BytesMemo<KeyObject>();

/** The key of a trusted certificate (a CA, a timestamp authority): built once per SPKI it holds. */
export function trustedKey(spki: Buffer): KeyObject {
  return trustedKeys.get(spki, [spki], () => createPublicKey({ key: spki, format: 'der', type: 'spki' }));
}

/** SubjectPublicKeyInfo of a P-256 key, up to its uncompressed point (RFC 5480). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P256_POINT_LENGTH = 65;
const UNCOMPRESSED_POINT = 0x04;

/**
 * The key a signing certificate carries, as `crypto.createPublicKey` reads its SPKI. OpenSSL 3
 * reads DER keys through its generic decoder: a P-256 point imported as coordinates costs a
 * third less, and reading its curve later costs nothing. OpenSSL checks the point either way; any
 * other key, or a point it refuses, goes through the DER reader, which also says what is wrong.
 */
export function certificateKey(spki: Buffer): KeyObject {
  const pointStart = P256_SPKI_PREFIX.length;
  if (spki.length === pointStart + P256_POINT_LENGTH && P256_SPKI_PREFIX.compare(spki, 0, pointStart) === 0 && spki[pointStart] === UNCOMPRESSED_POINT) {
    const [x, y] = [spki.toString('base64url', pointStart + 1, pointStart + 33), spki.toString('base64url', pointStart + 33)];
    try {
      return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
    } catch {
      // read it as DER below
    }
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}
