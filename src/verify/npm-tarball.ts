import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import semver from 'semver';
import { Parser, type ReadEntry } from 'tar';
import type { NpmPackageVersion } from './artifact.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_UNPACKED_BYTES = 512 * 1024 * 1024;
const MAX_TARBALL_BYTES = 512 * 1024 * 1024;

/**
 * An npm `.tgz` that cannot be read safely: not a gzipped tar, no `package/package.json`, or past
 * the size limits that guard against archive bombs.
 * @example
 * ```ts
 * import { readNpmTarball, TarballError } from 'pkgseal';
 *
 * try {
 *   await readNpmTarball('download.tgz');
 * } catch (error) {
 *   if (error instanceof TarballError) console.error(`not an npm package: ${error.message}`);
 * }
 * ```
 */
export class TarballError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarballError';
  }
}

/**
 * An npm tarball's bytes and the package version it holds: name and version from its
 * `package/package.json`, sha512 of the bytes (the npm integrity).
 * @example
 * ```ts
 * import { readNpmTarball, type NpmTarball } from 'pkgseal';
 *
 * const tarball: NpmTarball = await readNpmTarball('my-lib-1.0.0.tgz');
 * console.log(`${tarball.package.name}@${tarball.package.version}: ${tarball.data.length} bytes`);
 * ```
 */
export interface NpmTarball {
  data: Buffer;
  package: NpmPackageVersion;
}

/**
 * Reads an npm `.tgz`: its sha512 and the name/version in `package/package.json`. Nothing is
 * written to disk; entries are streamed and only the manifest is kept, with size limits on the
 * file, on what it inflates to and on the manifest, so a hostile archive (traversal, links, gzip
 * bombs) cannot touch the file system or exhaust memory. A second manifest, or a name or version
 * that could not be a path segment, is rejected: the name is used for file names and purls.
 * @example
 * ```ts
 * import { readNpmTarball } from 'pkgseal';
 *
 * const { package: pkg } = await readNpmTarball('my-lib-1.0.0.tgz');
 * console.log(pkg.name, pkg.version, `sha512-${pkg.sha512.toString('base64')}`);
 * ```
 */
export async function readNpmTarball(path: string): Promise<NpmTarball> {
  const { size } = await stat(path);
  if (size > MAX_TARBALL_BYTES) throw new TarballError(`tarball is larger than ${MAX_TARBALL_BYTES / 1024 / 1024} MiB`);
  const data = await readFile(path);
  const manifest = await extractManifest(data);
  const sha512 = createHash('sha512').update(data).digest();
  return { data, package: { ...manifest, sha512 } };
}

function extractManifest(data: Buffer): Promise<{ name: string; version: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined, manifest?: { name: string; version: string }) => {
      if (settled) return;
      settled = true;
      gunzip?.destroy();
      if (error) reject(error);
      else resolve(manifest!);
    };
    let manifestText: string | undefined;
    let manifests = 0;
    let sawEnd = false;
    let unpacked = 0;
    const parser = new Parser({ strict: true });
    parser.on('entry', (entry: ReadEntry) => {
      unpacked += entry.size ?? 0;
      if (unpacked > MAX_UNPACKED_BYTES) {
        parser.abort(new TarballError('tarball unpacks to more than 512 MiB'));
        return;
      }
      // npm unpacks with the first path segment stripped, whatever it is called.
      const isManifest = entry.type === 'File' && /^[^/]+\/package\.json$/.test(entry.path);
      if (isManifest) manifests += 1;
      if (!isManifest || manifests > 1) {
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
    // Readers stop at the end-of-archive blocks; the parser would keep buffering what follows, at quadratic cost.
    parser.on('eof', () => {
      sawEnd = true;
      gunzip?.destroy();
      setImmediate(() => parser.end());
    });
    parser.on('error', (error: Error) => settle(new TarballError(`not a readable npm tarball: ${error.message}`)));
    parser.on('abort', (error: Error) => settle(error instanceof TarballError ? error : new TarballError(error.message)));
    parser.on('end', () => {
      if (manifestText === undefined) return settle(new TarballError('tarball has no package/package.json'));
      // Extraction keeps the last of two, this reader the first: which one is the package?
      if (manifests > 1) return settle(new TarballError(`tarball has ${manifests} package.json files at its top level`));
      try {
        settle(undefined, manifestOf(manifestText));
      } catch (error) {
        settle(error as Error);
      }
    });
    // Inflated here rather than by the parser, to count what comes out however the archive is built.
    const gunzip = data[0] === 0x1f && data[1] === 0x8b ? createGunzip() : undefined;
    if (!gunzip) {
      parser.end(data);
      return;
    }
    let inflated = 0;
    gunzip.on('data', (chunk: Buffer) => {
      inflated += chunk.length;
      if (inflated > MAX_UNPACKED_BYTES) return settle(new TarballError('tarball inflates to more than 512 MiB'));
      if (!settled && !sawEnd) parser.write(chunk);
    });
    gunzip.on('end', () => {
      if (!sawEnd) parser.end();
    });
    gunzip.on('error', (error: Error) => settle(new TarballError(`not a readable npm tarball: ${error.message}`)));
    gunzip.end(data);
  });
}

function manifestOf(text: string): { name: string; version: string } {
  let manifest: { name?: unknown; version?: unknown };
  try {
    manifest = JSON.parse(text) as { name?: unknown; version?: unknown };
  } catch {
    throw new TarballError('package.json in the tarball is not JSON');
  }
  if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') {
    throw new TarballError('package.json in the tarball lacks name or version');
  }
  if (!isPackageName(manifest.name)) throw new TarballError(`package.json in the tarball has an invalid name ${JSON.stringify(manifest.name)}`);
  if (semver.valid(manifest.version, { loose: true }) === null) {
    throw new TarballError(`package.json in the tarball has an invalid version ${JSON.stringify(manifest.version)}`);
  }
  return { name: manifest.name, version: manifest.version };
}

/** An optional `@scope/` and a name, each URL-safe and not starting with a dot: never a path. */
function isPackageName(name: string): boolean {
  const parts = name.startsWith('@') ? name.slice(1).split('/') : [name];
  return name.length <= 214 && parts.length === (name.startsWith('@') ? 2 : 1) && parts.every((part) => part.length > 0 && !part.startsWith('.') && encodeURIComponent(part) === part);
}
