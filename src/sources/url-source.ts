import { displayUrl } from './http-fetcher.js';
import { assertPackageName } from './packument.js';
import { SourceError, type EvidenceFetcher, type EvidenceLookup, type TreePackage } from './source.types.js';

export interface UrlTemplateValues {
  name: string;
  version: string;
  integrity?: string;
}

type Placeholder = keyof UrlTemplateValues;

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** Semver's alphabet; a version is one path segment and never `.` or `..`. */
const VERSION = /^[0-9A-Za-z+-][0-9A-Za-z.+-]*$/;

/**
 * Expands `{name}`, `{version}` and `{integrity}` in a url source template. The same expansion
 * names the object `pkgseal publish` PUTs, so it is reversible and gives each version one URL:
 *
 * - `{name}` is the name as is: `lodash`, or `@scope/pkg` with the scope as a folder, the layout of
 *   the dir source. Names are checked to be URL-safe, and only a scoped name has a `/`, so
 *   `https://sigs.example/{name}/{version}.sigstore.json` splits back unambiguously.
 * - `{version}` and `{integrity}` are percent-encoded (`1.0.0%2Bbuild`, `sha512-…%2F…%3D%3D`):
 *   a literal `+` reads as a space on some object stores.
 *
 * A template must contain `{integrity}`, or both `{name}` and `{version}`.
 */
export function expandUrlTemplate(template: string, values: UrlTemplateValues): string {
  const used = placeholdersOf(template);
  if (!used.has('integrity') && !(used.has('name') && used.has('version'))) {
    throw new SourceError(`url template ${template} needs {name} and {version}, or {integrity}, so that each package version has its own URL`);
  }
  const expanded = template.replace(PLACEHOLDER, (_match, placeholder: Placeholder) => encodeValue(placeholder, values));
  if (!/^https?:\/\//.test(expanded)) throw new SourceError(`url template ${template} is not an http(s) URL`);
  return expanded;
}

/** Looks up a package's bundle at its templated URL, with a bearer token from `tokenEnv` when named. */
export async function lookupUrlEvidence(
  fetcher: EvidenceFetcher,
  template: string,
  pkg: Pick<TreePackage, 'name' | 'version' | 'integrity'>,
  tokenEnv: string | undefined,
  env: Record<string, string | undefined>,
): Promise<EvidenceLookup> {
  if (placeholdersOf(template).has('integrity') && !pkg.integrity) {
    return { found: false, source: 'url', reason: `the lockfile records no integrity, and url template ${template} needs {integrity}` };
  }
  const bearerToken = tokenEnv === undefined ? undefined : env[tokenEnv];
  if (tokenEnv !== undefined && !bearerToken) {
    return { found: false, source: 'url', reason: `environment variable ${tokenEnv} (the token for ${template}) is not set` };
  }
  const url = expandUrlTemplate(template, pkg);
  const document = await fetcher.getJson(url, bearerToken ? { bearerToken } : undefined);
  const location = displayUrl(url);
  if (document === undefined) return { found: false, source: 'url', reason: `no bundle at ${location}` };
  return { found: true, source: 'url', location, document };
}

/** A policy has a few templates, expanded for every package: each is read once. */
const templatePlaceholders = new Map<string, ReadonlySet<Placeholder>>();

function placeholdersOf(template: string): ReadonlySet<Placeholder> {
  let known = templatePlaceholders.get(template);
  if (!known) templatePlaceholders.set(template, (known = readPlaceholders(template)));
  return known;
}

function readPlaceholders(template: string): Set<Placeholder> {
  const used = new Set<Placeholder>();
  for (const [, placeholder] of template.matchAll(PLACEHOLDER)) {
    if (placeholder !== 'name' && placeholder !== 'version' && placeholder !== 'integrity') {
      throw new SourceError(`url template ${template} has an unknown placeholder {${placeholder}}; use {name}, {version} or {integrity}`);
    }
    used.add(placeholder);
  }
  return used;
}

function encodeValue(placeholder: Placeholder, values: UrlTemplateValues): string {
  const id = `${values.name}@${values.version}`;
  if (placeholder === 'name') {
    assertPackageName(values.name);
    return values.name;
  }
  if (placeholder === 'version') {
    if (!VERSION.test(values.version)) throw new SourceError(`${id}: invalid version ${JSON.stringify(values.version)}`);
    return encodeURIComponent(values.version);
  }
  if (!values.integrity) throw new SourceError(`${id}: no integrity for {integrity}`);
  return encodeURIComponent(values.integrity);
}
