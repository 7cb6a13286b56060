/**
 * Registry ECDSA signatures (`dist.signatures`): the real npm registry signatures from
 * ../shared/realdata/npm-signatures, then generated keys for the rules the real data cannot show.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { registryKeysFromJson } from '../src/trust/registry-keys.js';
import type { TrustedPublicKey } from '../src/trust/trust.types.js';
import { VerificationError } from '../src/verify/errors.js';
import { verifyRegistrySignature, type RegistrySignedVersion } from '../src/verify/registry-signature.js';
import { readRealdataJson, REALDATA, realdataSkip } from './support/realdata.js';

/** Asserts a REGISTRY_SIGNATURE_ERROR whose one-line message names the package and matches `reason`. */
function assertRejected(version: RegistrySignedVersion, keys: readonly TrustedPublicKey[], reason: RegExp): void {
  assert.throws(
    () => verifyRegistrySignature(version, keys),
    (error: unknown) => {
      assert.ok(error instanceof VerificationError, `expected a VerificationError, got ${String(error)}`);
      assert.equal(error.code, 'REGISTRY_SIGNATURE_ERROR');
      assert.ok(error.message.startsWith(`${version.name}@${version.version}: `), error.message);
      assert.ok(!error.message.includes('\n'), 'one line');
      assert.match(error.message, reason);
      return true;
    },
  );
}

// ---------------------------------------------------------------------------
// Real registry signatures

interface SignatureCase {
  id: string;
  expected: 'pass' | 'fail';
  why: string;
  name: string;
  version: string;
  integrity: string;
  signature: { keyid: string; sig: string };
  signed_message: string;
  keys: string;
}

const CASES_FILE = 'npm-signatures/cases.json';

/** cases.json paths: `trust/…` from the realdata root, the rest from the folder of cases.json (tolerating either). */
function keySetPath(path: string): string {
  return existsSync(join(REALDATA, path)) ? path : join('npm-signatures', path);
}

function realKeys(path: string): TrustedPublicKey[] {
  return registryKeysFromJson(readRealdataJson(keySetPath(path)), path);
}

describe('real npm registry signatures (../shared/realdata/npm-signatures)', { skip: realdataSkip }, () => {
  const cases = realdataSkip ? [] : readRealdataJson<{ cases: SignatureCase[] }>(CASES_FILE).cases;

  for (const testCase of cases) {
    const version: RegistrySignedVersion = {
      name: testCase.name,
      version: testCase.version,
      integrity: testCase.integrity,
      signatures: [testCase.signature],
    };

    it(`signs exactly "<name>@<version>:<integrity>" (${testCase.id})`, () => {
      assert.equal(`${testCase.name}@${testCase.version}:${testCase.integrity}`, testCase.signed_message);
    });

    if (testCase.expected === 'pass') {
      it(`accepts ${testCase.id}: ${testCase.why}`, () => {
        const keys = realKeys(testCase.keys);
        const signingKey = keys.find((key) => key.keyID === testCase.signature.keyid && key.usage === 'npm:signatures');
        assert.ok(signingKey, 'the case names a key in its key set');
        if (signingKey.validFor.end === undefined) {
          assert.deepEqual(verifyRegistrySignature(version, keys), { keyID: testCase.signature.keyid });
          return;
        }
        // The case carries no publish time (see semantics.key_validity): without one an end-dated key
        // fails closed, and at a time inside the key's window the real signature verifies.
        assertRejected(version, keys, /publish time is unknown/);
        const result = verifyRegistrySignature({ ...version, publishedAt: signingKey.validFor.start }, keys);
        assert.deepEqual(result, { keyID: testCase.signature.keyid });
      });
    } else {
      it(`rejects ${testCase.id}: ${testCase.why}`, () => {
        const keys = realKeys(testCase.keys);
        const signingKey = keys.find((key) => key.keyID === testCase.signature.keyid);
        // Published inside the key's window, so the failure is the signature's, not the clock's.
        const publishedAt = signingKey?.validFor.start;
        const reason = signingKey ? /does not verify/ : new RegExp(`keyid ${escapeRegExp(testCase.signature.keyid)} is not a trusted registry key`);
        assertRejected({ ...version, publishedAt }, keys, reason);
      });
    }
  }

  it('rejects a real signature whose key expired before the version was published (npm-cli-test.expired.keys.json)', () => {
    const kmsDemo = cases.find((testCase) => testCase.id === 'kms-demo-1.0.0')!;
    const keys = realKeys('npm-signatures/keys/npm-cli-test.expired.keys.json');
    const version = { ...kmsDemo, signatures: [kmsDemo.signature] };
    assertRejected({ ...version, publishedAt: new Date('2022-01-01T00:00:00Z') }, keys, /expired 2021-01-11T15:45:42\.144Z, before the version was published/);
    assert.deepEqual(verifyRegistrySignature({ ...version, publishedAt: new Date('2020-06-01T00:00:00Z') }, keys), { keyID: kmsDemo.signature.keyid });
  });

  it('accepts a real signature with keys in the /-/npm/v1/keys shape (no end date, no publish time needed)', () => {
    const kmsDemo = cases.find((testCase) => testCase.id === 'kms-demo-1.0.0')!;
    const keys = realKeys('npm-signatures/keys/npm-cli-test.v1-keys-endpoint-format.json');
    assert.deepEqual(verifyRegistrySignature({ ...kmsDemo, signatures: [kmsDemo.signature] }, keys), { keyID: kmsDemo.signature.keyid });
  });
});

