import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import { getAgent } from '@npmcli/agent';
import npmGetAuth from 'npm-registry-fetch/lib/auth.js';

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

/** The attempt's timer, and the request or response it cuts off when it fires. */
interface Deadline {
  timedOut: boolean;
  active: { destroy(error: Error): void } | undefined;
}

interface NpmAuth {
  token?: string;
  auth?: string;
  cert?: string;
  key?: string;
}

const MAX_REDIRECTS = 5;
const USER_AGENT = `pkgseal node/${process.version}`;

/**
 * One GET on Node's http(s) with npm's keep-alive agents (proxy, ca, client certificates from
 * `.npmrc`, through @npmcli/agent) and npm's choice of credentials (npm-registry-fetch's
 * `getAuth`), without npm-registry-fetch's caching fetch stack, which cost ~0.5 ms of CPU per
 * request. Redirects are followed (at most 5, never from https to http), and credentials are
 * dropped when one leads to another origin. gzip bodies are inflated.
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
  let authorization = options.bearerToken ? `Bearer ${options.bearerToken}` : auth.token ? `Bearer ${auth.token}` : auth.auth ? `Basic ${auth.auth}` : undefined;
  for (let redirects = 0; ; redirects++) {
    const response = await send(current, authorization, auth, options, deadline);
    deadline.active = response;
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && status !== 304) {
      response.resume();
      if (!location) throw new HttpGetError('BAD_REDIRECT', `HTTP ${status} without a location`);
      if (redirects >= MAX_REDIRECTS) throw new HttpGetError('TOO_MANY_REDIRECTS', `more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:') throw new HttpGetError('BAD_REDIRECT', 'redirect from https to another protocol');
      if (next.origin !== current.origin) authorization = undefined;
      current = next;
      auth = npmAuth(current.href, options);
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      return { kind: 'status', status, headers: response.headers };
    }
    return { kind: 'body', text: await readBody(response, options.maxBytes) };
  }
}

function send(url: URL, authorization: string | undefined, auth: NpmAuth, options: HttpGetOptions, deadline: Deadline): Promise<http.IncomingMessage> {
  const headers: http.OutgoingHttpHeaders = {
    accept: options.accept,
    'accept-encoding': 'gzip',
    'user-agent': typeof options.npmOptions.userAgent === 'string' ? options.npmOptions.userAgent : USER_AGENT,
    ...(authorization ? { authorization } : {}),
  };
  const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!transport) return Promise.reject(new HttpGetError('BAD_REDIRECT', `not an http(s) URL`));
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { headers, agent: agentFor(url, auth, options) }, resolve);
    deadline.active = request;
    request.on('error', reject);
  });
}

function readBody(response: http.IncomingMessage, maxBytes: number | undefined): Promise<string> {
  const declared = Number(response.headers['content-length'] ?? NaN);
  const encoding = response.headers['content-encoding'];
  if (maxBytes !== undefined && declared > maxBytes && encoding !== 'gzip') {
    response.destroy();
    return Promise.reject(new HttpGetError('TOO_LARGE', `response of ${declared} bytes is larger than the ${describeBytes(maxBytes)} allowed`));
  }
  if (encoding !== undefined && encoding !== 'identity' && encoding !== 'gzip') {
    response.destroy();
    return Promise.reject(new HttpGetError('BAD_ENCODING', `unsupported content-encoding ${JSON.stringify(encoding)}`));
  }
  const body = encoding === 'gzip' ? response.pipe(createGunzip()) : response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const fail = (error: Error) => {
      if (finished) return;
      finished = true;
      response.destroy();
      reject(error);
    };
    response.on('aborted', () => fail(new HttpGetError('TRUNCATED', 'response body truncated (connection closed early)')));
    response.on('error', (error) => fail(error));
    body.on('error', (error: Error) => fail(encoding === 'gzip' && !(error instanceof HttpGetError) ? new HttpGetError('BAD_ENCODING', 'response body is not valid gzip') : error));
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

/** What npm would authenticate this URL with: a (scoped) registry's token or basic auth, client certificates. */
function npmAuth(url: string, options: HttpGetOptions): NpmAuth {
  const memo = authMemo(options.npmOptions);
  // getAuth walks the URL's path up, looking for `//host/path…:_authToken` keys: every URL under
  // a prefix below which no key is configured gets the same answer. The host's root usually is
  // one (one answer per host); else the URL's folder may be.
  const origin = url.slice(0, url.indexOf('/', url.indexOf('//') + 2) + 1);
  const folder = url.slice(0, url.lastIndexOf('/') + 1);
  const prefix = [origin, folder].find((candidate) => !keysBelow(candidate, memo));
  const registry = options.registry ?? options.npmOptions.registry;
  const memoKey = prefix === undefined ? undefined : `${prefix}\0${String(registry)}\0${options.spec?.split('/')[0] ?? ''}`;
  const known = memoKey === undefined ? undefined : memo.answers.get(memoKey);
  if (known) return known;
  const getAuth = npmGetAuth as (uri: string, opts: Record<string, unknown>) => NpmAuth;
  // npm's flat options have hundreds of keys and getAuth only reads a few: inherit, don't copy.
  const opts = Object.create(options.npmOptions) as Record<string, unknown>;
  if (options.registry) opts.registry = options.registry;
  if (options.spec) opts.spec = options.spec;
  const auth = getAuth(url, opts);
  if (memoKey !== undefined) memo.answers.set(memoKey, auth);
  return auth;
}

