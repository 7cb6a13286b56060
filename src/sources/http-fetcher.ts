import pLimit from 'p-limit';
import { httpGet, HttpGetError, type HttpGetErrorCode } from './http-get.js';
import { jsonStructureProblem, MAX_EVIDENCE_BYTES } from '../verify/json-text.js';
import { packumentUrl, toPackument, withTrailingSlash } from './packument.js';
import { SourceError, type EvidenceFetcher, type Packument } from './source.types.js';

export interface HttpFetcherOptions {
  /**
   * npm configuration, i.e. `@npmcli/config`'s `flat` options: `registry`, `@scope:registry`,
   * `//host/:_authToken`, `ca`, `proxy`, `strictSSL`... A token goes only to the host it is
   * configured for, as npm sends it (see http-get.ts).
   */
  npmOptions?: Record<string, unknown>;
  /** Requests in flight at once, shared by every call of this fetcher (default 16). */
  concurrency?: number;
  /** Per attempt, including reading the body (default 30 000). */
  timeoutMs?: number;
  /** Further attempts after a timeout, reset, 408, 429 or 5xx (default 2). */
  retries?: number;
  /** First backoff delay, doubled per attempt (default 500). */
  retryDelayMs?: number;
  /** Longest `Retry-After` honoured; a longer one fails at once (default 60 000). */
  maxRetryAfterMs?: number;
  /** Every call fails with `offline: … needs the network`, before any socket is opened. */
  offline?: boolean;
  /** A packument larger than this (declared or received, after gzip) fails unread (default 256 MiB). */
  maxPackumentBytes?: number;
}

/** What one attempt came to. */
type Attempt =
  | { kind: 'body'; text: string }
  | { kind: 'not-found' }
  | { kind: 'failed'; reason: string; retriable: boolean; retryAfterMs?: number };

interface RequestOptions {
  /** What needs the network, for the offline message (worked out only for it). */
  what(): string;
  accept: string;
  bearerToken?: string;
  registry?: string;
  spec?: string;
  /** A larger declared body fails at once, unread. */
  maxBytes?: number;
}

/**
 * The audit's network access, with npm's `.npmrc` settings (http-get.ts). Every failure is a
 * SourceError with one line naming the URL (without query or credentials) and the cause; no
 * message ever carries a token. Packuments are fetched once per registry and name per fetcher.
 */
export function createHttpFetcher(options: HttpFetcherOptions = {}): EvidenceFetcher {
  const settings = {
    concurrency: options.concurrency ?? 16,
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: options.retries ?? 2,
    retryDelayMs: options.retryDelayMs ?? 500,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    // npm's largest packuments are tens of MiB; a registry streaming without end must not exhaust memory.
    maxPackumentBytes: options.maxPackumentBytes ?? 256 * 1024 * 1024,
  };
  const limit = pLimit(settings.concurrency);
  // One object for the run: connections and answers about credentials are kept per configuration.
  const npmOptions = options.npmOptions ?? {};
  const packuments = new Map<string, Promise<Packument>>();

  async function request(url: string, requestOptions: RequestOptions): Promise<string | undefined> {
    if (options.offline) throw new SourceError(`offline: ${requestOptions.what()} needs the network`);
    for (let attempt = 1; ; attempt++) {
      const outcome = await limit(() => attemptOnce(url, requestOptions));
      if (outcome.kind === 'body') return outcome.text;
      if (outcome.kind === 'not-found') return undefined;
      const attempts = attempt > 1 ? ` after ${attempt} attempts` : '';
      const shown = displayUrl(url);
      if (!outcome.retriable || attempt > settings.retries) throw new SourceError(`GET ${shown}: ${outcome.reason}${attempts}`);
      const delayMs = outcome.retryAfterMs ?? backoff(settings.retryDelayMs, attempt);
      if (delayMs > settings.maxRetryAfterMs) {
        throw new SourceError(`GET ${shown}: ${outcome.reason}${attempts}, and Retry-After ${Math.ceil(delayMs / 1000)} s is longer than the ${settings.maxRetryAfterMs / 1000} s allowed`);
      }
      await sleep(delayMs);
    }
  }

  async function attemptOnce(url: string, requestOptions: RequestOptions): Promise<Attempt> {
    try {
      const result = await httpGet(url, {
        accept: requestOptions.accept,
        npmOptions,
        ...(requestOptions.registry ? { registry: requestOptions.registry } : {}),
        ...(requestOptions.spec ? { spec: requestOptions.spec } : {}),
        ...(requestOptions.bearerToken ? { bearerToken: requestOptions.bearerToken } : {}),
        ...(requestOptions.maxBytes !== undefined ? { maxBytes: requestOptions.maxBytes } : {}),
        maxSockets: settings.concurrency,
        timeoutMs: settings.timeoutMs,
      });
      if (result.kind === 'body') return result;
      return classifyStatus(result.status, result.headers);
    } catch (error) {
      return classifyFailure(error);
    }
  }

  async function loadPackument(name: string, registry: string): Promise<Packument> {
    const url = packumentUrl(registry, name);
    // npm reads a spec only for its scope (`@scope:registry`); parsing one per request is costly.
    const spec = name.startsWith('@') ? { spec: name } : {};
    const text = await request(url, { what: () => `the packument of ${name}`, accept: 'application/json', registry, ...spec, maxBytes: settings.maxPackumentBytes });
    if (text === undefined) throw new SourceError(`registry ${displayUrl(registry)} has no package ${name} (GET ${displayUrl(url)}: HTTP 404)`);
    return toPackument(parseJson(text, url), name);
  }

  return {
    packument(name, registry) {
      const key = `${withTrailingSlash(registry)}${name}`;
      let packument = packuments.get(key);
      if (!packument) {
        packument = loadPackument(name, withTrailingSlash(registry));
        packuments.set(key, packument);
      }
      return packument;
    },
    release(name, registry) {
      packuments.delete(`${withTrailingSlash(registry)}${name}`);
    },
    async getJson(url, getOptions) {
      assertHttpUrl(url);
      const text = await request(url, { what: () => `GET ${displayUrl(url)}`, accept: 'application/json', bearerToken: getOptions?.bearerToken, maxBytes: MAX_EVIDENCE_BYTES });
      return text === undefined ? undefined : parseEvidenceResponse(text, url);
    },
  };
}

