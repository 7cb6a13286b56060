import { readFile } from 'node:fs/promises';
import { isObject } from '../trust/json-fields.js';
import type { TreePackage } from './tree.types.js';

export class LockfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockfileError';
  }
}

/**
 * Reads the `packages` map of an npm lockfile (v2/v3). No dependency code runs and nothing is
 * installed. (The audit issue replaces this with Arborist's virtual tree for v1 and workspaces.)
 */
export async function readNpmLockfile(file: string): Promise<TreePackage[]> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new LockfileError(`${file}: cannot read lockfile (${(error as Error).message})`);
  }
  if (!isObject(document) || !isObject(document.packages)) throw new LockfileError(`${file}: not an npm lockfile v2/v3 (no "packages")`);
  return Object.entries(document.packages)
    .filter(([path]) => path !== '')
    .map(([path, entry]) => toTreePackage(path, entry, file));
}

function toTreePackage(path: string, entry: unknown, file: string): TreePackage {
  if (!isObject(entry)) throw new LockfileError(`${file}: packages["${path}"] is not an object`);
  const name = typeof entry.name === 'string' ? entry.name : path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const version = typeof entry.version === 'string' ? entry.version : '';
  const resolved = typeof entry.resolved === 'string' ? entry.resolved : undefined;
  const unsupportedSource = entry.link === true ? 'link' : resolved && !/^https?:\/\//.test(resolved) ? 'file' : undefined;
  return {
    name,
    version,
    paths: [path],
    registry: 'https://registry.npmjs.org/',
    dev: entry.dev === true,
    optional: entry.optional === true,
    peer: entry.peer === true,
    ...(typeof entry.integrity === 'string' ? { integrity: entry.integrity } : {}),
    ...(unsupportedSource ? { unsupportedSource: unsupportedSource as 'link' | 'file' } : {}),
  };
}