/** Whether a credential key is configured strictly below this URL prefix (`//host/path/…:_authToken`). */
function keysBelow(prefix: string, memo: AuthMemo): boolean {
  let below = memo.keysBelow.get(prefix);
  if (below === undefined) {
    const parsed = new URL(prefix);
    const prefixKey = `//${parsed.host}${parsed.pathname}`;
    below = memo.authKeys.some((key) => key.startsWith(prefixKey) && key.length > prefixKey.length);
    memo.keysBelow.set(prefix, below);
  }
  return below;
}

interface AuthMemo {
  /** Configured per-registry keys (`//host/path/:_authToken`, `…:_auth`, …), without their field. */
  authKeys: string[];
  answers: Map<string, NpmAuth>;
  /** By URL prefix: whether a key is configured below it (see keysBelow). */
  keysBelow: Map<string, boolean>;
  /** The agent for an origin (proxy rules are per host) and client certificate. */
  agents: Map<string, http.Agent>;
}

const authMemos = new WeakMap<Record<string, unknown>, AuthMemo>();

function authMemo(npmOptions: Record<string, unknown>): AuthMemo {
  let memo = authMemos.get(npmOptions);
  if (!memo) {
    const authKeys = Object.keys(npmOptions).filter((key) => key.startsWith('//')).map((key) => key.slice(0, key.lastIndexOf(':')));
    memo = { authKeys, answers: new Map(), keysBelow: new Map(), agents: new Map() };
    authMemos.set(npmOptions, memo);
  }
  return memo;
}

/** @npmcli/agent keeps one keep-alive agent per distinct configuration, with npm's proxy rules. */
function agentFor(url: URL, auth: NpmAuth, options: HttpGetOptions): http.Agent {
  const npm = options.npmOptions;
  const memo = authMemo(npm);
  const agentKey = `${url.protocol}//${url.host}\0${options.maxSockets}\0${auth.cert ?? ''}\0${auth.key ?? ''}`;
  const known = memo.agents.get(agentKey);
  if (known) return known;
  const agent = getAgent(url.href, {
    ca: npm.ca,
    cert: auth.cert ?? npm.cert,
    key: auth.key ?? npm.key,
    rejectUnauthorized: npm.strictSSL === undefined ? process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0' : npm.strictSSL !== false,
    proxy: npm.httpsProxy ?? npm.proxy,
    noProxy: npm.noProxy ?? process.env.NOPROXY,
    localAddress: npm.localAddress,
    maxSockets: typeof npm.maxSockets === 'number' ? npm.maxSockets : options.maxSockets,
    timeout: 0,
  });
  // @npmcli/agent keeps one agent per protocol; told which, agent-base stops inspecting a new
  // Error's stack on every request to guess it.
  (agent as { protocol?: string }).protocol = url.protocol;
  memo.agents.set(agentKey, agent);
  return agent;
}