// ---------------------------------------------------------------------------
// Generated keys

const integrity = `sha512-${crypto.createHash('sha512').update('pretend tarball').digest('base64')}`;
const KEY_ID = 'SHA256:generated-registry-key';

function generatedKey(options: { keyID?: string; usage?: string; start?: string; end?: string; curve?: string } = {}) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: options.curve ?? 'prime256v1' });
  const validFor = { start: new Date(options.start ?? '2020-01-01T00:00:00Z'), ...(options.end ? { end: new Date(options.end) } : {}) };
  const trusted: TrustedPublicKey = { keyID: options.keyID ?? KEY_ID, usage: options.usage ?? 'npm:signatures', publicKey, validFor };
  const sign = (message: string) => ({ keyid: trusted.keyID, sig: crypto.sign('sha256', Buffer.from(message), privateKey).toString('base64') });
  return { trusted, sign };
}

function signedVersion(key: ReturnType<typeof generatedKey>, overrides: Partial<RegistrySignedVersion> = {}): RegistrySignedVersion {
  const name = overrides.name ?? 'demo';
  const version = overrides.version ?? '1.0.0';
  return { name, version, integrity, signatures: [key.sign(`${name}@${version}:${integrity}`)], ...overrides };
}

describe('registry signature rules (generated keys)', () => {
  const key = generatedKey();
  const publishedAt = new Date('2024-06-01T00:00:00Z');

  it('accepts a signature over name@version:integrity and returns its keyid', () => {
    assert.deepEqual(verifyRegistrySignature(signedVersion(key, { publishedAt }), [key.trusted]), { keyID: KEY_ID });
  });

  it('accepts a scoped name, signed with the scope', () => {
    const scoped = signedVersion(key, { name: '@acme/demo', publishedAt });
    assert.deepEqual(verifyRegistrySignature(scoped, [key.trusted]), { keyID: KEY_ID });
  });

  it('rejects a signature when the integrity checked is not the one signed (tampered integrity)', () => {
    const tampered = { ...signedVersion(key, { publishedAt }), integrity: `sha512-${crypto.createHash('sha512').update('evil').digest('base64')}` };
    assertRejected(tampered, [key.trusted], /registry signature by SHA256:generated-registry-key does not verify over "demo@1\.0\.0:sha512-/);
  });

  it('rejects a signature made for another version of the same package', () => {
    const other = { ...signedVersion(key, { publishedAt }), version: '1.0.1' };
    assertRejected(other, [key.trusted], /does not verify/);
  });

  it('rejects a key trusted only for npm:attestations (wrong key usage)', () => {
    const attestationKey = generatedKey({ usage: 'npm:attestations' });
    assertRejected(signedVersion(attestationKey, { publishedAt }), [attestationKey.trusted], /trusted for npm:attestations, not npm:signatures/);
  });

  it('rejects a key that expired before the version was published', () => {
    const expired = generatedKey({ end: '2024-01-01T00:00:00Z' });
    assertRejected(signedVersion(expired, { publishedAt }), [expired.trusted], /expired 2024-01-01T00:00:00\.000Z, before the version was published \(2024-06-01/);
  });

  it('accepts a key that expired after the version was published', () => {
    const rotated = generatedKey({ end: '2025-01-29T00:00:00Z' });
    assert.deepEqual(verifyRegistrySignature(signedVersion(rotated, { publishedAt }), [rotated.trusted]), { keyID: KEY_ID });
  });

  it('rejects an end-dated key when the publish time is unknown (fail closed)', () => {
    const rotated = generatedKey({ end: '2099-01-01T00:00:00Z' });
    assertRejected(signedVersion(rotated), [rotated.trusted], /publish time is unknown and registry key SHA256:generated-registry-key is only valid until 2099/);
  });

  it('accepts a key without an end date when the publish time is unknown', () => {
    assert.deepEqual(verifyRegistrySignature(signedVersion(key), [key.trusted]), { keyID: KEY_ID });
  });

  it('rejects a key whose validity starts after the version was published', () => {
    const future = generatedKey({ start: '2025-01-13T00:00:00Z' });
    assertRejected(signedVersion(future, { publishedAt }), [future.trusted], /only valid from 2025-01-13T00:00:00\.000Z, after the version was published/);
  });

  it('picks the key of the signature keyid, and the one valid at publish time among rotations', () => {
    const old = generatedKey({ keyID: 'SHA256:old', end: '2024-01-01T00:00:00Z' });
    const current = generatedKey({ keyID: 'SHA256:new', start: '2024-01-01T00:00:00Z' });
    assert.deepEqual(verifyRegistrySignature(signedVersion(current, { publishedAt }), [old.trusted, current.trusted]), { keyID: 'SHA256:new' });
    assertRejected(signedVersion(old, { publishedAt }), [old.trusted, current.trusted], /SHA256:old expired/);
  });

  it('rejects a version with no registry signature', () => {
    assertRejected({ ...signedVersion(key, { publishedAt }), signatures: [] }, [key.trusted], /: no registry signature$/);
  });

  it('rejects a signature whose keyid is not trusted, naming the keyid', () => {
    const stranger = generatedKey({ keyID: 'SHA256:stranger' });
    assertRejected(signedVersion(stranger, { publishedAt }), [key.trusted], /keyid SHA256:stranger is not a trusted registry key/);
  });

  it('requires every signature to verify, as npm does (a valid one does not excuse an unknown keyid)', () => {
    const stranger = generatedKey({ keyID: 'SHA256:stranger' });
    const both = signedVersion(key, { publishedAt });
    both.signatures = [...both.signatures, stranger.sign(`demo@1.0.0:${integrity}`)];
    assertRejected(both, [key.trusted], /SHA256:stranger is not a trusted registry key/);
  });

  it('rejects when there is no integrity to check against', () => {
    assertRejected({ ...signedVersion(key, { publishedAt }), integrity: undefined }, [key.trusted], /no integrity to check the registry signature against/);
  });

  it('rejects a signature that is not base64 DER', () => {
    assertRejected({ ...signedVersion(key, { publishedAt }), signatures: [{ keyid: KEY_ID, sig: 'bogus' }] }, [key.trusted], /does not verify/);
  });

  it('rejects a key that is not ECDSA P-256', () => {
    const p384 = generatedKey({ curve: 'secp384r1' });
    assertRejected(signedVersion(p384, { publishedAt }), [p384.trusted], /is not an ECDSA P-256 key/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
