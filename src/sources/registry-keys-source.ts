import { publicGoodTrustMaterial } from '../trust/public-good.js';
import { registryKeysFromJson } from '../trust/registry-keys.js';
import { TrustedRootError } from '../trust/trusted-root.js';
import type { TrustedPublicKey } from '../trust/trust.types.js';
import { displayUrl } from './http-fetcher.js';
import { withTrailingSlash } from './packument.js';
import { SourceError, type EvidenceFetcher } from './source.types.js';

const NPMJS_REGISTRY = 'https://registry.npmjs.org/';

export interface RegistryKeysOptions {
  /** Keys from the policy's trust entry for this registry: they replace every other source. */
  policyKeys?: TrustedPublicKey[];
  fetcher: EvidenceFetcher;
}

/** One run's keys, per fetcher and registry, so each registry's key endpoint is read once. */
const cache = new WeakMap<EvidenceFetcher, Map<string, Promise<TrustedPublicKey[]>>>();

/**
 * The keys a registry's `dist.signatures` are checked with, in order of precedence: the policy's,
 * then for registry.npmjs.org the keys carried by the Sigstore TUF seeds (no network), else the
 * registry's own `/-/npm/v1/keys`.
 */
export function registryKeysFor(registry: string, options: RegistryKeysOptions): Promise<TrustedPublicKey[]> {
  if (options.policyKeys) return Promise.resolve(options.policyKeys);
  const base = withTrailingSlash(registry);
  let byRegistry = cache.get(options.fetcher);
  if (!byRegistry) {
    byRegistry = new Map();
    cache.set(options.fetcher, byRegistry);
  }
  let keys = byRegistry.get(base);
  if (!keys) {
    keys = base === NPMJS_REGISTRY ? Promise.resolve().then(() => publicGoodTrustMaterial().publicKeys) : fetchRegistryKeys(base, options.fetcher);
    byRegistry.set(base, keys);
  }
  return keys;
}

async function fetchRegistryKeys(registry: string, fetcher: EvidenceFetcher): Promise<TrustedPublicKey[]> {
  const url = `${registry}-/npm/v1/keys`;
  const document = await fetcher.getJson(url);
  if (document === undefined) {
    throw new SourceError(`registry ${displayUrl(registry)} publishes no signing keys (GET ${displayUrl(url)}: HTTP 404); name its keys in the policy's trust entry for this registry`);
  }
  try {
    return registryKeysFromJson(document, displayUrl(url));
  } catch (error) {
    if (error instanceof TrustedRootError) throw new SourceError(error.message);
    throw error;
  }
}
