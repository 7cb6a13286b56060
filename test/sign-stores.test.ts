/**
 * Where `pkgseal publish` keeps bundles: the dir and url stores must write exactly what the audit's
 * dir and url sources read, so each test writes with a store and reads back with the source.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SigningError } from '../src/sign/sign.types.js';
import { storeBundleInDir } from '../src/sign/stores/dir-store.js';
import { storeBundleAtUrl } from '../src/sign/stores/url-store.js';
import { readDirEvidence } from '../src/sources/dir-source.js';
import { createHttpFetcher } from '../src/sources/http-fetcher.js';
import { lookupUrlEvidence } from '../src/sources/url-source.js';

const TOKEN = 'store_CANARY_0123456789_token';

const packageVersion = (name: string, version: string) => {
  const sha512 = crypto.createHash('sha512').update(`${name}@${version}`).digest();
  return { name, version, integrity: `sha512-${sha512.toString('base64')}` };
};
const bundleFor = (name: string) => ({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', note: `bundle of ${name}` });

async function assertSigningError(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a SigningError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SigningError, `expected a SigningError, got ${String(error)}`);
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  assert.ok(!error.message.includes(TOKEN), `no token: ${error.message}`);
  return error.message;
}

describe('dir store', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-dir-store-'));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes unscoped and scoped bundles where the dir source reads them', async () => {
    for (const name of ['left-pad', '@acme/lib']) {
      const pkg = packageVersion(name, '1.3.0');
      const file = await storeBundleInDir(dir, pkg, bundleFor(name));
      const read = await readDirEvidence(dir, name, '1.3.0');
      assert.ok(read, `${name} is found`);
      assert.equal(read.location, file);
      assert.deepEqual(JSON.parse(read.text), bundleFor(name));
    }
    assert.ok((await fs.stat(path.join(dir, 'left-pad@1.3.0.sigstore.json'))).isFile());
    assert.ok((await fs.stat(path.join(dir, '@acme', 'lib@1.3.0.sigstore.json'))).isFile());
  });

  it('replaces an earlier bundle whole and leaves no temporary file, even when the write fails', async () => {
    const pkg = packageVersion('@acme/replaced', '2.0.0');
    await storeBundleInDir(dir, pkg, { old: 'x'.repeat(10_000) });
    await storeBundleInDir(dir, pkg, bundleFor('new'));
    const read = await readDirEvidence(dir, pkg.name, pkg.version);
    assert.deepEqual(JSON.parse(read!.text), bundleFor('new'));

    const blocked = packageVersion('@acme/blocked', '1.0.0');
    await fs.mkdir(path.join(dir, '@acme', 'blocked@1.0.0.sigstore.json'), { recursive: true });
    await assertSigningError(storeBundleInDir(dir, blocked, bundleFor('blocked')), /^cannot write .*@acme\/blocked@1\.0\.0\.sigstore\.json: it is a directory$/);
    assert.deepEqual((await fs.readdir(path.join(dir, '@acme'))).filter((name) => name.endsWith('.tmp')), []);
  });

  it('refuses a name that would escape the folder', async () => {
    await assertSigningError(storeBundleInDir(dir, packageVersion('../escape', '1.0.0'), bundleFor('x')), /escapes the evidence folder/);
  });
});

interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

describe('url store', () => {
  let server: http.Server;
  let base: string;
  const objects = new Map<string, string>();
  const received: Received[] = [];
  let answer: { status: number; body: (request: Received) => string } | undefined;

  before(async () => {
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const entry: Received = {
          method: request.method ?? '',
          url: request.url ?? '',
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        };
        received.push(entry);
        if (answer) {
          response.writeHead(answer.status, { 'content-type': 'text/plain' });
          response.end(answer.body(entry));
        } else if (entry.method === 'PUT') {
          objects.set(entry.url, entry.body);
          response.writeHead(201).end();
        } else if (objects.has(entry.url)) {
          response.writeHead(200, { 'content-type': 'application/json' }).end(objects.get(entry.url));
        } else {
          response.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const lastPut = () => received.filter((request) => request.method === 'PUT').at(-1)!;
  const fetcher = () => createHttpFetcher({ retries: 0 });

  it('PUTs JSON at the templated URL without a token, where the url source reads it', async () => {
    const template = `${base}/sigs/{name}/{version}.sigstore.json`;
    for (const name of ['left-pad', '@acme/lib']) {
      const pkg = packageVersion(name, '1.0.0+build.1');
      const shown = await storeBundleAtUrl(template, pkg, bundleFor(name), { env: {} });
      const put = lastPut();
      assert.equal(put.authorization, undefined);
      assert.equal(put.contentType, 'application/json');
      assert.equal(put.url, `/sigs/${name}/1.0.0%2Bbuild.1.sigstore.json`);
      assert.equal(shown, `${base}${put.url}`);
      const found = await lookupUrlEvidence(fetcher(), template, pkg, undefined, {});
      assert.equal(found.found, true);
      assert.deepEqual(found.found && found.document, bundleFor(name));
    }
  });

  it('sends the named token as a bearer token, and keys by integrity when the template says so', async () => {
    const template = `${base}/by-integrity/{integrity}.json`;
    const pkg = packageVersion('@acme/private', '3.0.0');
    await storeBundleAtUrl(template, pkg, bundleFor('private'), { tokenEnv: 'SIGS_TOKEN', env: { SIGS_TOKEN: TOKEN } });
    const put = lastPut();
    assert.equal(put.authorization, `Bearer ${TOKEN}`);
    assert.equal(put.url, `/by-integrity/${encodeURIComponent(pkg.integrity)}.json`);
    const found = await lookupUrlEvidence(fetcher(), template, pkg, 'SIGS_TOKEN', { SIGS_TOKEN: TOKEN });
    assert.deepEqual(found.found && found.document, bundleFor('private'));
  });

  it('moves credentials in the URL into a basic Authorization header and keeps them out of messages', async () => {
    const pkg = packageVersion('basic', '1.0.0');
    const template = `${base.replace('http://', `http://uploader:${TOKEN}@`)}/basic/{name}/{version}.json`;
    const shown = await storeBundleAtUrl(template, pkg, bundleFor('basic'), { env: {} });
    assert.equal(lastPut().authorization, `Basic ${Buffer.from(`uploader:${TOKEN}`).toString('base64')}`);
    assert.equal(shown, `${base}/basic/basic/1.0.0.json`);
  });

  it('fails on any answer but 2xx with the status and URL, never the token', async () => {
    answer = { status: 403, body: (request) => `AccessDenied for ${request.authorization ?? 'nobody'}` };
    try {
      const message = await assertSigningError(
        storeBundleAtUrl(`${base}/denied/{name}/{version}.json`, packageVersion('@acme/lib', '1.0.0'), bundleFor('x'), { tokenEnv: 'SIGS_TOKEN', env: { SIGS_TOKEN: TOKEN } }),
        new RegExp(`^PUT ${base}/denied/@acme/lib/1\\.0\\.0\\.json answered HTTP 403 Forbidden: AccessDenied for \\[credential\\]$`),
      );
      assert.ok(!message.includes('Bearer'));
      const template = `${base.replace('http://', `http://uploader:${TOKEN}@`)}/denied/{name}/{version}.json`;
      await assertSigningError(storeBundleAtUrl(template, packageVersion('x', '1.0.0'), bundleFor('x'), { env: {} }), new RegExp(`^PUT ${base}/denied/x/1\\.0\\.0\\.json answered HTTP 403`));
    } finally {
      answer = undefined;
    }
  });

  it('fails before any request when the named token is not set, and names an unreachable store', async () => {
    const before = received.length;
    await assertSigningError(
      storeBundleAtUrl(`${base}/x/{name}/{version}.json`, packageVersion('x', '1.0.0'), bundleFor('x'), { tokenEnv: 'SIGS_TOKEN', env: {} }),
      /^environment variable SIGS_TOKEN \(the token for http:\/\/127\.0\.0\.1:\d+\/x\/\{name\}\/\{version\}\.json\) is not set$/,
    );
    assert.equal(received.length, before);
    await assertSigningError(storeBundleAtUrl(`${base}/x/{version}.json`, packageVersion('x', '1.0.0'), bundleFor('x'), { env: {} }), /needs \{name\} and \{version\}, or \{integrity\}/);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assertSigningError(
      storeBundleAtUrl(`${closedBase}/{name}/{version}.json`, packageVersion('x', '1.0.0'), bundleFor('x'), { tokenEnv: 'SIGS_TOKEN', env: { SIGS_TOKEN: TOKEN } }),
      new RegExp(`^cannot reach ${closedBase}/x/1\\.0\\.0\\.json: ECONNREFUSED$`),
    );
  });
});
