#!/usr/bin/env node
// The benchmark registry: a static server on 127.0.0.1 fed from bench/.cache (see prepare.mjs).
//   GET /<name>, /@scope%2fname, /@scope/name       packuments (with dist.signatures by the bench key)
//   GET /-/npm/v1/keys                               the bench registry key
//   GET /bundles/{name}/{version}.sigstore.json      one Sigstore bundle per version (url source)
//   GET /-/bench/stats, POST /-/bench/reset          request counters (for run.mjs)
// Everything is read into memory at start; responses are uncompressed, keep-alive.
// Usage: node bench/server.mjs [--port N]   prints `listening http://127.0.0.1:PORT/` on stdout.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { CACHE } from './lib.mjs';

function loadFiles(dir, prefix = '') {
  const files = new Map();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) for (const [key, body] of loadFiles(join(dir, entry.name), `${prefix}${entry.name}/`)) files.set(key, body);
    else files.set(`${prefix}${entry.name}`, readFileSync(join(dir, entry.name)));
  }
  return files;
}

export async function startRegistry({ port = 0 } = {}) {
  const packuments = new Map();
  for (const [file, body] of loadFiles(CACHE.registry)) packuments.set(decodeURIComponent(file.slice(0, -'.json'.length)), body);
  const bundles = loadFiles(CACHE.bundles);
  const keys = readFileSync(CACHE.keys);
  const stats = { requests: 0, packuments: 0, keys: 0, bundles: 0, notFound: 0, connections: 0, accept: {} };

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/-/bench/stats') return send(response, 200, Buffer.from(JSON.stringify(stats)));
    if (path === '/-/bench/reset') {
      Object.assign(stats, { requests: 0, packuments: 0, keys: 0, bundles: 0, notFound: 0, connections: 0, accept: {} });
      return send(response, 200, Buffer.from('{}'));
    }
    stats.requests += 1;
    let body;
    if (path === '/-/npm/v1/keys') {
      stats.keys += 1;
      body = keys;
    } else if (path.startsWith('/bundles/')) {
      body = bundles.get(decodeURIComponent(path.slice('/bundles/'.length)));
      if (body) stats.bundles += 1;
    } else {
      let name;
      try {
        name = decodeURIComponent(path.slice(1));
      } catch {
        name = undefined;
      }
      body = name === undefined ? undefined : packuments.get(name);
      if (body) {
        stats.packuments += 1;
        const accept = request.headers.accept ?? '(none)';
        stats.accept[accept] = (stats.accept[accept] ?? 0) + 1;
      }
    }
    if (!body) {
      stats.notFound += 1;
      return send(response, 404, Buffer.from('{"error":"Not found"}'));
    }
    send(response, 200, request.method === 'HEAD' ? undefined : body, body.length);
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on('connection', () => {
    stats.connections += 1;
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return {
    url,
    packuments: packuments.size,
    bundles: bundles.size,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function send(response, status, body, length = body?.length ?? 0) {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(length) });
  response.end(body);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const registry = await startRegistry({ port: Number(values.port) });
  process.stdout.write(`listening ${registry.url} (${registry.packuments} packuments, ${registry.bundles} bundles)\n`);
  const stop = () => registry.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
