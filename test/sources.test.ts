/**
 * Evidence sources over HTTP, against an in-process registry on 127.0.0.1
 * (test/support/static-registry.ts): packument mapping, fail-closed network errors, concurrency,
 * offline mode, tokens, url templates and where registry keys come from.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { after, describe, it } from 'node:test';

import { createHttpFetcher, type HttpFetcherOptions } from '../src/sources/http-fetcher.js';
import { toPackument } from '../src/sources/packument.js';
import { registryKeysFor } from '../src/sources/registry-keys-source.js';
import { SourceError, type EvidenceFetcher } from '../src/sources/source.types.js';
import { expandUrlTemplate, lookupUrlEvidence } from '../src/sources/url-source.js';
import type { TrustedPublicKey } from '../src/trust/trust.types.js';
import { verifyRegistrySignature } from '../src/verify/registry-signature.js';
import { startStaticRegistry, type StaticRegistry, type StaticRegistryOptions } from './support/static-registry.js';

// ---------------------------------------------------------------------------
// Fixtures

const CANARY = 'npm_CANARY0123456789canary';
const integrityOf = (text: string): string => `sha512-${crypto.createHash('sha512').update(text).digest('base64')}`;

const registryKey = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const KEY_ID = 'SHA256:static-registry-key';
const keysDocument = {
  keys: [
    {
      expires: null,
      keyid: KEY_ID,
      keytype: 'ecdsa-sha2-nistp256',
      scheme: 'ecdsa-sha2-nistp256',
      key: registryKey.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    },
  ],
};

function registrySignature(name: string, version: string, integrity: string) {
  return { keyid: KEY_ID, sig: crypto.sign('sha256', Buffer.from(`${name}@${version}:${integrity}`), registryKey.privateKey).toString('base64') };
}

function packumentOf(name: string, versions: Record<string, { dist?: object } | unknown>, time: Record<string, string> = {}) {
  return { _id: name, name, 'dist-tags': {}, versions, time };
}

const demoIntegrity = integrityOf('demo-1.0.0');
const demoSignature = registrySignature('demo', '1.0.0', demoIntegrity);
const demoPackument = packumentOf(
  'demo',
  {
    '1.0.0': {
      name: 'demo',
      version: '1.0.0',
      dist: {
        integrity: demoIntegrity,
        signatures: [demoSignature],
        attestations: { url: 'https://registry.example/-/npm/v1/attestations/demo@1.0.0', provenance: { predicateType: 'https://slsa.dev/provenance/v1' } },
      },
    },
    '0.9.0': { name: 'demo', version: '0.9.0', dist: { shasum: 'abc' } },
    '0.1.0': { name: 'demo', version: '0.1.0' },
  },
  { '1.0.0': '2024-06-01T12:00:00.000Z', '0.9.0': 'not a date', created: '2020-01-01T00:00:00.000Z' },
);
const scopedIntegrity = integrityOf('@acme/pkg-2.0.0');
const scopedPackument = packumentOf('@acme/pkg', {
  '2.0.0': { dist: { integrity: scopedIntegrity, signatures: [registrySignature('@acme/pkg', '2.0.0', scopedIntegrity)] } },
});

/** Quick retries so fault tests stay fast. */
const FAST: HttpFetcherOptions = { retryDelayMs: 5, timeoutMs: 5_000 };

const registries: StaticRegistry[] = [];
async function registry(options: StaticRegistryOptions = {}): Promise<StaticRegistry> {
  const started = await startStaticRegistry({ packuments: { demo: demoPackument, '@acme/pkg': scopedPackument }, keys: keysDocument, ...options });
  registries.push(started);
  return started;
}
after(async () => {
  await Promise.all(registries.map((started) => started.close()));
});

/** Awaits a SourceError and returns its message, checking it is one line and never carries the canary token. */
async function sourceError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SourceError, `expected a SourceError, got ${inspect(error)}`);
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    assert.ok(!inspect(error).includes(CANARY), 'the token never appears in an error');
    return error.message;
  }
  assert.fail('expected a SourceError');
}

// ---------------------------------------------------------------------------

