import type http from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { openExchange, type Cancellable, type HttpExchange } from './http-transport.js';
import { authorizationHeader, npmAuth, type NpmAuth } from './npm-auth.js';

/** What one GET came to: a body, or an HTTP status other than 2xx, or a network failure (thrown). */
export type HttpGetResult =
  | { kind: 'body'; text: string }
  | { kind: 'status'; status: number; headers: http.IncomingHttpHeaders };

export type HttpGetErrorCode = 'TIMEOUT' | 'TRUNCATED' | 'TOO_LARGE' | 'TOO_MANY_REDIRECTS' | 'BAD_REDIRECT' | 'BAD_ENCODING';

/** What went wrong below HTTP that Node does not name itself (its errors, ECONNRESET…, pass through as they are). */
export class HttpGetError extends Error {
  readonly code: HttpGetErrorCode;
  constructor(code: HttpGetErrorCode, message: string) {
    super(message);
    this.name = 'HttpGetError';
    this.code = code;
  }
}

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
    deadline.active = response.body;
    const { status } = response;
    if (status >= 300 && status < 400 && status !== 304) {
      drain(response.body);
      const location = response.headers.location;
      if (!location) throw new HttpGetError('BAD_REDIRECT', `HTTP ${status} without a location`);
      if (redirects >= MAX_REDIRECTS) throw new HttpGetError('TOO_MANY_REDIRECTS', `more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:') throw new HttpGetError('BAD_REDIRECT', 'redirect from https to another protocol');
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new HttpGetError('BAD_REDIRECT', 'redirect to a URL that is not http(s)');
      if (next.origin !== current.origin) authorization = undefined;
      current = next;
      auth = npmAuth(current.href, options);
      continue;
    }
    if (status < 200 || status >= 300) {
      drain(response.body);
      return { kind: 'status', status, headers: response.headers };
    }
    return { kind: 'body', text: await readBody(response, options.maxBytes) };
  }
}

function send(url: URL, authorization: string | undefined, auth: NpmAuth, options: HttpGetOptions, deadline: Deadline): Promise<HttpExchange> {
  const headers: http.OutgoingHttpHeaders = {
    accept: options.accept,
    'accept-encoding': 'gzip',
    'user-agent': typeof options.npmOptions.userAgent === 'string' ? options.npmOptions.userAgent : USER_AGENT,
    ...(authorization ? { authorization } : {}),
  };
  return openExchange(url, headers, {
    npmOptions: options.npmOptions,
    auth,
    maxSockets: options.maxSockets,
    track: (active) => {
      deadline.active = active;
    },
  });
}

/** A body nobody reads is still read to its end, or its connection cannot carry the next response. */
function drain(body: Readable): void {
  body.on('error', ignore);
  body.resume();
}

/** A body refused unread; undici reports the destroy as an error event nobody needs. */
function discard(body: Readable): void {
  body.on('error', ignore);
  body.destroy();
}

function ignore(): void {}

/** A connection that closed before the body was whole, as Node's http and undici report it. */
const CUT_SHORT = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

function readBody(response: HttpExchange, maxBytes: number | undefined): Promise<string> {
  const declared = Number(response.headers['content-length'] ?? NaN);
  const encoding = response.headers['content-encoding'];
  const source = response.body;
  if (maxBytes !== undefined && declared > maxBytes && encoding !== 'gzip') {
    discard(source);
    return Promise.reject(new HttpGetError('TOO_LARGE', `response of ${declared} bytes is larger than the ${describeBytes(maxBytes)} allowed`));
  }
  if (encoding !== undefined && encoding !== 'identity' && encoding !== 'gzip') {
    discard(source);
    return Promise.reject(new HttpGetError('BAD_ENCODING', `unsupported content-encoding ${JSON.stringify(encoding)}`));
  }
  const body = encoding === 'gzip' ? source.pipe(createGunzip()) : source;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const fail = (error: Error) => {
      if (finished) return;
      finished = true;
      source.destroy();
      reject(error);
    };
    const truncated = () => fail(new HttpGetError('TRUNCATED', 'response body truncated (connection closed early)'));
    source.on('aborted', truncated);
    source.on('error', (error: Error & { code?: string }) => (error.code && CUT_SHORT.has(error.code) ? truncated() : fail(error)));
    if (body !== source) {
      body.on('error', (error: Error) => fail(error instanceof HttpGetError ? error : new HttpGetError('BAD_ENCODING', 'response body is not valid gzip')));
    }
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (maxBytes !== undefined && received > maxBytes) fail(new HttpGetError('TOO_LARGE', `response is larger than the ${describeBytes(maxBytes)} allowed`));
      else chunks.push(chunk);
    });
    body.on('end', () => {
      if (finished) return;
      finished = true;
      if (encoding !== 'gzip' && Number.isFinite(declared) && received !== declared) {
        reject(new HttpGetError('TRUNCATED', 'response body truncated (connection closed early)'));
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
  });
}

function describeBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB` : `${bytes} bytes`;
}
