/**
 * The audit's HTTP client (src/sources/http-get.ts) against a server on 127.0.0.1: which
 * credentials npm configuration sends where (and that the per-folder memo of that answer never
 * hands one URL another's token), redirects, gzip, truncated and oversized bodies, keep-alive,
 * npm's TLS settings (ca, strict-ssl, client certificates) and its proxy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { createHttpFetcher, displayUrl } from '../src/sources/http-fetcher.js';
import { httpGet, HttpGetError, type HttpGetOptions } from '../src/sources/http-get.js';

const TLS_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'tls');

interface Seen {
  path: string;
  authorization: string | undefined;
}

interface TestServer {
  url: string;
  seen: Seen[];
  connections: number;
  close(): Promise<void>;
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

async function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
    handler(request, response);
  });
  return Object.assign(await listening(server), { seen });
}

/** A server on 127.0.0.1 that counts its connections. */
async function listening(server: http.Server): Promise<{ url: string; connections: number; close(): Promise<void> }> {
  const state = { connections: 0 };
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get connections() {
      return state.connections;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const json = (response: http.ServerResponse, body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));

function options(npmOptions: Record<string, unknown>, extra: Partial<HttpGetOptions> = {}): HttpGetOptions {
  return { accept: 'application/json', npmOptions, maxSockets: 4, timeoutMs: 10_000, ...extra };
}

async function body(url: string, opts: HttpGetOptions): Promise<string> {
  const result = await httpGet(url, opts);
  assert.equal(result.kind, 'body');
  return result.kind === 'body' ? result.text : '';
}

describe('credentials from npm configuration', () => {
  let server: TestServer;
  let other: TestServer;
  before(async () => {
    server = await startServer((request, response) => json(response, { path: request.url }));
    other = await startServer((request, response) => json(response, { path: request.url }));
  });
  after(async () => {
    await server.close();
    await other.close();
  });
  const hostKey = (url: string) => url.replace(/^http:/, '');

  it('sends the registry host\'s token to that host only', async () => {
    const npm = { registry: server.url, [`${hostKey(server.url)}:_authToken`]: 'token-A' };
    await body(`${server.url}ms`, options(npm, { registry: server.url }));
    await body(`${other.url}ms`, options(npm));
    assert.equal(server.seen.at(-1)?.authorization, 'Bearer token-A');
    assert.equal(other.seen.at(-1)?.authorization, undefined);
  });

  it('sends basic auth (_auth) as npm does', async () => {
    const npm = { registry: server.url, [`${hostKey(server.url)}:_auth`]: Buffer.from('user:pass').toString('base64') };
    await body(`${server.url}ms`, options(npm, { registry: server.url }));
    assert.equal(server.seen.at(-1)?.authorization, `Basic ${Buffer.from('user:pass').toString('base64')}`);
  });

  it('a caller\'s bearer token replaces the configured one', async () => {
    const npm = { registry: server.url, [`${hostKey(server.url)}:_authToken`]: 'token-A' };
    await body(`${server.url}evidence.json`, options(npm, { bearerToken: 'given' }));
    assert.equal(server.seen.at(-1)?.authorization, 'Bearer given');
  });

  it('never answers one folder with a token configured for a deeper path (memo)', async () => {
    const npm = {
      registry: server.url,
      [`${hostKey(server.url)}:_authToken`]: 'token-root',
      [`${hostKey(server.url)}private/special/:_authToken`]: 'token-special',
    };
    for (const round of [1, 2]) {
      await body(`${server.url}private/other`, options(npm, { registry: server.url }));
      assert.equal(server.seen.at(-1)?.authorization, 'Bearer token-root', `round ${round}: other path`);
      await body(`${server.url}private/special/x`, options(npm, { registry: server.url }));
      assert.equal(server.seen.at(-1)?.authorization, 'Bearer token-special', `round ${round}: special path`);
    }
  });

  it('a scoped package gets its scope registry\'s token, an unscoped one the default registry\'s', async () => {
    const npm = {
      registry: server.url,
      '@corp:registry': other.url,
      [`${hostKey(server.url)}:_authToken`]: 'token-public',
      [`${hostKey(other.url)}:_authToken`]: 'token-corp',
    };
    for (const round of [1, 2]) {
      await body(`${other.url}@corp%2fui`, options(npm, { registry: other.url, spec: '@corp/ui' }));
      assert.equal(other.seen.at(-1)?.authorization, 'Bearer token-corp', `round ${round}`);
      await body(`${server.url}ms`, options(npm, { registry: server.url }));
      assert.equal(server.seen.at(-1)?.authorization, 'Bearer token-public', `round ${round}`);
    }
  });
});

describe('redirects', () => {
  let target: TestServer;
  let origin: TestServer;
  before(async () => {
    target = await startServer((request, response) => json(response, { at: 'target', path: request.url }));
    origin = await startServer((request, response) => {
      if (request.url === '/same') return response.writeHead(302, { location: '/final' }).end();
      if (request.url === '/elsewhere') return response.writeHead(301, { location: `${target.url}moved` }).end();
      if (request.url === '/loop') return response.writeHead(307, { location: '/loop' }).end();
      if (request.url === '/nowhere') return response.writeHead(302).end();
      json(response, { at: 'origin', path: request.url });
    });
  });
  after(async () => {
    await target.close();
    await origin.close();
  });

  it('keeps the credential on the same origin and drops it for another', async () => {
    const npm = { registry: origin.url, [`${origin.url.replace(/^http:/, '')}:_authToken`]: 'secret' };
    assert.deepEqual(JSON.parse(await body(`${origin.url}same`, options(npm, { registry: origin.url }))), { at: 'origin', path: '/final' });
    assert.equal(origin.seen.at(-1)?.authorization, 'Bearer secret');
    assert.deepEqual(JSON.parse(await body(`${origin.url}elsewhere`, options(npm, { registry: origin.url }))), { at: 'target', path: '/moved' });
    assert.equal(target.seen.at(-1)?.authorization, undefined);
  });

  it('fails on a redirect loop and on a redirect without a location', async () => {
    await assert.rejects(httpGet(`${origin.url}loop`, options({})), (error: unknown) => error instanceof HttpGetError && error.code === 'TOO_MANY_REDIRECTS');
    await assert.rejects(httpGet(`${origin.url}nowhere`, options({})), (error: unknown) => error instanceof HttpGetError && error.code === 'BAD_REDIRECT');
  });
});

/**
 * A forward proxy for http targets (requests arrive in absolute form) that relays bytes as they
 * come, and a connection cut short as one cut short.
 */
async function startForwardProxy(): Promise<{ url: string; proxied: string[]; connections: number; close(): Promise<void> }> {
  const proxied: string[] = [];
  const proxy = http.createServer((request, response) => {
    proxied.push(request.url ?? '');
    http.get(request.url ?? '', { headers: request.headers, agent: false }, (upstream) => {
      response.writeHead(upstream.statusCode ?? 502, upstream.rawHeaders);
      upstream.on('data', (chunk: Buffer) => response.write(chunk));
      upstream.on('end', () => (upstream.complete ? response.end() : response.socket?.destroy()));
      upstream.on('error', () => response.socket?.destroy());
    }).on('error', () => response.writeHead(502).end());
  });
  return Object.assign(await listening(proxy), { proxied });
}

// Direct requests (undici) and proxied ones (Node's http through @npmcli/agent) read bodies by the same rules.
for (const transport of ['direct', 'through a proxy'] as const) {
describe(`bodies (${transport})`, () => {
  let server: TestServer;
  let proxy: Awaited<ReturnType<typeof startForwardProxy>> | undefined;
  let npm: Record<string, unknown> = {};
  const large = JSON.stringify({ data: 'x'.repeat(10_000) });
  before(async () => {
    server = await startServer((request, response) => {
      switch (request.url) {
        case '/gzip':
          return response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(large));
        case '/bad-gzip':
          return response.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all');
        case '/brotli':
          return response.writeHead(200, { 'content-encoding': 'br' }).end('x');
        case '/gzip-twice':
          return response.writeHead(200, [['content-encoding', 'gzip'], ['content-encoding', 'gzip']]).end(gzipSync(gzipSync(large)));
        case '/truncated':
          response.writeHead(200, { 'content-length': '1000' });
          response.write('{"partial":');
          return void setTimeout(() => response.socket?.destroy(), 20);
        case '/large':
          return response.writeHead(200, { 'content-length': String(large.length) }).end(large);
        case '/large-chunked':
          response.writeHead(200);
          return response.end(large);
        case '/silent':
          return; // never answers
        case '/stalled-body':
          response.writeHead(200, { 'content-length': '100' });
          return void response.write('{"slow":');
        case '/missing':
          return response.writeHead(404).end();
        case '/endless-error':
          // A 500 whose body never ends: its status is all there is to know.
          response.writeHead(500);
          return void response.write(Buffer.alloc(2 * 1024 * 1024, 'x'));
        case '/two-locations':
          return response.writeHead(302, [['location', '/ok'], ['location', '/elsewhere']]).end();
        case '/proto-header':
          return response.writeHead(200, [['__proto__', 'x'], ['content-type', 'application/json']]).end('{"ok":true}');
        default:
          return json(response, { ok: true });
      }
    });
    if (transport === 'through a proxy') {
      proxy = await startForwardProxy();
      npm = { proxy: proxy.url };
    }
  });
  after(async () => {
    await server.close();
    await proxy?.close();
  });

  it('inflates gzip and fails closed on a bad gzip body or an encoding it did not ask for', async () => {
    assert.equal(await body(`${server.url}gzip`, options(npm)), large);
    for (const path of ['bad-gzip', 'brotli', 'gzip-twice']) {
      await assert.rejects(httpGet(`${server.url}${path}`, options(npm)), (error: unknown) => error instanceof HttpGetError && error.code === 'BAD_ENCODING', path);
    }
  });

  it('fails on a body cut short', async () => {
    await assert.rejects(httpGet(`${server.url}truncated`, options(npm)), (error: unknown) => error instanceof HttpGetError && error.code === 'TRUNCATED');
  });

  it('refuses a body over maxBytes, declared or streamed, and a gzip body that inflates past it', async () => {
    for (const path of ['large', 'large-chunked', 'gzip']) {
      await assert.rejects(httpGet(`${server.url}${path}`, options(npm, { maxBytes: 1000 })), (error: unknown) => error instanceof HttpGetError && error.code === 'TOO_LARGE', path);
    }
    assert.equal(await body(`${server.url}large`, options(npm, { maxBytes: large.length })), large);
    assert.equal(await body(`${server.url}gzip`, options(npm, { maxBytes: large.length })), large);
  });

  it('gives up after timeoutMs, whether the server never answers or stops mid-body', async () => {
    for (const path of ['silent', 'stalled-body']) {
      const started = Date.now();
      await assert.rejects(httpGet(`${server.url}${path}`, options(npm, { timeoutMs: 300 })), (error: unknown) => error instanceof HttpGetError && error.code === 'TIMEOUT', path);
      assert.ok(Date.now() - started < 5_000, `${path}: gave up in time`);
    }
  });

  it('gives up on requests still waiting for a connection too, and the pool serves the next ones', async () => {
    // One connection, four requests pipelined on it: the other four wait in the pool when the deadline passes.
    const started = Date.now();
    const attempts = Array.from({ length: 8 }, () => httpGet(`${server.url}silent`, options(npm, { maxSockets: 1, timeoutMs: 300 })));
    for (const attempt of attempts) {
      await assert.rejects(attempt, (error: unknown) => error instanceof HttpGetError && error.code === 'TIMEOUT');
    }
    assert.ok(Date.now() - started < 5_000, 'every request gave up in time');
    assert.deepEqual(JSON.parse(await body(`${server.url}ok`, options(npm, { maxSockets: 1 }))), { ok: true });
  });

  it('returns a status it does not follow, with its headers, and does not wait for an endless error page', async () => {
    const result = await httpGet(`${server.url}missing`, options(npm));
    assert.equal(result.kind === 'status' ? result.status : 0, 404);
    const endless = await httpGet(`${server.url}endless-error`, options(npm, { timeoutMs: 5_000 }));
    assert.equal(endless.kind === 'status' ? endless.status : 0, 500);
  });

  it('refuses a redirect with two locations, and reads a header named __proto__ as a header', async () => {
    await assert.rejects(httpGet(`${server.url}two-locations`, options(npm)), (error: unknown) => error instanceof HttpGetError && error.code === 'BAD_REDIRECT');
    assert.deepEqual(JSON.parse(await body(`${server.url}proto-header`, options(npm))), { ok: true });
  });

  it('keeps connections alive: 200 requests over at most maxSockets connections', async () => {
    const first = proxy ?? server;
    const before = first.connections;
    await Promise.all(Array.from({ length: 200 }, () => body(`${server.url}ok`, options(npm, { maxSockets: 4 }))));
    assert.ok(first.connections - before <= 4, `${first.connections - before} connections`);
  });
});
}

