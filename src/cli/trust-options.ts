import { readFile } from 'node:fs/promises';
import { publicGoodTrustMaterial, readSeedTargets } from '../trust/public-good.js';
import { registryKeysFromJson } from '../trust/registry-keys.js';
import { TrustedRootError, trustMaterialFromTrustedRoot } from '../trust/trusted-root.js';
import type { TrustMaterial } from '../trust/trust.types.js';
import { UsageError } from './usage-error.js';

export interface TrustOptions {
  trustedRoot?: string;
  registryKeys?: string;
}

/** Builds trust material from `--trusted-root`/`--registry-keys`, defaulting to the embedded public-good root. */
export async function loadTrust(options: TrustOptions): Promise<TrustMaterial> {
  try {
    if (!options.trustedRoot && !options.registryKeys) return publicGoodTrustMaterial();
    const rootDocument = options.trustedRoot ? await readJsonFile(options.trustedRoot, 'trusted root') : readSeedTargets().trustedRoot;
    const keysDocument = options.registryKeys ? await readJsonFile(options.registryKeys, 'registry keys') : readSeedTargets().npmRegistryKeys;
    const material = trustMaterialFromTrustedRoot(rootDocument, JSON.stringify(keysDocument));
    return { ...material, publicKeys: registryKeysFromJson(keysDocument, options.registryKeys ?? 'npm registry keys') };
  } catch (error) {
    if (error instanceof TrustedRootError) throw new UsageError(`${options.trustedRoot ?? options.registryKeys ?? 'trust'}: ${error.message}`);
    throw error;
  }
}

/** Reads and parses a JSON file named on the command line; any failure is a usage error. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = await readInputFile(path, what);
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new UsageError(`${what} ${path} is not valid JSON (${(error as Error).message})`);
  }
}

export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (error as Error).message}`);
  }
}
