import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readObject, readString } from './json-fields.js';
import { registryKeysFromJson } from './registry-keys.js';
import { TrustedRootError, trustMaterialFromTrustedRoot } from './trusted-root.js';
import type { TrustMaterial } from './trust.types.js';

const TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const TRUSTED_ROOT_TARGET = 'trusted_root.json';
const NPM_KEYS_TARGET = 'registry.npmjs.org%2Fkeys.json';

interface SeedTargets {
  trustedRoot: unknown;
  npmRegistryKeys: unknown;
}

/**
 * The Sigstore public-good trusted root and npm's registry keys, as carried by the TUF seeds
 * that ship inside `@sigstore/tuf`. Reading them needs no network, unlike `sigstore.verify()`,
 * which contacts the TUF CDN even when told to use its cache.
 * @example
 * ```ts
 * import { publicGoodTrustMaterial } from 'pkgseal';
 *
 * const trust = publicGoodTrustMaterial(); // no network: read from the TUF seeds shipped with pkgseal's dependencies
 * console.log(trust.digest);
 * ```
 */
export function publicGoodTrustMaterial(): TrustMaterial {
  const seeds = readSeedTargets();
  const publicKeys = registryKeysFromJson(seeds.npmRegistryKeys, 'npm registry keys (TUF seed)');
  const material = trustMaterialFromTrustedRoot(seeds.trustedRoot, JSON.stringify(seeds.npmRegistryKeys));
  return { ...material, publicKeys };
}

export function readSeedTargets(): SeedTargets {
  const require = createRequire(import.meta.url);
  const seedsPath = require.resolve('@sigstore/tuf/seeds.json');
  const seeds = readObject(JSON.parse(readFileSync(seedsPath, 'utf8')), 'seeds.json');
  const targets = readObject(readObject(seeds[TUF_MIRROR], `seeds.json ${TUF_MIRROR}`).targets, 'seeds.json targets');
  return {
    trustedRoot: decodeTarget(targets[TRUSTED_ROOT_TARGET], TRUSTED_ROOT_TARGET),
    npmRegistryKeys: decodeTarget(targets[NPM_KEYS_TARGET], NPM_KEYS_TARGET),
  };
}

function decodeTarget(value: unknown, name: string): unknown {
  const encoded = readString(value, `seeds.json target ${name}`);
  try {
    return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw new TrustedRootError(`seeds.json target ${name} is not base64-encoded JSON`);
  }
}
