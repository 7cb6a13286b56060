/**
 * Verification works on the exact bytes that were signed or logged, never on a re-encoding: the
 * signed entry timestamp is checked over RFC 8785 canonical JSON, the logged certificate must be
 * the bundle's byte for byte, an SCT list is read strictly, trusted certificates must be DER, and
 * the memo of trusted-certificate answers holds only for the bytes it was computed from.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import * as x509 from '@peculiar/x509';
import { selfSignedCertificate } from './support/self-signed.js';
import { json } from '@sigstore/core';
import fc from 'fast-check';

import { TrustedRootError, trustMaterialFromTrustedRoot } from '../src/trust/trusted-root.js';
import type { TrustedLog } from '../src/trust/trust.types.js';
import { parseBundle } from '../src/verify/bundle.js';
import type { TransparencyLogEntry } from '../src/verify/bundle.types.js';
import { VerificationError, type VerificationErrorCode } from '../src/verify/errors.js';
import { BytesMemo } from '../src/verify/memo.js';
import { isSignedBy } from '../src/verify/issuer-signature.js';
import { verifySCTs } from '../src/verify/sct.js';
import { verifyTLogBody } from '../src/verify/tlog/body.js';
import { verifySignedEntryTimestamp } from '../src/verify/tlog/set.js';
import { parseCertificate } from '../src/verify/x509/certificate.js';
import { precertificateTBS } from '../src/verify/x509/precertificate.js';
import { DEMO } from './support/hostile-project.js';


function assertRejected(run: () => unknown, code: VerificationErrorCode, reason: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof VerificationError && error.code === code && reason.test(error.message));
}

describe('signed entry timestamps are checked over RFC 8785 canonical JSON', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const log: TrustedLog = { logID: Buffer.alloc(32, 7), checkpointKeyID: Buffer.alloc(32, 7), baseURL: 'https://rekor.test', publicKey, validFor: { start: new Date(0) } };
  const entryWith = (payload: { body: Buffer; integratedTime: string; logIndex: string; logID: Buffer }, signed: string): TransparencyLogEntry => ({
    logIndex: payload.logIndex,
    logId: { keyId: payload.logID },
    kindVersion: { kind: 'dsse', version: '0.0.1' },
    integratedTime: payload.integratedTime,
    inclusionPromise: { signedEntryTimestamp: sign('sha256', Buffer.from(signed, 'utf8'), privateKey) },
    canonicalizedBody: payload.body,
  });
  const digits = fc.oneof(fc.stringMatching(/^\d{1,12}$/), fc.stringMatching(/^0\d{0,5}$/), fc.stringMatching(/^\d{17,25}$/), fc.constant('9'.repeat(400)));
  const payloads = fc.record({ body: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)), integratedTime: digits, logIndex: digits, logID: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes)) });
  const canonical = (payload: { body: Buffer; integratedTime: string; logIndex: string; logID: Buffer }) =>
    json.canonicalize({ body: payload.body.toString('base64'), integratedTime: Number(payload.integratedTime), logIndex: Number(payload.logIndex), logID: payload.logID.toString('hex') });

  test('accepts a promise over exactly what @sigstore/core canonicalizes (large and zero-padded numbers too)', () => {
    fc.assert(fc.property(payloads, (payload) => verifySignedEntryTimestamp(entryWith(payload, canonical(payload)), log)), { seed: 20261126, numRuns: 300 });
  });

  test('rejects a promise over the same values serialized in another key order', () => {
    fc.assert(
      fc.property(payloads, (payload) => {
        const unsorted = JSON.stringify({ body: payload.body.toString('base64'), integratedTime: Number(payload.integratedTime), logIndex: Number(payload.logIndex), logID: payload.logID.toString('hex') });
        assertRejected(() => verifySignedEntryTimestamp(entryWith(payload, unsorted), log), 'TLOG_INCLUSION_PROMISE_ERROR', /could not be verified/);
      }),
      { seed: 20261126, numRuns: 50 },
    );
  });
});

describe('the logged certificate must be the bundle certificate, byte for byte', () => {
  const bundle = parseBundle(JSON.parse(readFileSync(join(DEMO, 'evidence/@demo/good-lib@1.0.0.sigstore.json'), 'utf8')));
  assert.equal(bundle.material.kind, 'certificate');
  const leaf = bundle.material.kind === 'certificate' ? bundle.material.leaf.der : Buffer.alloc(0);
  const [entry] = bundle.tlogEntries;
  const claim = { content: bundle.content, material: bundle.material, signerDER: leaf };
  const pem = (der: Buffer, lineLength = 64) => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(new RegExp(`.{1,${lineLength}}`, 'g'))!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const withVerifier = (der: Buffer, lineLength?: number): TransparencyLogEntry => {
    const body = JSON.parse(entry!.canonicalizedBody.toString('utf8'));
    body.spec.signatures[0].verifier = Buffer.from(pem(der, lineLength)).toString('base64');
    return { ...entry!, canonicalizedBody: Buffer.from(JSON.stringify(body)) };
  };

  test('accepts the same certificate, however the PEM wraps it', () => {
    verifyTLogBody(withVerifier(leaf), claim);
    verifyTLogBody(withVerifier(leaf, 76), claim);
  });

  test('rejects the certificate followed by a byte, or with its outer length in a longer (BER) form', () => {
    assertRejected(() => verifyTLogBody(withVerifier(Buffer.concat([leaf, Buffer.from([0])])), claim), 'TLOG_BODY_ERROR', /signed by a different key or certificate/);
    assert.equal(leaf[1], 0x82);
    const ber = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), leaf.subarray(2)]);
    assertRejected(() => verifyTLogBody(withVerifier(ber), claim), 'TLOG_BODY_ERROR', /signed by a different key or certificate/);
  });
});

describe('SCT lists are read strictly', () => {
  const SCT_OID = '1.3.6.1.4.1.11129.2.4.2';
  const octetString = (content: Buffer) => Buffer.concat([Buffer.from([0x04, content.length]), content]);

  async function leafWith(extensions: x509.Extension[]) {
    return parseCertificate(await selfSignedCertificate('leaf', extensions));
  }
  const keyUsage = () => new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true);

  test('control: no SCT extension, no verified SCT', async () => {
    const leaf = await leafWith([keyUsage()]);
    assert.equal(verifySCTs(leaf, leaf, []), 0);
  });

  const malformed: Array<[string, Buffer]> = [
    ['a list length longer than the list', octetString(Buffer.from([0x00, 0x10, 0x00, 0x01, 0x00]))],
    ['bytes after the list', octetString(Buffer.from([0x00, 0x00, 0xff]))],
    ['an SCT cut short', octetString(Buffer.from([0x00, 0x05, 0x00, 0x03, 0x00, 0x01, 0x02]))],
    ['no OCTET STRING inside', Buffer.from([0x05, 0x00])],
  ];
  for (const [name, value] of malformed) {
    test(`rejects ${name} as SCT_ERROR`, async () => {
      const leaf = await leafWith([keyUsage(), new x509.Extension(SCT_OID, false, value)]);
      assertRejected(() => verifySCTs(leaf, leaf, []), 'SCT_ERROR', /malformed SCT list extension/);
    });
  }

  /**
   * A leaf whose SCT list holds one SCT by `log` over the leaf's precertificate, its signature
   * made with `hash`. The SCT signs the TBS without the SCT list, so a placeholder list of the
   * same length is swapped for the real one in the certificate's bytes.
   */
  async function leafWithSCT(log: ReturnType<typeof generateKeyPairSync>, hashAlgorithm: number, hash: string) {
    const logID = createHash('sha256').update(log.publicKey.export({ format: 'der', type: 'spki' })).digest();
    const sctList = (signature: Buffer) => {
      const sct = Buffer.concat([Buffer.from([0]), logID, Buffer.alloc(8), Buffer.from([0, 0, hashAlgorithm, 3]), u(signature.length, 2), signature]);
      return octetString(Buffer.concat([u(sct.length + 2, 2), u(sct.length, 2), sct]));
    };
    const placeholder = sctList(Buffer.alloc(72));
    const der = await selfSignedCertificate('leaf', [keyUsage(), new x509.Extension(SCT_OID, false, placeholder)]);
    const draft = parseCertificate(der);
    const extension = draft.extensions.find((candidate) => candidate.oid === SCT_OID)!;
    const signed = Buffer.concat([
      Buffer.from([0, 0]), Buffer.alloc(8), u(1, 2),
      createHash('sha256').update(draft.subjectPublicKeyInfo).digest(),
      u(precertificateTBS(draft, extension).length, 3), precertificateTBS(draft, extension), u(0, 2),
    ]);
    let signature = sign(hash, signed, log.privateKey);
    while (signature.length !== 72) signature = sign(hash, signed, log.privateKey);
    const at = der.indexOf(placeholder);
    const real = Buffer.from(der);
    sctList(signature).copy(real, at);
    const trusted: TrustedLog = { logID, checkpointKeyID: logID, baseURL: 'https://ct.example', publicKey: log.publicKey, validFor: { start: new Date(0) } };
    return { leaf: parseCertificate(real), trusted };
  }
  const u = (value: number, bytes: number) => {
    const out = Buffer.alloc(bytes);
    out.writeUIntBE(value, 0, bytes);
    return out;
  };

  test('verifies an SCT a trusted log made with SHA-256', async () => {
    const { leaf, trusted } = await leafWithSCT(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 4, 'sha256');
    assert.equal(verifySCTs(leaf, leaf, [trusted]), 1);
  });

  test('rejects an SCT signed with SHA-1 (RFC 6962 logs sign with SHA-256), even by a trusted log', async () => {
    const { leaf, trusted } = await leafWithSCT(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 2, 'sha1');
    assertRejected(() => verifySCTs(leaf, leaf, [trusted]), 'SCT_ERROR', /SCT verification failed/);
  });

  test('rejects an SCT list that is the only extension: no precertificate is left to check it against', async () => {
    const leaf = await leafWith([new x509.Extension(SCT_OID, false, octetString(Buffer.from([0x00, 0x00])))]);
    assertRejected(() => verifySCTs(leaf, leaf, []), 'SCT_ERROR', /only extension/);
  });
});

