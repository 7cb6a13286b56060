import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './realdata.js';

export interface Verdaccio {
  url: string;
  /** Verdaccio's own stdout/stderr, for failure messages. */
  log(): string;
  /** PUTs a publish document, as `npm publish` does, with extra `dist` fields kept by Verdaccio. */
  publish(tarball: Buffer, manifest: { name: string; version: string }, extraDist?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface VerdaccioOptions {
  /** `http` also logs every request (method, path, status), for tests that prove what was or was not fetched. */
  logLevel?: 'warn' | 'http';
}

/** Starts Verdaccio 6 on 127.0.0.1 with empty storage, no uplinks, anonymous publish. */
export async function startVerdaccio(options: VerdaccioOptions = {}): Promise<Verdaccio> {
  const home = mkdtempSync(join(tmpdir(), 'pkgseal-verdaccio-'));
  const port = await freePort();
  const config = join(home, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(home, 'storage')}`,
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      '    unpublish: $all',
      `log: { type: stdout, format: pretty, level: ${options.logLevel ?? 'warn'} }`,
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/verdaccio/bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}/`;
  await waitUntilUp(url, child, () => output);
  return {
    url,
    log: () => output,
    publish: (tarball, manifest, extraDist = {}) => publishTo(url, tarball, manifest, extraDist),
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Verdaccio exited early:\n${output()}`);
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`Verdaccio did not answer within 30 s:\n${output()}`);
}

async function publishTo(registry: string, tarball: Buffer, manifest: { name: string; version: string }, extraDist: Record<string, unknown>): Promise<void> {
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const file = `${manifest.name.replace(/^@[^/]+\//, '')}-${manifest.version}.tgz`;
  const tarballURL = `${registry}${manifest.name}/-/${file}`;
  const body = {
    _id: manifest.name,
    name: manifest.name,
    'dist-tags': { latest: manifest.version },
    versions: {
      [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist: { integrity, shasum, tarball: tarballURL, ...extraDist } },
    },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
  };
  const response = await fetch(`${registry}${manifest.name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: 'Bearer anonymous-test-token' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`publish ${manifest.name}@${manifest.version}: HTTP ${response.status} ${await response.text()}`);
}

/** A registry signing key, as npm's registry has, with its key set in TUF keys.json form. */
export interface RegistryKey {
  keyId: string;
  privateKey: KeyObject;
  keysJson(validFor: { start: string; end?: string }): object;
  sign(name: string, version: string, integrity: string): { keyid: string; sig: string };
}

export function createRegistryKey(keyId = 'SHA256:pkgseal-test-registry-key'): RegistryKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rawBytes = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  return {
    keyId,
    privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
    keysJson: (validFor) => ({ keys: [{ keyId, keyUsage: 'npm:signatures', publicKey: { rawBytes, keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor } }] }),
    sign: (name, version, integrity) => ({ keyid: keyId, sig: sign('sha256', Buffer.from(`${name}@${version}:${integrity}`), privateKey).toString('base64') }),
  };
}