describe('packument mapping', () => {
  it('maps versions to integrity, dist.signatures, dist.attestations and time[version]', async () => {
    const server = await registry();
    const packument = await createHttpFetcher(FAST).packument('demo', server.url);
    assert.equal(packument.name, 'demo');
    assert.deepEqual([...packument.versions.keys()], ['1.0.0', '0.9.0', '0.1.0']);
    assert.deepEqual(packument.versions.get('1.0.0'), {
      name: 'demo',
      version: '1.0.0',
      integrity: demoIntegrity,
      signatures: [demoSignature],
      attestations: { url: 'https://registry.example/-/npm/v1/attestations/demo@1.0.0', provenancePredicateType: 'https://slsa.dev/provenance/v1' },
      publishedAt: new Date('2024-06-01T12:00:00.000Z'),
    });
  });

  it('keeps old versions without integrity or signatures, and an unreadable time as unknown', async () => {
    const server = await registry();
    const packument = await createHttpFetcher(FAST).packument('demo', server.url);
    assert.deepEqual(packument.versions.get('0.9.0'), { name: 'demo', version: '0.9.0', signatures: [], publishedAt: undefined });
    assert.deepEqual(packument.versions.get('0.1.0'), { name: 'demo', version: '0.1.0', signatures: [], publishedAt: undefined });
  });

  it('asks for the full packument (Accept: application/json), with a scoped name escaped as @scope%2fname', async () => {
    const server = await registry();
    const packument = await createHttpFetcher(FAST).packument('@acme/pkg', server.url.replace(/\/$/, ''));
    assert.equal(packument.versions.get('2.0.0')!.integrity, scopedIntegrity);
    assert.deepEqual(server.requests, ['GET /@acme%2fpkg']);
    assert.deepEqual(server.acceptHeaders, ['application/json']);
  });

  it('rejects a packument of another package', async () => {
    const server = await registry({ packuments: { demo: { ...demoPackument, name: 'evil' } } });
    assert.equal(await sourceError(createHttpFetcher(FAST).packument('demo', server.url)), 'registry returned the packument of evil for demo');
    assert.throws(() => toPackument({ versions: {} }, 'demo'), /^SourceError: registry returned the packument of \(no name\) for demo$/);
  });

  it('fails the packument on a malformed dist.signatures, naming the version and the field', () => {
    const malformed = packumentOf('demo', { '1.0.0': { dist: { integrity: demoIntegrity, signatures: [{ keyid: KEY_ID }] } } });
    assert.throws(() => toPackument(malformed, 'demo'), {
      name: 'SourceError',
      message: 'registry packument of demo: version 1.0.0: dist.signatures[0].sig: expected a non-empty string',
    });
    const notAnArray = packumentOf('demo', { '1.0.0': { dist: { signatures: { keyid: KEY_ID, sig: 'x' } } } });
    assert.throws(() => toPackument(notAnArray, 'demo'), /version 1\.0\.0: dist\.signatures: expected an array/);
  });

  it('fails the packument on malformed dist.attestations, dist.integrity or a version that is not an object', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ dist: { attestations: { provenance: {} } } }, /version 1\.0\.0: dist\.attestations\.url: expected a non-empty string/],
      [{ dist: { integrity: 42 } }, /version 1\.0\.0: dist\.integrity: expected a non-empty string/],
      ['1.0.0', /version 1\.0\.0: expected an object/],
      [{ dist: 'https://x' }, /version 1\.0\.0: dist: expected an object/],
    ];
    for (const [manifest, message] of cases) {
      assert.throws(() => toPackument(packumentOf('demo', { '1.0.0': manifest }), 'demo'), message);
    }
    assert.throws(() => toPackument('[]', 'demo'), /registry packument of demo is not a JSON object/);
  });

  it('maps an unpublished package (no versions) to an empty version map', () => {
    assert.equal(toPackument({ name: 'gone', time: { unpublished: {} } }, 'gone').versions.size, 0);
  });
});

