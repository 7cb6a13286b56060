import { readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { MAX_EVIDENCE_BYTES } from '../verify/json-text.js';

/** `<dir>/<name>@<version>.sigstore.json`; a scoped name is a sub-folder (`@scope/name@1.2.3…`). */
export function evidencePath(dir: string, name: string, version: string): string {
  const root = resolve(dir);
  const path = resolve(join(root, `${name}@${version}.sigstore.json`));
  if (!path.startsWith(root + sep)) throw new Error(`package name ${JSON.stringify(name)} escapes the evidence folder`);
  return path;
}

/** Reads the evidence document for a package from a folder; undefined when there is none. */
export async function readDirEvidence(dir: string, name: string, version: string): Promise<{ location: string; text: string } | undefined> {
  const location = evidencePath(dir, name, version);
  try {
    const { size } = await stat(location);
    if (size > MAX_EVIDENCE_BYTES) throw new Error(`${location} is larger than ${MAX_EVIDENCE_BYTES / 1024 / 1024} MiB: not evidence`);
    return { location, text: await readFile(location, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
