import NpmcliConfig from '@npmcli/config';
import npmDefinitions from '@npmcli/config/lib/definitions/index.js';
import { dirname, resolve } from 'node:path';
import type { UnsupportedSource } from './tree.types.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

interface NpmConfigOptions {
  definitions: unknown;
  flatten: unknown;
  shorthands: unknown;
  nerfDarts: unknown;
  npmPath: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  warn: boolean;
}

interface NpmConfigLoader {
  load(): Promise<void>;
  readonly flat: Record<string, unknown>;
  /** Where a key's value comes from: `default`, `user`, `project`, `env`…; null when unknown. */
  find(key: string): string | null;
  get(key: string): unknown;
}

/** npm's configuration for a project folder, as npm reads it. */
export interface NpmConfig {
  /** Registry base URL (with trailing slash) for a package name: `@scope:registry`, else `registry`. */
  registryFor: (name: string) => string;
  /** npm's flattened options (registry, scoped registries, `//host/:_authToken`, proxy, ca…), for npm-registry-fetch. */
  flat: Record<string, unknown>;
  /** `fetch-timeout`, `fetch-retries` and `fetch-retry-mintimeout`, when set rather than npm's defaults. */
  fetch: FetchSettings;
}

export interface FetchSettings {
  timeoutMs?: number;
  retries?: number;
  retryDelayMs?: number;
}

/** npm's setting, and pkgseal's name for it. npm's defaults (a 5-minute timeout) are not pkgseal's. */
const FETCH_SETTINGS = [
  ['fetch-timeout', 'timeoutMs'],
  ['fetch-retries', 'retries'],
  ['fetch-retry-mintimeout', 'retryDelayMs'],
] as const satisfies ReadonlyArray<readonly [string, keyof FetchSettings]>;

/**
 * Reads npm configuration the way npm does (`@npmcli/config`, built as npm/cli builds it):
 * built-in, global, user (`~/.npmrc`), project `.npmrc` and `npm_config_*` environment.
 */
export async function loadNpmConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<NpmConfig> {
  const Config = NpmcliConfig as new (options: NpmConfigOptions) => NpmConfigLoader;
  const { definitions, flatten, shorthands, nerfDarts } = npmDefinitions;
  const config = new Config({
    definitions,
    flatten,
    shorthands,
    nerfDarts,
    npmPath: npmInstallDir(env),
    // pkgseal's own argv is not npm's command line.
    argv: [],
    // Config.load() exports npm_config_* into the env it is given: keep the caller's untouched.
    env: { ...env },
    cwd: resolve(dir),
    warn: false,
  });
  await config.load();
  const flat = config.flat;
  const defaultRegistry = withTrailingSlash(typeof flat.registry === 'string' ? flat.registry : DEFAULT_REGISTRY);
  const scopedRegistries = new Map<string, string>();
  for (const [key, value] of Object.entries(flat)) {
    const scope = /^(@[^:]+):registry$/i.exec(key)?.[1];
    if (scope && typeof value === 'string' && value !== '') scopedRegistries.set(scope.toLowerCase(), withTrailingSlash(value));
  }
  const registryFor = (name: string): string => (name.startsWith('@') && scopedRegistries.get(name.slice(0, name.indexOf('/')).toLowerCase())) || defaultRegistry;
  const fetch: FetchSettings = {};
  for (const [key, setting] of FETCH_SETTINGS) {
    const value = config.get(key);
    if (config.find(key) !== 'default' && typeof value === 'number' && Number.isFinite(value) && value >= (setting === 'timeoutMs' ? 1 : 0)) fetch[setting] = value;
  }
  return { registryFor, flat, fetch };
}

/** Registry base URL per package name from npm configuration (see loadNpmConfig). */
export async function registryResolverFromNpmConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<(name: string) => string> {
  return (await loadNpmConfig(dir, env)).registryFor;
}

/** Where this package comes from: a registry (base URL), or a source that is not a registry tarball. */
export type PackageOrigin = { registry: string; unsupportedSource?: UnsupportedSource };

/**
 * The origin of a package from the URL or spec its lockfile resolved it to. A registry tarball URL
 * (`<registry>/<name>/-/<file>.tgz`) names its registry; without one (lockfiles written with
 * `omit-lockfile-registry-resolved`, pnpm's default tarballs) the configured registry applies.
 */
export function packageOrigin(name: string, resolved: string | undefined, registryFor: (name: string) => string): PackageOrigin {
  const configured = registryFor(name);
  if (resolved === undefined || resolved === '') return { registry: configured };
  const unsupportedSource = nonRegistrySource(resolved);
  if (unsupportedSource) return { registry: configured, unsupportedSource };
  const registry = registryOfTarball(name, resolved);
  return registry ? { registry } : { registry: configured, unsupportedSource: 'remote' };
}

/** `git`, `file` or `directory` for specs that are not http(s) URLs; `remote` for unknown schemes. */
function nonRegistrySource(resolved: string): UnsupportedSource | undefined {
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:)/i.test(resolved)) return 'git';
  // Hosted-git shorthand `user/repo#ref`, as npm-package-arg reads it.
  if (/^[^@:/\s][^:/\s]*\/[^/\s#]+(#.*)?$/.test(resolved)) return 'git';
  if (/^https?:\/\/codeload\.github\.com\//i.test(resolved)) return 'git';
  if (resolved.startsWith('file:')) return /\.(tgz|tar\.gz|tar)$/i.test(resolved) ? 'file' : 'directory';
  if (!/^https?:\/\//i.test(resolved)) return 'remote';
  return undefined;
}

/** The registry base URL of a tarball served at `<registry>/<name>/-/…`, else undefined. */
function registryOfTarball(name: string, tarball: string): string | undefined {
  const lower = tarball.toLowerCase();
  for (const encodedName of [name, name.replace('/', '%2f')]) {
    const at = lower.lastIndexOf(`/${encodedName.toLowerCase()}/-/`);
    if (at > 0) return withTrailingSlash(tarball.slice(0, at));
  }
  return undefined;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** npm's own folder, for its built-in `npmrc`: the running npm's, else the one installed beside node. */
function npmInstallDir(env: NodeJS.ProcessEnv): string {
  const execPath = env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath)) return resolve(dirname(execPath), '..');
  return resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
}
