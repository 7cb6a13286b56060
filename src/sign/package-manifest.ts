import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isObject } from '../trust/json-fields.js';
import { SigningError } from './sign.types.js';

/** Name and version from a package folder's package.json. */
export async function readPackageManifest(packageDir: string): Promise<{ name: string; version: string }> {
  const file = join(packageDir, 'package.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new SigningError(`${file}: cannot read it (${(error as Error).message})`);
  }
  if (!isObject(manifest) || typeof manifest.name !== 'string' || typeof manifest.version !== 'string') {
    throw new SigningError(`${file}: needs a name and a version`);
  }
  return { name: manifest.name, version: manifest.version };
}