describe('HTTP failures fail closed with one-line reasons', () => {
  it('404: the registry has no such package; getJson gives undefined', async () => {
    const server = await registry();
    const fetcher = createHttpFetcher(FAST);
    assert.equal(await sourceError(fetcher.packument('nope', server.url)), `registry ${server.url} has no package nope (GET ${server.url}nope: HTTP 404)`);
    assert.equal(await fetcher.getJson(`${server.url}missing.json`), undefined);
  });

  it('retries a 500 and succeeds on the next answer', async () => {
    const server = await registry({ behaviour: { '/demo': [{ status: 500 }] } });
    const packument = await createHttpFetcher(FAST).packument('demo', server.url);
    assert.ok(packument.versions.has('1.0.0'));
    assert.deepEqual(server.requests, ['GET /demo', 'GET /demo']);
  });

  it('gives up after the retries, with the status and the attempt count, and without the query', async () => {
    const server = await registry({ behaviour: { '/doc.json': { status: 503 } } });
    const message = await sourceError(createHttpFetcher(FAST).getJson(`${server.url}doc.json?token=${CANARY}`));
    assert.equal(message, `GET ${server.url}doc.json: HTTP 503 after 3 attempts`);
    assert.equal(server.requests.length, 3);
  });

  it('does not retry a 401, and hints at the token', async () => {
    const server = await registry({ behaviour: { '/doc.json': { status: 401 } } });
    const message = await sourceError(createHttpFetcher(FAST).getJson(`${server.url}doc.json`, { bearerToken: CANARY }));
    assert.equal(message, `GET ${server.url}doc.json: HTTP 401 (check the token for this host)`);
    assert.deepEqual(server.requests, ['GET /doc.json [auth]']);
  });

  it('honours Retry-After on a 429', async () => {
    const server = await registry({ behaviour: { '/demo': [{ status: 429, headers: { 'retry-after': '1' } }] } });
    const started = Date.now();
    await createHttpFetcher({ ...FAST, retryDelayMs: 1 }).packument('demo', server.url);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(server.requests.length, 2);
  });

  it('fails at once when Retry-After is longer than allowed', async () => {
    const server = await registry({ behaviour: { '/demo': { status: 429, headers: { 'retry-after': '3600' } } } });
    const message = await sourceError(createHttpFetcher({ ...FAST, maxRetryAfterMs: 2_000 }).packument('demo', server.url));
    assert.equal(message, `GET ${server.url}demo: HTTP 429, and Retry-After 3600 s is longer than the 2 s allowed`);
    assert.equal(server.requests.length, 1);
  });

  it('fails on a truncated body (connection closed before Content-Length)', async () => {
    const server = await registry({ behaviour: { '/demo': { truncate: true } } });
    const message = await sourceError(createHttpFetcher({ ...FAST, retries: 1 }).packument('demo', server.url));
    assert.equal(message, `GET ${server.url}demo: response body truncated (connection closed early) after 2 attempts`);
  });

  it('fails on a connection reset', async () => {
    const server = await registry({ behaviour: { '/doc.json': { reset: true } } });
    const message = await sourceError(createHttpFetcher({ ...FAST, retries: 0 }).getJson(`${server.url}doc.json`));
    assert.equal(message, `GET ${server.url}doc.json: connection reset`);
  });

  it('fails on a timeout, counting the time to read the body', async () => {
    const server = await registry({ behaviour: { '/demo': { delayMs: 2_000 } } });
    const started = Date.now();
    const message = await sourceError(createHttpFetcher({ ...FAST, timeoutMs: 100, retries: 1 }).packument('demo', server.url));
    assert.equal(message, `GET ${server.url}demo: no complete response within 100 ms after 2 attempts`);
    assert.ok(Date.now() - started < 1_500);
  });

  it('fails on a body that is not JSON', async () => {
    const server = await registry({ files: { '/doc.json': { body: '{"attestations": [' } } });
    assert.equal(await sourceError(createHttpFetcher(FAST).getJson(`${server.url}doc.json`)), `GET ${server.url}doc.json: response is not valid JSON`);
  });

  it('refuses a URL that is not http(s), before any request', async () => {
    assert.match(await sourceError(createHttpFetcher(FAST).getJson('file:///etc/passwd')), /^GET file:\/\/\/etc\/passwd: not an http\(s\) URL$/);
    assert.match(await sourceError(createHttpFetcher(FAST).getJson('demo')), /not an http\(s\) URL/);
  });
});

