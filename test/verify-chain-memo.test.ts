/**
 * The certificate chain check remembers what it verified about the trusted root's own
 * certificates (intermediate by root), keyed by their exact bytes. These cases verify a good chain
 * first, so that the memo is warm, and then show that nothing it holds lets a bad chain through.
 * Certificates are generated at test time with @peculiar/x509 (what @sigstore/mock's CA is built on).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { before, describe, test } from 'node:test';

import * as x509 from '@peculiar/x509';

import type { TrustedCertificateAuthority } from '../src/trust/trust.types.js';
import { verifyCertificateChain } from '../src/verify/certificate.js';
import { VerificationError } from '../src/verify/errors.js';
import { parseCertificate } from '../src/verify/x509/certificate.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2030-01-01T00:00:00Z');
const SIGNED_AT = new Date('2026-06-01T00:00:00Z');

type Keys = webcrypto.CryptoKeyPair;
const generateKeys = async (): Promise<Keys> => (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as Keys;

async function issue(subject: string, subjectKeys: Keys, issuer: string, issuerKeys: Keys, ca: boolean): Promise<Buffer> {
  const extensions = ca
    ? [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)]
    : [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^./, '1'),
    subject,
    issuer,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ALGORITHM,
    publicKey: subjectKeys.publicKey as unknown as x509.PublicKeyType,
    signingKey: issuerKeys.privateKey as unknown as x509.X509CertificateCreateWithKeyParams['signingKey'],
    extensions,
  });
  return Buffer.from(certificate.rawData);
}

/** The same certificate with the last byte of its signature changed: still well-formed DER. */
function withBadSignature(der: Buffer): Buffer {
  const tampered = Buffer.from(der);
  tampered.writeUInt8(tampered.readUInt8(tampered.length - 1) ^ 0x01, tampered.length - 1);
  return tampered;
}

const parse = (der: Buffer) => parseCertificate(Buffer.from(der));
const authority = (...chain: Buffer[]): TrustedCertificateAuthority => ({ uri: 'https://fulcio.test', certChain: chain.map(parse), validFor: { start: NOT_BEFORE } });

function assertChainRejected(leaf: Buffer, authorities: TrustedCertificateAuthority[]): void {
  assert.throws(
    () => verifyCertificateChain(parse(leaf), authorities, SIGNED_AT),
    (error: unknown) => error instanceof VerificationError && error.code === 'CERTIFICATE_ERROR',
  );
}

describe('the chain memo cannot make a bad chain pass', () => {
  const ROOT = 'CN=test root,O=pkgseal';
  const INTERMEDIATE = 'CN=test intermediate,O=pkgseal';
  let root: Buffer, intermediate: Buffer, leaf: Buffer;
  let rootKeys: Keys, intermediateKeys: Keys;

  before(async () => {
    rootKeys = await generateKeys();
    intermediateKeys = await generateKeys();
    root = await issue(ROOT, rootKeys, ROOT, rootKeys, true);
    intermediate = await issue(INTERMEDIATE, intermediateKeys, ROOT, rootKeys, true);
    leaf = await issue('CN=signer', await generateKeys(), INTERMEDIATE, intermediateKeys, false);
  });

  /** Verifies the good chain, twice: the second time the intermediate-by-root answer is remembered. */
  function warmMemo(): void {
    for (let i = 0; i < 2; i++) {
      const path = verifyCertificateChain(parse(leaf), [authority(intermediate, root)], SIGNED_AT);
      assert.deepEqual(
        path.map((certificate) => certificate.der.toString('hex')),
        [leaf, intermediate, root].map((der) => der.toString('hex')),
      );
    }
  }

  test('control: the good chain verifies, leaf first', () => {
    warmMemo();
  });

  test('rejects the same leaf with a tampered signature', () => {
    warmMemo();
    assertChainRejected(withBadSignature(leaf), [authority(intermediate, root)]);
  });

  test('rejects a leaf signed by a different key under the same intermediate name', async () => {
    warmMemo();
    const impostorLeaf = await issue('CN=signer', await generateKeys(), INTERMEDIATE, await generateKeys(), false);
    assertChainRejected(impostorLeaf, [authority(intermediate, root)]);
  });

  test('rejects a different intermediate with the same name, also signed by the root', async () => {
    warmMemo();
    const otherIntermediate = await issue(INTERMEDIATE, await generateKeys(), ROOT, rootKeys, true);
    assertChainRejected(leaf, [authority(otherIntermediate, root)]);
  });

  test('rejects the intermediate with its own name and key when another root signed it', async () => {
    warmMemo();
    const rogueRootKeys = await generateKeys();
    const rogueIntermediate = await issue(INTERMEDIATE, intermediateKeys, ROOT, rogueRootKeys, true);
    assertChainRejected(leaf, [authority(rogueIntermediate, root)]);
  });

  test('rejects the intermediate with a tampered signature', () => {
    warmMemo();
    assertChainRejected(leaf, [authority(withBadSignature(intermediate), root)]);
  });

  test('rejects the good intermediate under a root with the same name and another key', async () => {
    warmMemo();
    const rogueRoot = await issue(ROOT, await generateKeys(), ROOT, rootKeys, true);
    assertChainRejected(leaf, [authority(intermediate, rogueRoot)]);
  });

  test('still verifies the good chain after every rejection', () => {
    warmMemo();
  });
});

describe('a certificate with an impossible date', () => {
  test('fails as a certificate error that says so, not with a RangeError', async () => {
    const rootKeys = await generateKeys();
    const root = await issue('CN=dated root', rootKeys, 'CN=dated root', rootKeys, true);
    const leaf = await issue('CN=signer', await generateKeys(), 'CN=dated root', rootKeys, false);
    // What decodeTime gives for month 13 (it reads times as @sigstore/core did).
    const impossible = { ...parse(leaf), notAfter: new Date(Number.NaN) };
    assert.throws(
      () => verifyCertificateChain(impossible, [authority(root)], SIGNED_AT),
      (error: unknown) => error instanceof VerificationError && error.code === 'CERTIFICATE_ERROR' && /an impossible date/.test(error.message),
    );
  });
});
