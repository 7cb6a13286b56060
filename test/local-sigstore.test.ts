import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { bundleFromJSON, type SerializedBundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

import {
  DEFAULT_SUBJECT,
  IN_TOTO_PAYLOAD_TYPE,
  startLocalSigstore,
  type LocalSigstore,
} from './support/local-sigstore.js';

const tarball = Buffer.from('pretend this is demo-1.0.0.tgz\n');
const statement = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [
    { name: 'pkg:npm/demo@1.0.0', digest: { sha512: crypto.createHash('sha512').update(tarball).digest('hex') } },
  ],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: { buildDefinition: { buildType: 'https://example.com/test' } },
};

const ghClaims = {
  iss: 'https://token.actions.githubusercontent.com',
  repository: 'acme/demo',
  repository_owner: 'acme',
  workflow_ref: 'acme/demo/.github/workflows/release.yml@refs/tags/v1.0.0',
  job_workflow_ref: 'acme/demo/.github/workflows/release.yml@refs/tags/v1.0.0',
  ref: 'refs/tags/v1.0.0',
  sha: '0123456789abcdef0123456789abcdef01234567',
  event_name: 'push',
  runner_environment: 'github-hosted',
  run_id: '42',
  run_attempt: '1',
};

function verifierFor(ls: LocalSigstore, options?: ConstructorParameters<typeof Verifier>[1]): Verifier {
  return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(ls.trustedRoot)), options);
}

function leafCert(json: SerializedBundle): X509Certificate {
  const b64 = json.verificationMaterial.certificate?.rawBytes;
  assert.ok(b64, 'bundle has a single leaf certificate');
  return X509Certificate.parse(Buffer.from(b64, 'base64'));
}

function utf8Ext(cert: X509Certificate, oid: string): string | undefined {
  const ext = cert.extension(oid);
  return ext?.valueObj.subs[0]?.value.toString('utf8');
}