describe('concurrency, caching and offline mode', () => {
  it('never has more requests in flight than the concurrency limit', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `pkg${i}`);
    const server = await registry({ packuments: Object.fromEntries(names.map((name) => [name, packumentOf(name, {})])), delayMs: 50 });
    const fetcher = createHttpFetcher({ ...FAST, concurrency: 3 });
    await Promise.all(names.map((name) => fetcher.packument(name, server.url)));
    assert.equal(server.requests.length, 10);
    assert.equal(server.maxInFlight, 3);
  });

  it('refuses a packument larger than the limit, naming the URL and the limit (not retried)', async () => {
    const server = await registry();
    const fetcher = createHttpFetcher({ ...FAST, maxPackumentBytes: 100 });
    await assert.rejects(fetcher.packument('demo', server.url), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.match(error.message, /^GET http:\/\/127\.0\.0\.1:\d+\/demo: response (of \d+ bytes )?is larger than the 100 bytes allowed$/);
      return true;
    });
    assert.deepEqual(server.requests, ['GET /demo']);
  });

  it('fetches each packument once, however many ask at the same time', async () => {
    const server = await registry({ delayMs: 30 });
    const fetcher = createHttpFetcher(FAST);
    const packuments = await Promise.all(Array.from({ length: 20 }, () => fetcher.packument('demo', server.url)));
    assert.ok(packuments.every((packument) => packument === packuments[0]));
    await fetcher.packument('demo', server.url.replace(/\/$/, ''));
    assert.deepEqual(server.requests, ['GET /demo']);
  });

  it('lets a packument go once released: it is not held, and a later call fetches it again', async () => {
    const server = await registry();
    const fetcher = createHttpFetcher(FAST);
    const first = await fetcher.packument('demo', server.url);
    fetcher.release?.('demo', server.url.replace(/\/$/, ''));
    const second = await fetcher.packument('demo', server.url);
    assert.notEqual(first, second);
    assert.deepEqual(server.requests, ['GET /demo', 'GET /demo']);
  });

  it('offline: every call fails before any socket is opened', async () => {
    const server = await registry();
    const fetcher = createHttpFetcher({ offline: true });
    assert.equal(await sourceError(fetcher.packument('demo', server.url)), 'offline: the packument of demo needs the network');
    assert.equal(await sourceError(fetcher.getJson(`${server.url}doc.json`)), `offline: GET ${server.url}doc.json needs the network`);
    assert.match(await sourceError(registryKeysFor('https://npm.corp.example/', { fetcher })), /^offline: GET https:\/\/npm\.corp\.example\/-\/npm\/v1\/keys needs the network$/);
    assert.equal(server.connections, 0);
    assert.deepEqual(server.requests, []);
  });
});

describe('tokens', () => {
  it('sends the url source bearer token, and never shows it in an error', async () => {
    const server = await registry({ files: { '/demo/1.0.0.sigstore.json': { body: { mediaType: 'bundle' } } }, behaviour: { '/down.json': { status: 500 } } });
    const fetcher = createHttpFetcher(FAST);
    const lookup = await lookupUrlEvidence(fetcher, `${server.url}{name}/{version}.sigstore.json`, { name: 'demo', version: '1.0.0' }, 'SIGS_TOKEN', { SIGS_TOKEN: CANARY });
    assert.deepEqual(lookup, { found: true, source: 'url', location: `${server.url}demo/1.0.0.sigstore.json`, document: { mediaType: 'bundle' } });
    assert.deepEqual(server.requests, ['GET /demo/1.0.0.sigstore.json [auth]']);
    await sourceError(fetcher.getJson(`${server.url}down.json`, { bearerToken: CANARY }));
    await sourceError(fetcher.getJson(`http://user:${CANARY}@127.0.0.1:${server.port}/down.json`));
    await sourceError(fetcher.getJson(`http://127.0.0.1:${server.port}/down.json?access_token=${CANARY}`));
  });

  it('sends an .npmrc token (//host/:_authToken) to its registry and keeps it out of errors', async () => {
    const server = await registry({ behaviour: { '/@acme%2fpkg': { status: 500 } } });
    const fetcher = createHttpFetcher({ ...FAST, retries: 0, npmOptions: { [`//127.0.0.1:${server.port}/:_authToken`]: CANARY } });
    await fetcher.packument('demo', server.url);
    assert.match(await sourceError(fetcher.packument('@acme/pkg', server.url)), /HTTP 500$/);
    assert.deepEqual(server.requests, ['GET /demo [auth]', 'GET /@acme%2fpkg [auth]']);
  });

  it('does not forward the token on a redirect to another origin (another port of 127.0.0.1)', async () => {
    const other = await registry({ files: { '/bundle.json': { body: { moved: true } } } });
    const server = await registry({ behaviour: { '/bundle.json': { status: 302, headers: { location: `http://127.0.0.1:${other.port}/bundle.json` } } } });
    const document = await createHttpFetcher(FAST).getJson(`${server.url}bundle.json`, { bearerToken: CANARY });
    assert.deepEqual(document, { moved: true });
    assert.deepEqual(server.requests, ['GET /bundle.json [auth]']);
    assert.deepEqual(other.requests, ['GET /bundle.json']);
  });
});

