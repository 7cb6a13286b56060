import { displayUrl } from '../../sources/http-fetcher.js';
import { expandUrlTemplate } from '../../sources/url-source.js';
import { serializeBundle } from '../sign-tarball.js';
import { SigningError, type PackedTarball } from '../sign.types.js';

export interface UrlStoreOptions {
  /** Environment variable holding a bearer token for the store; the same one the url source reads with. */
  tokenEnv?: string;
  env?: Record<string, string | undefined>;
  fetch?: typeof globalThis.fetch;
  /** Whole request (default 30 000). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_REASON_LENGTH = 200;

/**
 * PUTs a bundle at the URL the audit's url source will read it from (the same template
 * expansion), with `Authorization: Bearer $tokenEnv` when a token is named, or basic credentials
 * from the URL. Returns the URL without credentials. Any answer but 2xx is a SigningError naming
 * the status and URL, never a credential.
 */
export async function storeBundleAtUrl(
  template: string,
  tarball: Pick<PackedTarball, 'name' | 'version' | 'integrity'>,
  bundleJson: object,
  options: UrlStoreOptions = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const token = options.tokenEnv === undefined ? undefined : env[options.tokenEnv];
  if (options.tokenEnv !== undefined && !token) {
    throw new SigningError(`environment variable ${options.tokenEnv} (the token for ${template.replace(/\/\/[^/@]*@/, '//')}) is not set`);
  }
  let target: URL;
  try {
    target = new URL(expandUrlTemplate(template, tarball));
  } catch (error) {
    throw new SigningError((error as Error).message);
  }
  const shown = displayUrl(target.href);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const secrets = withoutUserInfo(target, headers, token);
  const response = await put(options, target.href, headers, serializeBundle(bundleJson)).catch((error: unknown) => {
    throw new SigningError(`cannot reach ${shown}: ${scrub(reasonOf(error), secrets)}`);
  });
  if (!response.ok) {
    const body = scrub(await response.text().catch(() => ''), secrets);
    throw new SigningError(`PUT ${shown} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${body ? `: ${body}` : ''}`);
  }
  return shown;
}

/**
 * fetch refuses URLs with credentials: move `user:password@` into a basic Authorization header
 * (a bearer token wins). Returns every secret that must not appear in a message.
 */
function withoutUserInfo(target: URL, headers: Record<string, string>, token: string | undefined): string[] {
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  target.username = '';
  target.password = '';
  if (token) headers.authorization = `Bearer ${token}`;
  else if (user || password) headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  // Longest first, so a header that contains the token is removed whole.
  return [headers.authorization, token, password].filter((secret): secret is string => Boolean(secret)).sort((a, b) => b.length - a.length);
}

async function put(options: UrlStoreOptions, url: string, headers: Record<string, string>, body: string): Promise<Response> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return fetchImpl(url, { method: 'PUT', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
}

/** undici hides the socket error in `cause`. */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function scrub(text: string, secrets: string[]): string {
  const line = secrets.reduce((result, secret) => result.split(secret).join('[credential]'), text).replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH)}…` : line;
}
