import { JsonShapeError, readArray, readBase64, readDate, readObject, readString } from './json-fields.js';
import { TrustedRootError, toPublicKey, toValidity } from './trusted-root.js';
import type { TrustedPublicKey } from './trust.types.js';

const EPOCH = new Date(0);

/**
 * Reads an npm registry key set in either published shape: the TUF target `keys.json`
 * (`keyId`, `keyUsage`, `publicKey.rawBytes`, `publicKey.validFor`) or the registry endpoint
 * `/-/npm/v1/keys` (`keyid`, `key`, `expires`). The endpoint shape carries no usage, so its keys
 * serve both signatures and attestations.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { registryKeysFromJson } from 'pkgseal';
 *
 * // Saved from https://npm.corp.example/-/npm/v1/keys
 * const keys = registryKeysFromJson(JSON.parse(readFileSync('corp-registry-keys.json', 'utf8')), 'corp-registry-keys.json');
 * console.log(keys.map((key) => `${key.keyID} ${key.usage ?? 'any usage'}`));
 * ```
 */
export function registryKeysFromJson(document: unknown, source: string): TrustedPublicKey[] {
  try {
    const keys = readArray(readObject(document, source).keys, `${source}: keys`);
    return keys.flatMap((entry, i) => toRegistryKeys(readObject(entry, `${source}: keys[${i}]`), `${source}: keys[${i}]`));
  } catch (error) {
    if (error instanceof JsonShapeError) throw new TrustedRootError(`invalid registry key set: ${error.message}`);
    throw error;
  }
}

function toRegistryKeys(entry: Record<string, unknown>, path: string): TrustedPublicKey[] {
  if (entry.keyId !== undefined) {
    const publicKeyJson = readObject(entry.publicKey, `${path}.publicKey`);
    const keyDetails = readString(publicKeyJson.keyDetails, `${path}.publicKey.keyDetails`);
    return [
      {
        keyID: readString(entry.keyId, `${path}.keyId`),
        usage: readString(entry.keyUsage, `${path}.keyUsage`),
        publicKey: toPublicKey(readBase64(publicKeyJson.rawBytes, `${path}.publicKey.rawBytes`), keyDetails, path),
        validFor: toValidity(publicKeyJson.validFor, `${path}.publicKey.validFor`),
      },
    ];
  }
  const keyID = readString(entry.keyid, `${path}.keyid`);
  const publicKey = toPublicKey(readBase64(entry.key, `${path}.key`), 'PKIX_ECDSA_P256_SHA_256', path);
  const end = entry.expires === null || entry.expires === undefined ? undefined : readDate(entry.expires, `${path}.expires`);
  const validFor = end === undefined ? { start: EPOCH } : { start: EPOCH, end };
  return ['npm:signatures', 'npm:attestations'].map((usage) => ({ keyID, usage, publicKey, validFor }));
}