describe('url templates', () => {
  const template = 'https://sigs.corp.example/{name}/{version}.sigstore.json';

  it('keeps a scoped name as @scope/name, a folder per scope like the dir source', () => {
    assert.equal(expandUrlTemplate(template, { name: '@corp/pkg', version: '1.2.3' }), 'https://sigs.corp.example/@corp/pkg/1.2.3.sigstore.json');
    assert.equal(expandUrlTemplate(template, { name: 'lodash', version: '4.17.21' }), 'https://sigs.corp.example/lodash/4.17.21.sigstore.json');
  });

  it('percent-encodes the version and the integrity', () => {
    assert.equal(expandUrlTemplate(template, { name: 'demo', version: '1.0.0-rc.1+build.7' }), 'https://sigs.corp.example/demo/1.0.0-rc.1%2Bbuild.7.sigstore.json');
    const integrity = 'sha512-ab+c/d==';
    assert.equal(expandUrlTemplate('https://sigs.example/by-integrity?i={integrity}', { name: 'demo', version: '1.0.0', integrity }), 'https://sigs.example/by-integrity?i=sha512-ab%2Bc%2Fd%3D%3D');
  });

  it('is reversible: the path splits back into the same name and version', () => {
    for (const [name, version] of [['@corp/pkg', '1.2.3'], ['lodash', '4.17.21'], ['@a/b.c-d', '0.0.1-alpha+x.y'], ['left-pad', '1.3.0']] as const) {
      const path = new URL(expandUrlTemplate(template, { name, version })).pathname;
      const match = /^\/((?:@[^/]+\/)?[^/]+)\/([^/]+)\.sigstore\.json$/.exec(path);
      assert.deepEqual([match?.[1], decodeURIComponent(match?.[2] ?? '')], [name, version]);
    }
  });

  it('rejects names and versions that could leave their path segment', () => {
    for (const name of ['../evil', '@corp/../x', '@corp/a/b', 'a/b', '.hidden', '@corp/', 'a b', '%2e%2e']) {
      assert.throws(() => expandUrlTemplate(template, { name, version: '1.0.0' }), { name: 'SourceError', message: `invalid package name ${JSON.stringify(name)}` });
    }
    for (const version of ['..', '.', '1.0.0/../x', '']) {
      assert.throws(() => expandUrlTemplate(template, { name: 'demo', version }), /invalid version/);
    }
  });

  it('rejects unknown placeholders and templates that do not name one version', () => {
    assert.throws(() => expandUrlTemplate('https://s.example/{scope}/{name}/{version}', { name: 'a', version: '1.0.0' }), /unknown placeholder \{scope\}/);
    assert.throws(() => expandUrlTemplate('https://s.example/{name}.json', { name: 'a', version: '1.0.0' }), /needs \{name\} and \{version\}, or \{integrity\}/);
    assert.throws(() => expandUrlTemplate('ftp://s.example/{name}/{version}', { name: 'a', version: '1.0.0' }), /is not an http\(s\) URL/);
  });

  it('reports a missing token variable, a missing integrity and a missing bundle as not found', async () => {
    const server = await registry();
    const fetcher = createHttpFetcher(FAST);
    const pkg = { name: '@acme/pkg', version: '2.0.0' };
    assert.deepEqual(await lookupUrlEvidence(fetcher, `${server.url}{name}/{version}.json`, pkg, 'SIGS_TOKEN', {}), {
      found: false,
      source: 'url',
      reason: `environment variable SIGS_TOKEN (the token for ${server.url}{name}/{version}.json) is not set`,
    });
    assert.deepEqual(await lookupUrlEvidence(fetcher, `${server.url}{integrity}.json`, pkg, undefined, {}), {
      found: false,
      source: 'url',
      reason: `the lockfile records no integrity, and url template ${server.url}{integrity}.json needs {integrity}`,
    });
    assert.deepEqual(await lookupUrlEvidence(fetcher, `${server.url}sigs/{name}/{version}.json`, pkg, undefined, {}), {
      found: false,
      source: 'url',
      reason: `no bundle at ${server.url}sigs/@acme/pkg/2.0.0.json`,
    });
    assert.deepEqual(server.requests, ['GET /sigs/@acme/pkg/2.0.0.json']);
  });
});

