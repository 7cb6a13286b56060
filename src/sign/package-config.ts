import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { isObject } from '../trust/json-fields.js';
import { SigningError, type BundleStore } from './sign.types.js';

/** The `"pkgseal"` section of a package's package.json: where its bundles go and whom to ask. */
export interface PackageSigningConfig {
  store?: BundleStore;
  /** `public-good` (default), `staging`, or explicit service URLs. */
  instance?: 'public-good' | 'staging' | { fulcioURL: string; rekorURL?: string; tsaURL?: string };
  /** Path of a Sigstore signing_config.json, relative to the package. */
  signingConfig?: string;
  /** Also ask the TSA for an RFC 3161 timestamp. */
  tsa?: boolean;
}

/**
 * Reads `package.json`'s `pkgseal` section. Unknown keys and wrong types are errors, so a typo in
 * a release configuration stops the release instead of signing somewhere unexpected.
 */
export async function readPackageSigningConfig(packageDir: string): Promise<PackageSigningConfig> {
  const file = join(packageDir, 'package.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    // A tarball signed on its own may sit in a folder without a package: flags say everything then.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new SigningError(`${file}: cannot read it (${(error as Error).message})`);
  }
  if (!isObject(manifest) || manifest.pkgseal === undefined) return {};
  const section = manifest.pkgseal;
  if (!isObject(section)) throw new SigningError(`${file}: "pkgseal" must be an object`);
  const known = new Set(['store', 'instance', 'signingConfig', 'tsa']);
  for (const key of Object.keys(section)) if (!known.has(key)) throw new SigningError(`${file}: pkgseal.${key} is not a known setting`);
  const config: PackageSigningConfig = {};
  if (section.store !== undefined) config.store = readStore(section.store, file, packageDir);
  if (section.instance !== undefined) config.instance = readInstance(section.instance, file);
  if (section.signingConfig !== undefined) {
    if (typeof section.signingConfig !== 'string') throw new SigningError(`${file}: pkgseal.signingConfig must be a path`);
    config.signingConfig = resolve(packageDir, section.signingConfig);
  }
  if (section.tsa !== undefined) {
    if (typeof section.tsa !== 'boolean') throw new SigningError(`${file}: pkgseal.tsa must be true or false`);
    config.tsa = section.tsa;
  }
  return config;
}

function readStore(value: unknown, file: string, packageDir: string): BundleStore {
  if (isObject(value) && typeof value.dir === 'string' && Object.keys(value).length === 1) {
    return { kind: 'dir', dir: isAbsolute(value.dir) ? value.dir : resolve(packageDir, value.dir) };
  }
  if (isObject(value) && typeof value.url === 'string' && (value.tokenEnv === undefined || typeof value.tokenEnv === 'string')) {
    return { kind: 'url', url: value.url, ...(typeof value.tokenEnv === 'string' ? { tokenEnv: value.tokenEnv } : {}) };
  }
  throw new SigningError(`${file}: pkgseal.store must be {"dir": PATH} or {"url": TEMPLATE, "tokenEnv"?: VAR}`);
}

function readInstance(value: unknown, file: string): NonNullable<PackageSigningConfig['instance']> {
  if (value === 'public-good' || value === 'staging') return value;
  if (isObject(value) && typeof value.fulcioURL === 'string') {
    const urls: { fulcioURL: string; rekorURL?: string; tsaURL?: string } = { fulcioURL: value.fulcioURL };
    if (typeof value.rekorURL === 'string') urls.rekorURL = value.rekorURL;
    if (typeof value.tsaURL === 'string') urls.tsaURL = value.tsaURL;
    return urls;
  }
  throw new SigningError(`${file}: pkgseal.instance must be "public-good", "staging" or {"fulcioURL", "rekorURL", "tsaURL"}`);
}
