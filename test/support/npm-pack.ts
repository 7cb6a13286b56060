import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './realdata.js';

const TARBALL_CACHE = join(REPO_ROOT, '.cache/tarballs');

/** Fetches `name@version` from the npm registry with `npm pack` (cached under .cache/tarballs). */
export async function fetchTarball(name: string, version: string): Promise<string> {
  mkdirSync(TARBALL_CACHE, { recursive: true });
  const file = join(TARBALL_CACHE, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  if (existsSync(file)) return file;
  await new Promise<void>((resolve, reject) => {
    execFile('npm', ['pack', `${name}@${version}`, '--pack-destination', TARBALL_CACHE, '--silent'], { cwd: TARBALL_CACHE }, (error, _stdout, stderr) =>
      error ? reject(new Error(`npm pack ${name}@${version} failed: ${stderr}`)) : resolve(),
    );
  });
  if (!existsSync(file)) throw new Error(`npm pack ${name}@${version} did not write ${file}`);
  return file;
}
