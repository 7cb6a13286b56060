import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../../report/write-output.js';
import { evidencePath } from '../../sources/dir-source.js';
import { serializeBundle } from '../sign-tarball.js';
import { SigningError, type PackedTarball } from '../sign.types.js';

/**
 * Stores a bundle where the audit's dir source reads it (`<dir>/<name>@<version>.sigstore.json`,
 * a scope as a sub-folder), whole or not at all. Returns the file written.
 */
export async function storeBundleInDir(dir: string, tarball: Pick<PackedTarball, 'name' | 'version'>, bundleJson: object): Promise<string> {
  let file: string;
  try {
    file = evidencePath(dir, tarball.name, tarball.version);
  } catch (error) {
    throw new SigningError((error as Error).message);
  }
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (error) {
    throw new SigningError(`cannot create ${dirname(file)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    await writeFileAtomically(file, serializeBundle(bundleJson));
  } catch (error) {
    throw new SigningError((error as Error).message);
  }
  return file;
}