describe('TLS settings and proxies from npm configuration', () => {
  const tls = (file: string) => readFileSync(join(TLS_FIXTURES, file), 'utf8');
  let server: https.Server;
  let url: string;
  let proxy: Awaited<ReturnType<typeof startForwardProxy>>;
  before(async () => {
    // Asks for a client certificate; `/client` answers only one the test CA signed.
    server = https.createServer({ key: tls('server.key'), cert: tls('server.pem'), ca: tls('ca.pem'), requestCert: true, rejectUnauthorized: false }, (request, response) => {
      const socket = request.socket as import('node:tls').TLSSocket;
      if (request.url === '/client' && !socket.authorized) return response.writeHead(403).end();
      json(response, { path: request.url });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    proxy = await startForwardProxy();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await proxy.close();
  });

  it('trusts the configured ca, and only it: an unknown certificate fails unless strict-ssl is off', async () => {
    assert.deepEqual(JSON.parse(await body(`${url}ok`, options({ ca: [tls('ca.pem')] }))), { path: '/ok' });
    await assert.rejects(httpGet(`${url}ok`, options({})), (error: unknown) => /self[- ]signed|unable to (get|verify)/i.test(String((error as Error).message)) || /CERT|SELF_SIGNED/.test(String((error as { code?: string }).code)));
    assert.deepEqual(JSON.parse(await body(`${url}ok`, options({ strictSSL: false }))), { path: '/ok' });
  });

  it('presents the configured client certificate', async () => {
    const withClient = { ca: [tls('ca.pem')], cert: tls('client.pem'), key: tls('client.key') };
    assert.deepEqual(JSON.parse(await body(`${url}client`, options(withClient))), { path: '/client' });
    const without = await httpGet(`${url}client`, options({ ca: [tls('ca.pem')] }));
    assert.equal(without.kind === 'status' ? without.status : 0, 403);
  });

  it('goes through a configured proxy, as npm does', async () => {
    const target = await startServer((request, response) => json(response, { via: 'target', path: request.url }));
    try {
      const npm = { proxy: proxy.url };
      assert.deepEqual(JSON.parse(await body(`${target.url}through`, options(npm))), { via: 'target', path: '/through' });
      assert.deepEqual(proxy.proxied, [`${target.url}through`]);
      assert.deepEqual(JSON.parse(await body(`${target.url}direct`, options({}))), { via: 'target', path: '/direct' });
      assert.equal(proxy.proxied.length, 1, 'without a proxy configured, requests go direct');
    } finally {
      await target.close();
    }
  });
});

describe('pipelined requests on a connection that closes early', () => {
  it('every request still gets its own answer: the one being answered is retried, the rest sent again', async () => {
    // Answers one request per connection, then drops the connection with the others unanswered.
    const server = await startServer((request, response) => {
      json(response, { path: request.url });
      response.on('finish', () => request.socket.destroy());
    });
    try {
      const fetcher = createHttpFetcher({ npmOptions: { maxSockets: 4 }, retries: 3, retryDelayMs: 1 });
      const paths = Array.from({ length: 12 }, (_, i) => `/doc-${i}`);
      const answers = await Promise.all(paths.map((path) => fetcher.getJson(`${server.url}${path.slice(1)}`)));
      assert.deepEqual(answers, paths.map((path) => ({ path })));
      assert.ok(server.connections > 1, 'the server did close connections');
    } finally {
      await server.close();
    }
  });
});

describe('URLs in messages', () => {
  it('never show a user name, password, query or fragment, and stay on one line', () => {
    assert.equal(displayUrl('https://registry.example/@scope%2fpkg'), 'https://registry.example/@scope%2fpkg');
    assert.equal(displayUrl('https://user:secret@registry.example/pkg'), 'https://registry.example/pkg');
    assert.equal(displayUrl('https://registry.example/pkg?token=secret#frag'), 'https://registry.example/pkg');
    assert.equal(displayUrl('https://registry.example/a\nb'), 'https://registry.example/ab');
    assert.equal(displayUrl('not a url @ all?x'), 'not a url @ all');
  });
});
