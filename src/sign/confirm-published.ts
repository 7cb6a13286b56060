import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHttpFetcher } from '../sources/http-fetcher.js';
import { withTrailingSlash } from '../sources/packument.js';
import { SourceError } from '../sources/source.types.js';
import { isObject } from '../trust/json-fields.js';
import { loadNpmConfig } from '../tree/npm-registry-config.js';
import { SigningError, type PackedTarball } from './sign.types.js';

/**
 * Proves the registry serves the bytes that were signed: its `dist.integrity` for name@version
 * must equal the signed digest. The registry is the one the package publishes to
 * (`publishConfig.registry`, else npm configuration for its scope).
 */
export async function confirmRegistryServes(tarball: Pick<PackedTarball, 'name' | 'version' | 'integrity'>, packageDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const npmConfig = await loadNpmConfig(packageDir, env);
  const registry = (await publishConfigRegistry(packageDir)) ?? npmConfig.registryFor(tarball.name);
  const spec = `${tarball.name}@${tarball.version}`;
  let served: string | undefined;
  try {
    const packument = await createHttpFetcher({ npmOptions: npmConfig.flat, retries: 3 }).packument(tarball.name, registry);
    served = packument.versions.get(tarball.version)?.integrity;
  } catch (error) {
    if (error instanceof SourceError) throw new SigningError(`cannot confirm what ${registry} serves for ${spec}: ${error.message}`);
    throw error;
  }
  if (!served) throw new SigningError(`${registry} does not serve ${spec} (no dist.integrity): the signature could not be confirmed`);
  if (served !== tarball.integrity) {
    throw new SigningError(
      `${registry} serves ${spec} as ${served}, but pkgseal signed ${tarball.integrity}: the published tarball is not the one that was signed; publish with "pkgseal publish" instead`,
    );
  }
  return registry;
}

async function publishConfigRegistry(packageDir: string): Promise<string | undefined> {
  const manifest: unknown = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
  const registry = isObject(manifest) && isObject(manifest.publishConfig) ? manifest.publishConfig.registry : undefined;
  return typeof registry === 'string' && registry !== '' ? withTrailingSlash(registry) : undefined;
}
