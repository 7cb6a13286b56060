import type http from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { describeBytes, HttpGetError } from './http-errors.js';
import { exchange, type Cancellable, type HttpResponse } from './http-transport.js';
import { authorizationHeader, npmAuth, type NpmAuth } from './npm-auth.js';

export { HttpGetError, type HttpGetErrorCode } from './http-errors.js';

/** What one GET came to: a body, or an HTTP status other than 2xx, or a network failure (thrown). */
export type HttpGetResult =
  | { kind: 'body'; text: string }
  | { kind: 'status'; status: number; headers: http.IncomingHttpHeaders };

export interface HttpGetOptions {
  accept: string;
  /** npm configuration (`@npmcli/config` flat options): per-host auth, ca, proxy, strictSSL… */
  npmOptions: Record<string, unknown>;
  /** The registry the URL belongs to, and the package spec, as npm picks credentials by them. */
  registry?: string;
  spec?: string;
  /** Replaces whatever npm configuration would send: the only credential for this request. */
  bearerToken?: string;
  /** A longer body (declared or received) fails at once. */
  maxBytes?: number;
  maxSockets: number;
  /** For the whole attempt: connecting, redirects and the body. */
  timeoutMs: number;
}

/** The attempt's timer, and what it cuts off when it fires. */
interface Deadline {
  timedOut: boolean;
  active: Cancellable | undefined;
}

const MAX_REDIRECTS = 5;
const USER_AGENT = `pkgseal node/${process.version}`;

/**
 * One GET with npm's configuration (credentials as npm-registry-fetch's `getAuth` picks them, TLS
 * settings, proxies: see http-transport.ts), without npm-registry-fetch's caching fetch stack,
 * which cost ~0.5 ms of CPU per request. Redirects are followed (at most 5, never from https to
 * http), and credentials are dropped when one leads to another origin. gzip bodies are inflated.
 */
export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpGetResult> {
  // One deadline for the whole attempt (redirects and body included); a timer is far cheaper per
  // request than an AbortSignal.
  const deadline: Deadline = { timedOut: false, active: undefined };
  const timer = setTimeout(() => {
    deadline.timedOut = true;
    deadline.active?.destroy(new HttpGetError('TIMEOUT', `no complete response within ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  try {
    return await follow(url, options, deadline);
  } catch (error) {
    throw deadline.timedOut ? new HttpGetError('TIMEOUT', `no complete response within ${options.timeoutMs} ms`) : error;
  } finally {
    clearTimeout(timer);
  }
}

async function follow(url: string, options: HttpGetOptions, deadline: Deadline): Promise<HttpGetResult> {
  let current = new URL(url);
  let auth = npmAuth(url, options);
  let authorization = options.bearerToken ? `Bearer ${options.bearerToken}` : authorizationHeader(auth);
  for (let redirects = 0; ; redirects++) {
    const response = await send(current, authorization, auth, options, deadline);
    const { status } = response;
    if (status >= 300 && status < 400 && status !== 304) {
      const location: unknown = response.headers.location;
      if (!location) throw new HttpGetError('BAD_REDIRECT', `HTTP ${status} without a location`);
      if (typeof location !== 'string') throw new HttpGetError('BAD_REDIRECT', `HTTP ${status} with more than one location`);
      if (redirects >= MAX_REDIRECTS) throw new HttpGetError('TOO_MANY_REDIRECTS', `more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:') throw new HttpGetError('BAD_REDIRECT', 'redirect from https to another protocol');
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new HttpGetError('BAD_REDIRECT', 'redirect to a URL that is not http(s)');
      if (next.origin !== current.origin) authorization = undefined;
      current = next;
      auth = npmAuth(current.href, options);
      continue;
    }
    if (status < 200 || status >= 300) return { kind: 'status', status, headers: response.headers };
    return { kind: 'body', text: await decodeBody(response, options.maxBytes) };
  }
}

function send(url: URL, authorization: string | undefined, auth: NpmAuth, options: HttpGetOptions, deadline: Deadline): Promise<HttpResponse> {
  const headers: http.OutgoingHttpHeaders = {
    accept: options.accept,
    'accept-encoding': 'gzip',
    'user-agent': typeof options.npmOptions.userAgent === 'string' ? options.npmOptions.userAgent : USER_AGENT,
    ...(authorization ? { authorization } : {}),
  };
  return exchange(url, headers, {
    npmOptions: options.npmOptions,
    auth,
    maxSockets: options.maxSockets,
    maxBytes: options.maxBytes,
    track: (active) => {
      deadline.active = active;
    },
  });
}

const gunzipAsync = promisify(gunzip);

/** The body as text: gzip is inflated off the main thread, and may not inflate past `maxBytes` either. */
async function decodeBody(response: HttpResponse, maxBytes: number | undefined): Promise<string> {
  if (response.headers['content-encoding'] !== 'gzip') return response.body.toString('utf8');
  let inflated: Buffer;
  try {
    inflated = await gunzipAsync(response.body, maxBytes === undefined ? {} : { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpGetError('TOO_LARGE', `response is larger than the ${describeBytes(maxBytes ?? 0)} allowed`);
    throw new HttpGetError('BAD_ENCODING', 'response body is not valid gzip');
  }
  return inflated.toString('utf8');
}
