import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Parser, type ReadEntry } from 'tar';
import type { NpmPackageVersion } from './artifact.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;

export class TarballError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarballError';
  }
}

export interface NpmTarball {
  data: Buffer;
  package: NpmPackageVersion;
}

/**
 * Reads an npm `.tgz`: its sha512 and the name/version in `package/package.json`. Nothing is
 * written to disk; entries are streamed and only the manifest is kept, with size limits, so a
 * hostile archive (traversal, links, gzip bombs) cannot touch the file system.
 */
export async function readNpmTarball(path: string): Promise<NpmTarball> {
  const data = await readFile(path);
  const manifest = await extractManifest(data);
  const sha512 = createHash('sha512').update(data).digest();
  return { data, package: { ...manifest, sha512 } };
}

function extractManifest(data: Buffer): Promise<{ name: string; version: string }> {
  return new Promise((resolve, reject) => {
    let manifestText: string | undefined;
    let unpacked = 0;
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      unpacked += entry.size ?? 0;
      if (unpacked > MAX_UNPACKED_BYTES) {
        parser.abort(new TarballError('tarball unpacks to more than 512 MiB'));
        return;
      }
      const isManifest = entry.type === 'File' && /^[^/]+\/package\.json$/.test(entry.path) && entry.path.split('/').length === 2;
      if (!isManifest || manifestText !== undefined) {
        entry.resume();
        return;
      }
      if ((entry.size ?? 0) > MAX_MANIFEST_BYTES) {
        parser.abort(new TarballError('package.json in the tarball is larger than 1 MiB'));
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        manifestText = Buffer.concat(chunks).toString('utf8');
      });
    });
    parser.on('error', (error: Error) => reject(new TarballError(`not a readable npm tarball: ${error.message}`)));
    parser.on('abort', (error: Error) => reject(error instanceof TarballError ? error : new TarballError(error.message)));
    parser.on('end', () => {
      if (manifestText === undefined) return reject(new TarballError('tarball has no package/package.json'));
      try {
        const manifest = JSON.parse(manifestText) as { name?: unknown; version?: unknown };
        if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') {
          return reject(new TarballError('package.json in the tarball lacks name or version'));
        }
        resolve({ name: manifest.name, version: manifest.version });
      } catch {
        reject(new TarballError('package.json in the tarball is not JSON'));
      }
    });
    parser.end(data);
  });
}
