// Shared by bench/prepare.mjs, bench/server.mjs and bench/run.mjs: paths, lockfile readers and the
// benchmark's fixed identities. Plain ESM; only `yaml` (a dependency of pkgseal) is imported.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(BENCH_DIR);
export const WORKLOAD_DIR = join(BENCH_DIR, 'workload');
export const CACHE_DIR = join(BENCH_DIR, '.cache');
export const CACHE = {
  /** Trimmed upstream packuments (versions in the tree + their `time`), as fetched. */
  upstream: join(CACHE_DIR, 'upstream'),
  /** The packuments the benchmark registry serves: upstream + `dist.signatures` by the bench key. */
  registry: join(CACHE_DIR, 'registry'),
  /** One Sigstore bundle per name@version: `bundles/<name>/<version>.sigstore.json`. */
  bundles: join(CACHE_DIR, 'bundles'),
  keys: join(CACHE_DIR, 'keys.json'),
  privateKey: join(CACHE_DIR, 'registry-key.pem'),
  trustedRoot: join(CACHE_DIR, 'trusted_root.json'),
  /** The workload "installed" for `npm audit signatures`: node_modules/** package.json + hidden lockfile. */
  installed: join(CACHE_DIR, 'installed'),
  /** pnpm 12, installed from the npm registry. */
  tools: join(CACHE_DIR, 'tools'),
  meta: join(CACHE_DIR, 'meta.json'),
};

export const PNPM_VERSION = '12.21.0';
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const BENCH_OWNER = 'pkgseal-bench';
export const RELEASE_WORKFLOW = '.github/workflows/release.yml';
export const PUBLISH_PREDICATE = 'https://pkgseal.dev/publish/v1';

/** The GitHub repository that "publishes" a package in the benchmark: one per package name. */
export function repositoryOf(name) {
  return `${BENCH_OWNER}/${name.replace(/^@/, '').replace('/', '__')}`;
}

/** `name@version` → `[name, version]` (scoped names keep their leading `@`). */
export function splitSpec(spec) {
  const at = spec.lastIndexOf('@');
  return [spec.slice(0, at), spec.slice(at + 1)];
}

/** The package name of an npm lockfile entry: its `name`, else the last `node_modules/` segment of its path. */
export function lockEntryName(path, entry) {
  return entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Registry packages of a v2/v3 package-lock.json: Map `name@version` → integrity. */
export function npmLockPackages(lockfile) {
  const out = new Map();
  for (const [path, entry] of Object.entries(lockfile.packages ?? {})) {
    if (path === '' || entry.link || !entry.version) continue;
    out.set(`${lockEntryName(path, entry)}@${entry.version}`, entry.integrity);
  }
  return out;
}

/** Registry packages of a v9 pnpm-lock.yaml: Map `name@version` → integrity. */
export function pnpmLockPackages(text) {
  const lockfile = YAML.parse(text);
  const out = new Map();
  for (const [key, value] of Object.entries(lockfile.packages ?? {})) {
    if (!value?.resolution?.integrity) continue;
    out.set(key, value.resolution.integrity);
  }
  return out;
}

export function readWorkload() {
  const npmLockText = readFileSync(join(WORKLOAD_DIR, 'package-lock.json'), 'utf8');
  const pnpmLockText = readFileSync(join(WORKLOAD_DIR, 'pnpm-lock.yaml'), 'utf8');
  return {
    packageJson: JSON.parse(readFileSync(join(WORKLOAD_DIR, 'package.json'), 'utf8')),
    npmLock: JSON.parse(npmLockText),
    npm: npmLockPackages(JSON.parse(npmLockText)),
    pnpm: pnpmLockPackages(pnpmLockText),
    digest: createHash('sha256').update(npmLockText).update('\0').update(pnpmLockText).digest('hex'),
  };
}

/** File name of a packument in the cache: the name as a registry path segment (`@scope%2fname`). */
export function packumentFile(name) {
  return `${name.replace('/', '%2f')}.json`;
}

/** The registry key id npm uses: `SHA256:` + base64 of the SPKI DER digest. */
export function keyIdOf(spkiDer) {
  return `SHA256:${createHash('sha256').update(spkiDer).digest('base64')}`;
}