function classifyStatus(status: number, headers: Record<string, unknown>): Attempt {
  if (status === 404) return { kind: 'not-found' };
  const retriable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = status === 429 || status === 503 ? retryAfter(headers) : undefined;
  return { kind: 'failed', reason: `HTTP ${status}${status === 401 || status === 403 ? ' (check the token for this host)' : ''}`, retriable, retryAfterMs };
}

/** Turns a network failure into a one-line reason, never echoing its message (it may have URLs). */
function classifyFailure(error: unknown): Attempt {
  if (error instanceof HttpGetError) return { kind: 'failed', reason: error.message, retriable: RETRIABLE[error.code] };
  const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : undefined;
  if (code && code in NETWORK_REASONS) {
    const known = NETWORK_REASONS[code as keyof typeof NETWORK_REASONS];
    return { kind: 'failed', reason: known.reason, retriable: known.retriable };
  }
  return { kind: 'failed', reason: `request failed (${code ?? (error instanceof Error ? error.name : 'unknown error')})`, retriable: false };
}

/** A slow or cut-off answer may come whole next time; a refused one will not. */
const RETRIABLE: Record<HttpGetErrorCode, boolean> = {
  TIMEOUT: true,
  TRUNCATED: true,
  TOO_LARGE: false,
  TOO_MANY_REDIRECTS: false,
  BAD_REDIRECT: false,
  BAD_ENCODING: false,
};

const NETWORK_REASONS = {
  ECONNRESET: { reason: 'connection reset', retriable: true },
  ECONNREFUSED: { reason: 'connection refused', retriable: true },
  ETIMEDOUT: { reason: 'connection timed out', retriable: true },
  EPIPE: { reason: 'connection closed', retriable: true },
  ENOTFOUND: { reason: 'host not found', retriable: false },
  EAI_AGAIN: { reason: 'host name lookup failed', retriable: true },
  ECONNABORTED: { reason: 'connection aborted', retriable: true },
  UND_ERR_SOCKET: { reason: 'connection closed', retriable: true },
  UND_ERR_CONNECT_TIMEOUT: { reason: 'connection timed out', retriable: true },
  UND_ERR_CLOSED: { reason: 'connection closed', retriable: true },
} as const satisfies Record<string, { reason: string; retriable: boolean }>;

/** `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable. */
function retryAfter(headers: unknown): number | undefined {
  const raw = (headers as Record<string, unknown> | undefined)?.['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function backoff(baseMs: number, attempt: number): number {
  return baseMs * 2 ** (attempt - 1) * (1 + Math.random() / 4);
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SourceError(`GET ${displayUrl(url)}: response is not valid JSON`);
  }
}

/** Evidence and key documents: bounded, and with no key two readers could read differently. */
function parseEvidenceResponse(text: string, url: string): unknown {
  if (text.length > MAX_EVIDENCE_BYTES) throw new SourceError(`GET ${displayUrl(url)}: response is larger than the ${MAX_EVIDENCE_BYTES / 1024 / 1024} MiB allowed`);
  const document = parseJson(text, url);
  const problem = jsonStructureProblem(text);
  if (problem) throw new SourceError(`GET ${displayUrl(url)}: response ${problem}`);
  return document;
}

/** Evidence URLs come from policies and attestations: nothing but http(s) is fetched. */
function assertHttpUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:') throw new SourceError(`GET ${displayUrl(url)}: not an http(s) URL`);
}

/** A URL as it may appear in messages: no query, fragment, user name or password. */
export function displayUrl(url: string): string {
  // Nothing to take out without a user name, password, query or fragment (or a control character
  // the parser would drop): shown as given.
  if (/^https?:\/\/[^@?#\s\x00-\x1f\x7f]*$/.test(url)) return url;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