describe('certificate signatures are checked with the algorithm the certificate names', () => {
  /** ecdsa-with-SHA256 as DER: the OID the test certificates are signed with. */
  const ECDSA_SHA256 = Buffer.from('06082a8648ce3d040302', 'hex');

  test('control: a self-signed certificate is signed by its own key', async () => {
    const certificate = parseCertificate(await selfSignedCertificate('issuer', []));
    assert.equal(isSignedBy(certificate, certificate, false), true);
  });

  test('a signature algorithm pkgseal does not know never verifies, even over a SHA-256 signature', async () => {
    const der = await selfSignedCertificate('issuer', []);
    // The outer signatureAlgorithm (the last copy of the OID) becomes 1.2.840.10045.4.3.5, which nothing maps.
    const renamed = Buffer.from(der);
    renamed[der.lastIndexOf(ECDSA_SHA256) + ECDSA_SHA256.length - 1] = 0x05;
    const certificate = parseCertificate(renamed);
    assert.equal(certificate.signatureAlgorithm, undefined);
    assert.equal(isSignedBy(certificate, certificate, false), false);
  });
});

describe('trusted certificates must be DER', () => {
  const root = () => JSON.parse(readFileSync(join(DEMO, 'trusted_root.json'), 'utf8'));

  test('control: the demo trusted root loads', () => {
    assert.ok(trustMaterialFromTrustedRoot(root()).certificateAuthorities.length > 0);
  });

  test('rejects a CA certificate followed by another byte', () => {
    const document = root();
    const certificate = document.certificateAuthorities[0].certChain.certificates[0];
    certificate.rawBytes = Buffer.concat([Buffer.from(certificate.rawBytes, 'base64'), Buffer.from([0])]).toString('base64');
    assert.throws(() => trustMaterialFromTrustedRoot(document), (error: unknown) => error instanceof TrustedRootError && /not an X\.509 certificate \(1 bytes follow/.test(error.message));
  });
});

describe('the memo of trusted-certificate answers', () => {
  test('answers only for the bytes it was computed from, even when the owner is the same object', () => {
    const memo = new BytesMemo<string>();
    const owner = {};
    const bytes = Buffer.from('intermediate');
    let computed = 0;
    const compute = () => `answer ${++computed}`;
    assert.equal(memo.get(owner, [bytes], compute), 'answer 1');
    assert.equal(memo.get(owner, [Buffer.from('intermediate')], compute), 'answer 1');
    bytes[0] = 0x49;
    assert.equal(memo.get(owner, [bytes], compute), 'answer 2');
    assert.equal(memo.get(owner, [bytes, Buffer.from('root key')], compute), 'answer 3');
    assert.equal(memo.get({}, [bytes, Buffer.from('root key')], compute), 'answer 4');
  });
});
