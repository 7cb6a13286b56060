import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../report/write-output.js';
import { npmTarballFileName } from './sign-tarball.js';
import { SigningError, type PackedTarball } from './sign.types.js';

/** What `prepublishOnly` signed, kept for `postpublish` to confirm and store. */
export interface PendingSignature {
  name: string;
  version: string;
  integrity: string;
  bundle: object;
}

/** Under node_modules, which no package manager packs, so the pending file can never change the tarball. */
function pendingFile(packageDir: string, name: string, version: string): string {
  return join(packageDir, 'node_modules', '.cache', 'pkgseal', 'pending', `${npmTarballFileName(name, version)}.json`);
}

export async function savePendingSignature(packageDir: string, tarball: PackedTarball, bundle: object): Promise<string> {
  const file = pendingFile(packageDir, tarball.name, tarball.version);
  await mkdir(join(file, '..'), { recursive: true });
  const pending: PendingSignature = { name: tarball.name, version: tarball.version, integrity: tarball.integrity, bundle };
  await writeFileAtomically(file, JSON.stringify(pending));
  return file;
}

export async function takePendingSignature(packageDir: string, name: string, version: string): Promise<PendingSignature> {
  const file = pendingFile(packageDir, name, version);
  let pending: PendingSignature;
  try {
    pending = JSON.parse(await readFile(file, 'utf8')) as PendingSignature;
  } catch {
    throw new SigningError(`no signature was made before publishing ${name}@${version} (expected ${file}): add "prepublishOnly": "pkgseal sign --hook" to its scripts`);
  }
  if (pending.name !== name || pending.version !== version || typeof pending.integrity !== 'string') {
    throw new SigningError(`${file} does not describe ${name}@${version}`);
  }
  return pending;
}

export async function clearPendingSignature(packageDir: string, name: string, version: string): Promise<void> {
  await rm(pendingFile(packageDir, name, version), { force: true });
}
