#!/usr/bin/env node
// The floor: what Node's own crypto costs for the work an audit cannot avoid. Prints JSON.
//   - ECDSA P-256 / SHA-256 verify of one registry signature, with one KeyObject reused, and with
//     the PEM public key parsed for every verify;
//   - SHA-512 throughput (MiB/s) over 1 MiB chunks;
//   - JSON.parse throughput (MiB/s) over the packuments the benchmark registry serves;
//   - with --registry URL: Node's http client fetching and parsing all of them, 16 at a time.
// Usage: node bench/floor.mjs [--verifies N] [--hash-mib N] [--registry URL]
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE } from './lib.mjs';

const { values } = parseArgs({ options: { verifies: { type: 'string', default: '5000' }, 'hash-mib': { type: 'string', default: '256' }, registry: { type: 'string' } } });
const verifies = Number(values.verifies);
const hashMiB = Number(values['hash-mib']);
const now = () => process.hrtime.bigint();
const ms = (start) => Number(now() - start) / 1e6;

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = publicKey.export({ format: 'pem', type: 'spki' });
const messages = [];
const signatures = [];
for (let i = 0; i < 256; i++) {
  const message = Buffer.from(`package-${i}@1.0.${i}:sha512-${createHash('sha512').update(String(i)).digest('base64')}`);
  messages.push(message);
  signatures.push(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
}

function verifyLoop(n, keyFor) {
  let ok = 0;
  const start = now();
  for (let i = 0; i < n; i++) {
    const j = i % messages.length;
    if (verify('sha256', messages[j], { key: keyFor(), dsaEncoding: 'der' }, signatures[j])) ok += 1;
  }
  const elapsed = ms(start);
  if (ok !== n) throw new Error('a signature did not verify');
  return { count: n, totalMs: elapsed, usPerOp: (elapsed * 1000) / n, opsPerSecond: n / (elapsed / 1000) };
}

verifyLoop(200, () => publicKey); // warm-up
const reusedKey = verifyLoop(verifies, () => publicKey);
const pemEachTime = verifyLoop(Math.max(1, Math.floor(verifies / 2)), () => createPublicKey(pem));

const chunk = Buffer.alloc(2 ** 20, 7);
const hashStart = now();
const hash = createHash('sha512');
for (let i = 0; i < hashMiB; i++) hash.update(chunk);
hash.digest();
const hashMs = ms(hashStart);
const sha512 = { MiB: hashMiB, totalMs: hashMs, MiBPerSecond: hashMiB / (hashMs / 1000) };

let jsonParse;
if (existsSync(CACHE.registry)) {
  const bodies = readdirSync(CACHE.registry).map((file) => readFileSync(join(CACHE.registry, file), 'utf8'));
  const bytes = bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0);
  const start = now();
  for (const body of bodies) JSON.parse(body);
  const elapsed = ms(start);
  jsonParse = { packuments: bodies.length, MiB: bytes / 2 ** 20, totalMs: elapsed, MiBPerSecond: bytes / 2 ** 20 / (elapsed / 1000) };
}

// Node's own HTTP client fetching and parsing every packument the benchmark registry serves, 16
// at a time over keep-alive sockets: what any Node tool pays for the network part of the audit.
let fetchPackuments;
if (values.registry && existsSync(CACHE.registry)) {
  const names = readdirSync(CACHE.registry).map((file) => decodeURIComponent(file.slice(0, -'.json'.length)).replace('/', '%2f'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const get = (name) => new Promise((resolve, reject) => {
    http.get(`${values.registry}${name}`, { agent, headers: { accept: 'application/json' } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      response.on('error', reject);
    }).on('error', reject);
  });
  const cpuStart = process.cpuUsage();
  const start = now();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < names.length) await get(names[next++]);
  }));
  const cpu = process.cpuUsage(cpuStart);
  fetchPackuments = { requests: names.length, wallMs: ms(start), cpuMs: (cpu.user + cpu.system) / 1000 };
  agent.destroy();
}

process.stdout.write(`${JSON.stringify({ node: process.version, ecdsaP256Verify: { reusedKey, pemEachTime }, sha512, jsonParse, fetchPackuments })}\n`);