describe('local sigstore stack', () => {
  let ls: LocalSigstore;
  let other: LocalSigstore;

  before(async () => {
    [ls, other] = await Promise.all([startLocalSigstore(), startLocalSigstore()]);
  });
  after(async () => {
    await Promise.all([ls?.close(), other?.close()]);
  });

  it('serves on 127.0.0.1 and writes a valid trusted root', async () => {
    for (const url of [ls.fulcioURL, ls.rekorURL, ls.tsaURL, ls.oidcIssuer]) {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    }
    const onDisk = JSON.parse(await fs.readFile(ls.trustedRootPath, 'utf8'));
    assert.deepEqual(onDisk, ls.trustedRoot);
    const root = TrustedRoot.fromJSON(onDisk);
    assert.equal(root.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    assert.equal(root.tlogs.length, 1);
    assert.equal(root.tlogs[0]?.baseUrl, ls.rekorURL);
    const der = root.tlogs[0]?.publicKey?.rawBytes;
    assert.ok(der);
    assert.deepEqual(root.tlogs[0]?.logId?.keyId, crypto.createHash('sha256').update(der).digest());
    assert.equal(root.ctlogs.length, 1);
    assert.equal(root.certificateAuthorities[0]?.certChain?.certificates.length, 1);
    assert.equal(root.timestampAuthorities[0]?.certChain?.certificates.length, 2);
    assert.ok(toTrustMaterial(root));

    const discovery = await fetch(`${ls.oidcIssuer}/.well-known/openid-configuration`);
    assert.equal(((await discovery.json()) as { issuer?: string }).issuer, ls.oidcIssuer);
  });

  it('mints tokens with email_verified and arbitrary claims', async () => {
    const token = await ls.mintToken({ repository: 'acme/demo' }, 'someone@example.org');
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    assert.equal(payload.iss, ls.oidcIssuer);
    assert.equal(payload.sub, 'someone@example.org');
    assert.equal(payload.email, 'someone@example.org');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.repository, 'acme/demo');
    await assert.rejects(ls.mintToken({ repository_id: 123 }), /must be a string/);
  });

  it('signs an in-toto statement (DSSE) with a tlog entry that verifies offline', async () => {
    const json = await ls.signStatement(statement);
    assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(json.dsseEnvelope?.payloadType, IN_TOTO_PAYLOAD_TYPE);
    assert.deepEqual(JSON.parse(Buffer.from(json.dsseEnvelope?.payload ?? '', 'base64').toString()), statement);

    const [entry] = json.verificationMaterial.tlogEntries;
    assert.ok(entry);
    assert.deepEqual(entry.kindVersion, { kind: 'dsse', version: '0.0.1' });
    assert.ok(entry.inclusionPromise?.signedEntryTimestamp, 'SET present');
    assert.ok(entry.inclusionProof?.checkpoint?.envelope, 'inclusion proof + checkpoint present');
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8'));
    assert.deepEqual(Object.keys(body.spec).sort(), ['envelopeHash', 'payloadHash', 'signatures']);
    assert.equal(body.spec.signatures[0].signature, json.dsseEnvelope?.signatures[0]?.sig);

    const signer = verifierFor(ls).verify(toSignedEntity(bundleFromJSON(json)));
    assert.equal(signer.identity?.subjectAlternativeName, DEFAULT_SUBJECT);
    assert.equal(signer.identity?.extensions?.issuer, ls.oidcIssuer);
  });

  it('signs a statement with tlog + TSA', async () => {
    const json = await ls.signStatement(statement, { tsa: true });
    assert.equal(json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);
    assert.equal(json.verificationMaterial.tlogEntries.length, 1);
    verifierFor(ls, { timestampThreshold: 2 }).verify(toSignedEntity(bundleFromJSON(json)));
  });

  it('signs a statement with TSA only (no tlog)', async () => {
    const json = await ls.signStatement(statement, { tlog: false, tsa: true });
    // protobuf JSON omits empty repeated fields
    assert.equal((json.verificationMaterial.tlogEntries ?? []).length, 0);
    const entity = toSignedEntity(bundleFromJSON(json));
    verifierFor(ls, { tlogThreshold: 0 }).verify(entity);
    assert.throws(() => verifierFor(ls).verify(entity), /tlog/i);
  });

  it('signs a blob (message signature, hashedrekord) with and without TSA', async () => {
    for (const tsa of [false, true]) {
      const json = await ls.signBlob(tarball, { tsa });
      assert.equal(json.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
      assert.ok(json.messageSignature);
      const [entry] = json.verificationMaterial.tlogEntries;
      assert.deepEqual(entry?.kindVersion, { kind: 'hashedrekord', version: '0.0.1' });
      assert.ok(entry?.inclusionPromise && entry.inclusionProof);
      const timestamps = json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? [];
      assert.equal(timestamps.length, tsa ? 1 : 0);
      verifierFor(ls).verify(toSignedEntity(bundleFromJSON(json), tarball));
      assert.throws(() => verifierFor(ls).verify(toSignedEntity(bundleFromJSON(json), Buffer.from('tampered'))));
    }
  });

  it('supports legacy intoto 0.0.2 tlog entries', async () => {
    const json = await ls.signStatement(statement, { tlogEntryType: 'intoto' });
    assert.deepEqual(json.verificationMaterial.tlogEntries[0]?.kindVersion, { kind: 'intoto', version: '0.0.2' });
    verifierFor(ls).verify(toSignedEntity(bundleFromJSON(json)));
  });

  it('turns GitHub Actions claims into Fulcio certificate extensions', async () => {
    const json = await ls.signStatement(statement, { claims: ghClaims, tsa: true });
    const cert = leafCert(json);
    const wf = `https://github.com/${ghClaims.job_workflow_ref}`;
    assert.equal(cert.subjectAltName, wf);
    const oid = (n: number) => `1.3.6.1.4.1.57264.1.${n}`;
    assert.equal(cert.extension(oid(1))?.value.toString('ascii'), ghClaims.iss); // legacy, raw bytes
    assert.equal(utf8Ext(cert, oid(8)), ghClaims.iss);
    assert.equal(utf8Ext(cert, oid(9)), wf);
    assert.equal(utf8Ext(cert, oid(11)), 'github-hosted');
    assert.equal(utf8Ext(cert, oid(12)), 'https://github.com/acme/demo');
    assert.equal(utf8Ext(cert, oid(13)), ghClaims.sha);
    assert.equal(utf8Ext(cert, oid(14)), 'refs/tags/v1.0.0');
    assert.equal(utf8Ext(cert, oid(16)), 'https://github.com/acme');
    assert.equal(utf8Ext(cert, oid(18)), `https://github.com/${ghClaims.workflow_ref}`);
    assert.equal(utf8Ext(cert, oid(20)), 'push');
    assert.equal(utf8Ext(cert, oid(21)), 'https://github.com/acme/demo/actions/runs/42/attempts/1');

    const signer = verifierFor(ls).verify(toSignedEntity(bundleFromJSON(json)), {
      subjectAlternativeName: wf,
      extensions: { issuer: ghClaims.iss },
    });
    assert.equal(signer.identity?.subjectAlternativeName, wf);
    assert.throws(() =>
      verifierFor(ls).verify(toSignedEntity(bundleFromJSON(json)), {
        subjectAlternativeName: 'https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main',
      }),
    );
  });

  it('accepts an externally supplied token', async () => {
    const token = await ls.mintToken({}, 'https://example.com/ci-identity');
    const json = await ls.signBlob(tarball, { token });
    assert.equal(leafCert(json).subjectAltName, 'https://example.com/ci-identity');
  });

  it('rejects bundles against a different trusted root', async () => {
    const dsse = await ls.signStatement(statement, { tsa: true });
    const blob = await ls.signBlob(tarball);
    assert.throws(() => verifierFor(other).verify(toSignedEntity(bundleFromJSON(dsse))));
    assert.throws(() => verifierFor(other).verify(toSignedEntity(bundleFromJSON(blob), tarball)));
    // ...and the other instance's own bundles are fine with its own root.
    verifierFor(other).verify(toSignedEntity(bundleFromJSON(await other.signStatement(statement))));
  });

  it('local Rekor rejects a dsse entry whose signature does not verify', async () => {
    const envelope = JSON.stringify({ payloadType: 'x', payload: 'eA==', signatures: [{ sig: 'AAAA', keyid: '' }] });
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const res = await fetch(`${ls.rekorURL}/api/v1/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: { proposedContent: { envelope, verifiers: [Buffer.from(pem).toString('base64')] } },
      }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /does not verify/);
  });
});
