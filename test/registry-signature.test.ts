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
import { verifyRegistrySignature, verifyRegistrySignatureInBackground, type RegistrySignedVersion } from '../src/verify/registry-signature.js';
import { readRealdataJson, REALDATA, realdataSkip } from './support/realdata.js';

/**
 * Asserts a REGISTRY_SIGNATURE_ERROR whose one-line message names the package and matches `reason`,
 * from the check on the calling thread and from the one on the thread pool alike.
 */
async function assertRejected(version: RegistrySignedVersion, keys: readonly TrustedPublicKey[], reason: RegExp): Promise<void> {
  const check = (error: unknown) => {
    assert.ok(error instanceof VerificationError, `expected a VerificationError, got ${String(error)}`);
    assert.equal(error.code, 'REGISTRY_SIGNATURE_ERROR');
    assert.ok(error.message.startsWith(`${version.name}@${version.version}: `), error.message);
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.match(error.message, reason);
    return true;
  };
  assert.throws(() => verifyRegistrySignature(version, keys), check);
  await assert.rejects(verifyRegistrySignatureInBackground(version, keys), check);
}

/** The verdict of both variants, which must agree. */
async function accepted(version: RegistrySignedVersion, keys: readonly TrustedPublicKey[]): Promise<{ keyID: string }> {
  const result = verifyRegistrySignature(version, keys);
  assert.deepEqual(await verifyRegistrySignatureInBackground(version, keys), result);
  return result;
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

    it(`signs exactly "<name>@<version>:<integrity>" (${testCase.id})`, async () => {
      assert.equal(`${testCase.name}@${testCase.version}:${testCase.integrity}`, testCase.signed_message);
    });

    if (testCase.expected === 'pass') {
      it(`accepts ${testCase.id}: ${testCase.why}`, async () => {
        const keys = realKeys(testCase.keys);
        const signingKey = keys.find((key) => key.keyID === testCase.signature.keyid && key.usage === 'npm:signatures');
        assert.ok(signingKey, 'the case names a key in its key set');
        if (signingKey.validFor.end === undefined) {
          assert.deepEqual(await accepted(version, keys), { keyID: testCase.signature.keyid });
          return;
        }
        // The case carries no publish time (see semantics.key_validity): without one an end-dated key
        // fails closed, and at a time inside the key's window the real signature verifies.
        await assertRejected(version, keys, /publish time is unknown/);
        const result = await accepted({ ...version, publishedAt: signingKey.validFor.start }, keys);
        assert.deepEqual(result, { keyID: testCase.signature.keyid });
      });
    } else {
      it(`rejects ${testCase.id}: ${testCase.why}`, async () => {
        const keys = realKeys(testCase.keys);
        const signingKey = keys.find((key) => key.keyID === testCase.signature.keyid);
        // Published inside the key's window, so the failure is the signature's, not the clock's.
        const publishedAt = signingKey?.validFor.start;
        const reason = signingKey ? /does not verify/ : new RegExp(`keyid ${escapeRegExp(testCase.signature.keyid)} is not a trusted registry key`);
        await assertRejected({ ...version, publishedAt }, keys, reason);
      });
    }
  }

  it('rejects a real signature whose key expired before the version was published (npm-cli-test.expired.keys.json)', async () => {
    const kmsDemo = cases.find((testCase) => testCase.id === 'kms-demo-1.0.0')!;
    const keys = realKeys('npm-signatures/keys/npm-cli-test.expired.keys.json');
    const version = { ...kmsDemo, signatures: [kmsDemo.signature] };
    await assertRejected({ ...version, publishedAt: new Date('2022-01-01T00:00:00Z') }, keys, /expired 2021-01-11T15:45:42\.144Z, before the version was published/);
    assert.deepEqual(await accepted({ ...version, publishedAt: new Date('2020-06-01T00:00:00Z') }, keys), { keyID: kmsDemo.signature.keyid });
  });

  it('accepts a real signature with keys in the /-/npm/v1/keys shape (no end date, no publish time needed)', async () => {
    const kmsDemo = cases.find((testCase) => testCase.id === 'kms-demo-1.0.0')!;
    const keys = realKeys('npm-signatures/keys/npm-cli-test.v1-keys-endpoint-format.json');
    assert.deepEqual(await accepted({ ...kmsDemo, signatures: [kmsDemo.signature] }, keys), { keyID: kmsDemo.signature.keyid });
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

  it('accepts a signature over name@version:integrity and returns its keyid', async () => {
    assert.deepEqual(await accepted(signedVersion(key, { publishedAt }), [key.trusted]), { keyID: KEY_ID });
  });

  it('accepts a scoped name, signed with the scope', async () => {
    const scoped = signedVersion(key, { name: '@acme/demo', publishedAt });
    assert.deepEqual(await accepted(scoped, [key.trusted]), { keyID: KEY_ID });
  });

  it('rejects a signature when the integrity checked is not the one signed (tampered integrity)', async () => {
    const tampered = { ...signedVersion(key, { publishedAt }), integrity: `sha512-${crypto.createHash('sha512').update('evil').digest('base64')}` };
    await assertRejected(tampered, [key.trusted], /registry signature by SHA256:generated-registry-key does not verify over "demo@1\.0\.0:sha512-/);
  });

  it('rejects a signature made for another version of the same package', async () => {
    const other = { ...signedVersion(key, { publishedAt }), version: '1.0.1' };
    await assertRejected(other, [key.trusted], /does not verify/);
  });

  it('rejects a key trusted only for npm:attestations (wrong key usage)', async () => {
    const attestationKey = generatedKey({ usage: 'npm:attestations' });
    await assertRejected(signedVersion(attestationKey, { publishedAt }), [attestationKey.trusted], /trusted for npm:attestations, not npm:signatures/);
  });

  it('rejects a key that expired before the version was published', async () => {
    const expired = generatedKey({ end: '2024-01-01T00:00:00Z' });
    await assertRejected(signedVersion(expired, { publishedAt }), [expired.trusted], /expired 2024-01-01T00:00:00\.000Z, before the version was published \(2024-06-01/);
  });

  it('accepts a key that expired after the version was published', async () => {
    const rotated = generatedKey({ end: '2025-01-29T00:00:00Z' });
    assert.deepEqual(await accepted(signedVersion(rotated, { publishedAt }), [rotated.trusted]), { keyID: KEY_ID });
  });

  it('rejects an end-dated key when the publish time is unknown (fail closed)', async () => {
    const rotated = generatedKey({ end: '2099-01-01T00:00:00Z' });
    await assertRejected(signedVersion(rotated), [rotated.trusted], /publish time is unknown and registry key SHA256:generated-registry-key is only valid until 2099/);
  });

  it('accepts a key without an end date when the publish time is unknown', async () => {
    assert.deepEqual(await accepted(signedVersion(key), [key.trusted]), { keyID: KEY_ID });
  });

  it('rejects a key whose validity starts after the version was published', async () => {
    const future = generatedKey({ start: '2025-01-13T00:00:00Z' });
    await assertRejected(signedVersion(future, { publishedAt }), [future.trusted], /only valid from 2025-01-13T00:00:00\.000Z, after the version was published/);
  });

  it('picks the key of the signature keyid, and the one valid at publish time among rotations', async () => {
    const old = generatedKey({ keyID: 'SHA256:old', end: '2024-01-01T00:00:00Z' });
    const current = generatedKey({ keyID: 'SHA256:new', start: '2024-01-01T00:00:00Z' });
    assert.deepEqual(await accepted(signedVersion(current, { publishedAt }), [old.trusted, current.trusted]), { keyID: 'SHA256:new' });
    await assertRejected(signedVersion(old, { publishedAt }), [old.trusted, current.trusted], /SHA256:old expired/);
  });

  it('rejects a version with no registry signature', async () => {
    await assertRejected({ ...signedVersion(key, { publishedAt }), signatures: [] }, [key.trusted], /: no registry signature$/);
  });

  it('rejects a signature whose keyid is not trusted, naming the keyid', async () => {
    const stranger = generatedKey({ keyID: 'SHA256:stranger' });
    await assertRejected(signedVersion(stranger, { publishedAt }), [key.trusted], /keyid SHA256:stranger is not a trusted registry key/);
  });

  it('requires every signature to verify, as npm does (a valid one does not excuse an unknown keyid)', async () => {
    const stranger = generatedKey({ keyID: 'SHA256:stranger' });
    const both = signedVersion(key, { publishedAt });
    both.signatures = [...both.signatures, stranger.sign(`demo@1.0.0:${integrity}`)];
    await assertRejected(both, [key.trusted], /SHA256:stranger is not a trusted registry key/);
  });

  it('rejects when there is no integrity to check against', async () => {
    await assertRejected({ ...signedVersion(key, { publishedAt }), integrity: undefined }, [key.trusted], /no integrity to check the registry signature against/);
  });

  it('rejects a signature that is not base64 DER', async () => {
    await assertRejected({ ...signedVersion(key, { publishedAt }), signatures: [{ keyid: KEY_ID, sig: 'bogus' }] }, [key.trusted], /does not verify/);
  });

  it('rejects a key that is not ECDSA P-256', async () => {
    const p384 = generatedKey({ curve: 'secp384r1' });
    await assertRejected(signedVersion(p384, { publishedAt }), [p384.trusted], /is not an ECDSA P-256 key/);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
