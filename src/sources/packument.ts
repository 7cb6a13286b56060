import { isObject, JsonShapeError, readArray, readDate, readObject, readString, type JsonObject } from '../trust/json-fields.js';
import { SourceError, type Packument, type RegistrySignature, type RegistryVersion } from './source.types.js';

/**
 * Maps a full packument (`Accept: application/json`; the abbreviated one has no `time`) to what
 * verification needs. Pure.
 *
 * Fail closed: a field that carries evidence (`dist.integrity`, `dist.signatures`,
 * `dist.attestations`) and is present but malformed makes the whole packument a SourceError that
 * names the version and the field. `Packument` has no place for a per-version error, and dropping
 * the version or its signatures would turn "malformed" into a misleading "missing". Absent fields
 * are fine (old versions have no integrity or signatures), and a missing or unparseable
 * `time[version]` is an unknown publish time, which registry-signature checks already treat
 * strictly.
 */
export function toPackument(document: unknown, name: string): Packument {
  if (!isObject(document)) throw new SourceError(`registry packument of ${name} is not a JSON object`);
  if (document.name !== name) {
    const returned = typeof document.name === 'string' ? document.name : '(no name)';
    throw new SourceError(`registry returned the packument of ${returned} for ${name}`);
  }
  try {
    const times = isObject(document.time) ? document.time : {};
    const manifests = document.versions === undefined ? {} : readObject(document.versions, 'versions');
    const versions = new Map<string, RegistryVersion>();
    for (const [version, manifest] of Object.entries(manifests)) {
      versions.set(version, toRegistryVersion(name, version, manifest, times[version]));
    }
    return { name, versions };
  } catch (error) {
    if (error instanceof JsonShapeError) throw new SourceError(`registry packument of ${name}: ${error.message}`);
    throw error;
  }
}

function toRegistryVersion(name: string, version: string, manifest: unknown, time: unknown): RegistryVersion {
  const path = `version ${version}`;
  const dist = readObject(manifest, path).dist;
  if (dist === undefined) return { name, version, signatures: [], publishedAt: publishTime(time) };
  const distObject = readObject(dist, `${path}: dist`);
  const registryVersion: RegistryVersion = {
    name,
    version,
    signatures: readSignatures(distObject.signatures, `${path}: dist.signatures`),
    publishedAt: publishTime(time),
  };
  if (distObject.integrity !== undefined) registryVersion.integrity = readString(distObject.integrity, `${path}: dist.integrity`);
  if (distObject.attestations !== undefined) registryVersion.attestations = readAttestations(distObject.attestations, `${path}: dist.attestations`);
  return registryVersion;
}

function readSignatures(value: unknown, path: string): RegistrySignature[] {
  if (value === undefined) return [];
  return readArray(value, path).map((entry, i) => {
    const signature = readObject(entry, `${path}[${i}]`);
    return { keyid: readString(signature.keyid, `${path}[${i}].keyid`), sig: readString(signature.sig, `${path}[${i}].sig`) };
  });
}

function readAttestations(value: unknown, path: string): NonNullable<RegistryVersion['attestations']> {
  const attestations = readObject(value, path);
  const url = readString(attestations.url, `${path}.url`);
  const provenance: JsonObject = attestations.provenance === undefined ? {} : readObject(attestations.provenance, `${path}.provenance`);
  if (provenance.predicateType === undefined) return { url };
  return { url, provenancePredicateType: readString(provenance.predicateType, `${path}.provenance.predicateType`) };
}

function publishTime(value: unknown): Date | undefined {
  try {
    return value === undefined ? undefined : readDate(value, 'time');
  } catch {
    return undefined;
  }
}

/**
 * Throws unless `name` is a package name safe to put in a URL or a path: an optional `@scope/`
 * and a name, each URL-safe and not starting with a dot. Lockfiles are input, not trusted.
 */
export function assertPackageName(name: string): void {
  const parts = name.startsWith('@') ? name.slice(1).split('/') : [name];
  const wellFormed = parts.length === (name.startsWith('@') ? 2 : 1) && parts.every(isNamePart);
  if (!wellFormed) throw new SourceError(`invalid package name ${JSON.stringify(name)}`);
}

function isNamePart(part: string): boolean {
  return part.length > 0 && !part.startsWith('.') && encodeURIComponent(part) === part;
}

/** `<registry>/<name>`, with a scoped name's slash escaped the way registries expect (`@scope%2fname`). */
export function packumentUrl(registry: string, name: string): string {
  assertPackageName(name);
  return `${withTrailingSlash(registry)}${name.replace('/', '%2f')}`;
}

export function withTrailingSlash(registry: string): string {
  return registry.endsWith('/') ? registry : `${registry}/`;
}
