/**
 * Tarballs no packer would write, byte by byte: ustar headers with any path (`../x`, `/abs`),
 * symbolic and hard links, sizes that lie, several manifests, and gzip streams that inflate to
 * far more than they weigh. Nothing here goes through `tar`'s own writer, which would refuse.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createGzip, gzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  type?: 'file' | 'symlink' | 'hardlink' | 'directory';
  body?: Buffer | string;
  linkpath?: string;
  /** The size the header declares, when it should not be the body's. */
  declaredSize?: number;
}

const TYPE_FLAGS = { file: '0', hardlink: '1', symlink: '2', directory: '5' } as const;

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value.slice(0, length), offset, length, 'latin1');
}

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

/** One 512-byte ustar header (names up to 100 bytes; that is all these cases need). */
export function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(512);
  field(header, 0, 100, entry.path);
  field(header, 100, 8, octal(entry.type === 'directory' ? 0o755 : 0o644, 8));
  field(header, 108, 8, octal(0, 8));
  field(header, 116, 8, octal(0, 8));
  field(header, 124, 12, octal(size, 12));
  field(header, 136, 12, octal(1_700_000_000, 12));
  field(header, 148, 8, '        ');
  field(header, 156, 1, TYPE_FLAGS[entry.type ?? 'file']);
  field(header, 157, 100, entry.linkpath ?? '');
  field(header, 257, 6, 'ustar\0');
  field(header, 263, 2, '00');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(header, 148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

function padded(body: Buffer): Buffer {
  const remainder = body.length % 512;
  return remainder === 0 ? body : Buffer.concat([body, Buffer.alloc(512 - remainder)]);
}

/** A complete (uncompressed) tar archive, with its two end-of-archive blocks. */
export function tarOf(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    blocks.push(tarHeader(entry, entry.declaredSize ?? (entry.type === 'file' || entry.type === undefined ? body.length : 0)), padded(body));
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

export function tgzOf(entries: TarEntry[]): Buffer {
  return gzipSync(tarOf(entries));
}

export function manifest(name: string, version = '1.0.0'): TarEntry {
  return { path: 'package/package.json', body: JSON.stringify({ name, version }) };
}

/**
 * Writes a gzip file of `prefix` followed by `fillBytes` of `filler` repeated (zeros by default),
 * streamed so that neither the test nor the file holds what it inflates to (600 MiB of zeros
 * weigh under 3 MiB).
 */
export async function writeGzipBomb(file: string, prefix: Buffer, fillBytes: number, filler: Buffer = Buffer.alloc(512)): Promise<void> {
  const gzip = createGzip({ level: 1 });
  const out = createWriteStream(file);
  gzip.pipe(out);
  gzip.write(prefix);
  const chunk = Buffer.concat(Array.from({ length: Math.ceil((4 * 1024 * 1024) / filler.length) }, () => filler));
  for (let written = 0; written < fillBytes; written += chunk.length) {
    if (!gzip.write(chunk.subarray(0, Math.min(chunk.length, fillBytes - written)))) await once(gzip, 'drain');
  }
  gzip.end();
  await once(out, 'close');
}