describe('registry keys: policy, then embedded for registry.npmjs.org, then /-/npm/v1/keys', () => {
  /** A fetcher that must not be used. */
  const noNetwork: EvidenceFetcher = {
    packument: () => Promise.reject(new Error('no network expected')),
    getJson: () => Promise.reject(new Error('no network expected')),
  };
  const policyKey: TrustedPublicKey = { keyID: 'SHA256:policy', usage: 'npm:signatures', publicKey: registryKey.publicKey, validFor: { start: new Date(0) } };

  it("uses the policy's keys when it names some, for any registry", async () => {
    assert.deepEqual(await registryKeysFor('https://registry.npmjs.org/', { policyKeys: [policyKey], fetcher: noNetwork }), [policyKey]);
    assert.deepEqual(await registryKeysFor('https://npm.corp.example/', { policyKeys: [policyKey], fetcher: noNetwork }), [policyKey]);
  });

  it('uses the keys embedded in the Sigstore TUF seeds for registry.npmjs.org, without the network', async () => {
    const keys = await registryKeysFor('https://registry.npmjs.org', { fetcher: noNetwork });
    assert.ok(keys.some((key) => key.keyID === 'SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U' && key.usage === 'npm:signatures'));
  });

  it("fetches any other registry's /-/npm/v1/keys once, and its signatures verify end to end", async () => {
    const server = await registry();
    const fetcher = createHttpFetcher(FAST);
    const keys = await registryKeysFor(server.url, { fetcher });
    await registryKeysFor(server.url.replace(/\/$/, ''), { fetcher });
    assert.deepEqual(server.requests, ['GET /-/npm/v1/keys']);
    assert.deepEqual(keys.map((key) => [key.keyID, key.usage]), [[KEY_ID, 'npm:signatures'], [KEY_ID, 'npm:attestations']]);

    const version = (await fetcher.packument('@acme/pkg', server.url)).versions.get('2.0.0')!;
    assert.deepEqual(verifyRegistrySignature({ ...version, integrity: scopedIntegrity }, keys), { keyID: KEY_ID });
  });

  it('fails when a registry publishes no keys, or keys that do not parse', async () => {
    const withoutKeys = await startStaticRegistry({});
    registries.push(withoutKeys);
    assert.match(await sourceError(registryKeysFor(withoutKeys.url, { fetcher: createHttpFetcher(FAST) })), /publishes no signing keys \(GET .*\/-\/npm\/v1\/keys: HTTP 404\); name its keys in the policy's trust entry/);
    const brokenKeys = await registry({ keys: { keys: [{ keyid: KEY_ID }] } });
    assert.match(await sourceError(registryKeysFor(brokenKeys.url, { fetcher: createHttpFetcher(FAST) })), /invalid registry key set: .*keys\[0\]\.key: expected a non-empty string/);
  });
});
