import { createPublicKey, type KeyObject } from 'node:crypto';
import type { X509Certificate } from '@sigstore/core';
import { encodeDER } from './der.js';
import { memoKey, PureMemo } from './memo.js';

const trustedKeys = new PureMemo<KeyObject>(256);

/** The DER SubjectPublicKeyInfo of a certificate: `certificate.publicKey`, without the library's slow encoder. */
export function subjectPublicKeyInfo(certificate: X509Certificate): Buffer {
  const spki = certificate.tbsCertificate.subs[6];
  if (!spki) throw new TypeError('certificate has no subjectPublicKeyInfo');
  return encodeDER(spki);
}

/** The key of a trusted certificate (a CA, a timestamp authority): built once per distinct SPKI. */
export function trustedKey(spki: Buffer): KeyObject {
  return trustedKeys.get(memoKey([spki]), () => createPublicKey({ key: spki, format: 'der', type: 'spki' }));
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
  const point = spki.subarray(P256_SPKI_PREFIX.length);
  if (spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX) && point.length === P256_POINT_LENGTH && point[0] === UNCOMPRESSED_POINT) {
    const [x, y] = [point.subarray(1, 33).toString('base64url'), point.subarray(33).toString('base64url')];
    try {
      return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
    } catch {
      // read it as DER below
    }
  }
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}
