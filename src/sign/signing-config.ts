import { readFile } from 'node:fs/promises';
import { JsonShapeError, readArray, readDate, readObject, readString, type JsonObject } from '../trust/json-fields.js';
import { PUBLIC_GOOD_INSTANCE, serviceURL } from './instances.js';
import { SigningError, type SigningInstance } from './sign.types.js';

const MEDIA_TYPE_V0_1 = 'application/vnd.dev.sigstore.signingconfig.v0.1+json';
const MEDIA_TYPE_V0_2 = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/**
 * API versions we can speak per service. Rekor is v1 only: @sigstore/sign 4 can write to Rekor v2,
 * but a v2 entry needs a timestamp to verify and our verifier's log checks are v1's.
 */
const SUPPORTED_API_VERSION = { caUrls: 1, oidcUrls: 1, rekorTlogUrls: 1, tsaUrls: 1 } as const;
type ServiceList = keyof typeof SUPPORTED_API_VERSION;

interface Service {
  url: string;
  majorApiVersion: number;
  start: Date;
  end?: Date;
}

/** Reads a `signing_config.json` file into the instance to sign against, valid at `now`. */
export async function loadSigningConfig(file: string, now = new Date()): Promise<SigningInstance> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SigningError(`cannot read signing config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SigningError(`invalid signing config ${file}: not valid JSON (${(error as Error).message})`);
  }
  return withFieldErrors(`invalid signing config ${file}`, () => readSigningConfig(document, now));
}

/**
 * Parses a Sigstore signing config (v0.2 service lists, or v0.1's plain URLs). From each list it
 * picks, as the spec says, the service with a version we speak that is valid now and started
 * last. Malformed fields are errors naming the field; an entry is never skipped for being unreadable.
 */
export function parseSigningConfig(document: unknown, now = new Date()): SigningInstance {
  return withFieldErrors('invalid signing config', () => readSigningConfig(document, now));
}

function readSigningConfig(document: unknown, now: Date): SigningInstance {
  const config = readObject(document, 'signing config');
  const mediaType = readString(config.mediaType, 'mediaType');
  if (mediaType === MEDIA_TYPE_V0_2) return fromV02(config, now);
  if (mediaType === MEDIA_TYPE_V0_1) return fromV01(config);
  throw new JsonShapeError('mediaType', `"${mediaType}" is not a signing config media type (${MEDIA_TYPE_V0_2})`);
}

function withFieldErrors<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof JsonShapeError) throw new SigningError(`${what}: ${error.message}`);
    throw error;
  }
}

function fromV02(config: JsonObject, now: Date): SigningInstance {
  assertSelectsOne(config.rekorTlogConfig, 'rekorTlogConfig');
  assertSelectsOne(config.tsaConfig, 'tsaConfig');
  const ca = selectService(config, 'caUrls', now);
  if (!ca) throw new JsonShapeError('caUrls', 'has no Fulcio valid now with majorApiVersion 1');
  const oidc = selectService(config, 'oidcUrls', now);
  const rekor = selectService(config, 'rekorTlogUrls', now);
  if (!rekor && readServices(config.rekorTlogUrls, 'rekorTlogUrls').some((service) => isValidAt(service, now))) {
    throw new JsonShapeError('rekorTlogUrls', 'lists no Rekor v1 log valid now (pkgseal writes Rekor API v1 entries)');
  }
  const tsa = selectService(config, 'tsaUrls', now);
  return instanceOf(ca.url, rekor?.url, tsa?.url, oidc?.url);
}

function fromV01(config: JsonObject): SigningInstance {
  const tlogURLs = optionalStrings(config.tlogUrls, 'tlogUrls');
  const tsaURLs = optionalStrings(config.tsaUrls, 'tsaUrls');
  const oidcURL = config.oidcUrl === undefined ? undefined : readURL(config.oidcUrl, 'oidcUrl');
  return instanceOf(readURL(config.caUrl, 'caUrl'), tlogURLs[0], tsaURLs[0], oidcURL);
}

function instanceOf(fulcio: string, rekor: string | undefined, tsa: string | undefined, oidc: string | undefined): SigningInstance {
  if (!rekor && !tsa) throw new JsonShapeError('signing config', 'names no transparency log and no timestamp authority');
  return {
    fulcioURL: fulcio,
    ...(rekor ? { rekorURL: rekor } : {}),
    ...(tsa ? { tsaURL: tsa } : {}),
    // Only the interactive flow needs an issuer; a config without one signs with tokens from elsewhere.
    oidcIssuer: oidc ?? PUBLIC_GOOD_INSTANCE.oidcIssuer,
    oidcClientID: PUBLIC_GOOD_INSTANCE.oidcClientID,
  };
}

/** The newest service valid at `now` with the API version we speak; undefined when the list has none. */
function selectService(config: JsonObject, list: ServiceList, now: Date): Service | undefined {
  return readServices(config[list], list)
    .filter((service) => service.majorApiVersion === SUPPORTED_API_VERSION[list] && isValidAt(service, now))
    .sort((a, b) => b.start.getTime() - a.start.getTime())[0];
}

function readServices(value: unknown, path: string): Service[] {
  if (value === undefined) return [];
  return readArray(value, path).map((entry, i) => readService(entry, `${path}[${i}]`));
}

function readService(value: unknown, path: string): Service {
  const service = readObject(value, path);
  const url = readURL(service.url, `${path}.url`);
  const majorApiVersion = service.majorApiVersion;
  if (typeof majorApiVersion !== 'number' || !Number.isInteger(majorApiVersion) || majorApiVersion < 0) {
    throw new JsonShapeError(`${path}.majorApiVersion`, 'expected a non-negative integer');
  }
  if (service.operator !== undefined) readString(service.operator, `${path}.operator`);
  const validFor = readObject(service.validFor, `${path}.validFor`);
  const start = readDate(validFor.start, `${path}.validFor.start`);
  const end = validFor.end === undefined ? undefined : readDate(validFor.end, `${path}.validFor.end`);
  if (end && end.getTime() < start.getTime()) throw new JsonShapeError(`${path}.validFor`, 'ends before it starts');
  return end ? { url, majorApiVersion, start, end } : { url, majorApiVersion, start };
}

/** Inclusive of both ends, as the spec says. */
function isValidAt(service: Service, now: Date): boolean {
  return service.start.getTime() <= now.getTime() && (!service.end || now.getTime() <= service.end.getTime());
}

/** We sign with one log and at most one TSA: `ANY`, or `EXACT` with count 1. */
function assertSelectsOne(value: unknown, path: string): void {
  if (value === undefined) return;
  const configuration = readObject(value, path);
  const selector = readString(configuration.selector, `${path}.selector`);
  if (selector === 'ANY' || (selector === 'EXACT' && configuration.count === 1)) return;
  throw new JsonShapeError(`${path}.selector`, `${selector}${selector === 'EXACT' ? ` with count ${String(configuration.count)}` : ''} is not supported; pkgseal uses one service (ANY)`);
}

function optionalStrings(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  return readArray(value, path).map((entry, i) => readURL(entry, `${path}[${i}]`));
}

/** An http(s) service URL, without its trailing slash. */
function readURL(value: unknown, path: string): string {
  const text = readString(value, path);
  try {
    return serviceURL(text, path);
  } catch (error) {
    throw new JsonShapeError(path, (error as Error).message.replace(`${path}: `, ''));
  }
}
