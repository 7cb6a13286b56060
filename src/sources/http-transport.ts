import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Readable } from 'node:stream';
import { Agent as UndiciAgent } from 'undici';
import type { NpmAuth } from './npm-auth.js';

/** A response as far as its headers: the body is still to be read (or drained). */
export interface HttpExchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Readable;
}

/** Something in flight that a deadline can cut off: the request, then its response body. */
export interface Cancellable {
  destroy(error: Error): void;
}

export interface ExchangeOptions {
  /** npm configuration (`@npmcli/config` flat options): ca, proxy, noProxy, strictSSL, localAddress, maxSockets. */
  npmOptions: Record<string, unknown>;
  /** The credentials npm picked for this URL: its client certificate goes into the TLS options. */
  auth: NpmAuth;
  maxSockets: number;
  /** Told what to destroy if the deadline passes, as the exchange goes on. */
  track(active: Cancellable): void;
}

/**
 * Sends one GET. Without a proxy it goes on undici's keep-alive connections, several requests
 * pipelined on each: a registry answers a tree's packuments with a fraction of the reads and
 * writes (and CPU) that one request per connection costs. With a proxy configured anywhere (npm's
 * `proxy`/`https-proxy`, or the environment), every request takes npm's own agents instead
 * (@npmcli/agent: http(s) and socks proxies, `noproxy`), exactly as npm would connect.
 */
export function openExchange(url: URL, headers: http.OutgoingHttpHeaders, options: ExchangeOptions): Promise<HttpExchange> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError('not an http(s) URL'));
  return proxyConfigured(options.npmOptions) ? proxiedExchange(url, headers, options) : directExchange(url, headers, options);
}

/** Requests in flight on one connection; a pool opens maxSockets / PIPELINING connections. */
const PIPELINING = 4;

async function directExchange(url: URL, headers: http.OutgoingHttpHeaders, options: ExchangeOptions): Promise<HttpExchange> {
  // undici takes an EventEmitter as its abort signal: cheaper per request than an AbortController.
  const abort = new EventEmitter();
  options.track({ destroy: () => abort.emit('abort') });
  const response = await directAgent(url, options).request({
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    headers: headers as Record<string, string>,
    signal: abort,
  });
  return { status: response.statusCode, headers: response.headers as http.IncomingHttpHeaders, body: response.body };
}

/** One agent for plain http, one for https: only the latter needs a TLS context. */
function directAgent(url: URL, options: ExchangeOptions): UndiciAgent {
  return memoizedAgent(directAgents, options, url.protocol, (tls) => {
    const connections = Math.max(1, Math.ceil(socketLimit(options) / PIPELINING));
    const { rejectUnauthorized, localAddress } = tls;
    const connect = connectOptions(url.protocol === 'https:' ? tls : { rejectUnauthorized, ...(localAddress ? { localAddress } : {}) });
    // Our own deadline bounds each attempt (http-get.ts); undici's timers would only cut it shorter.
    return new UndiciAgent({ connections, pipelining: PIPELINING, headersTimeout: 0, bodyTimeout: 0, connect });
  });
}

interface AgentMemo<A> {
  /** By the npm options object, then certificate: what every request asks, answered without hashing a CA list. */
  byOptions: WeakMap<Record<string, unknown>, Map<string, A>>;
  /** By the whole configuration: equal settings share connections, whichever object carries them. */
  byConfiguration: Map<string, A>;
}

const directAgents: AgentMemo<UndiciAgent> = { byOptions: new WeakMap(), byConfiguration: new Map() };

function memoizedAgent<A>(memo: AgentMemo<A>, options: ExchangeOptions, scope: string, create: (tls: TlsOptions) => A): A {
  const { npmOptions, auth } = options;
  let known = memo.byOptions.get(npmOptions);
  if (!known) memo.byOptions.set(npmOptions, (known = new Map()));
  const key = `${scope}\0${socketLimit(options)}\0${auth.cert ?? ''}\0${auth.key ?? ''}`;
  let agent = known.get(key);
  if (agent === undefined) {
    const tls = tlsOptions(npmOptions, auth);
    const configuration = JSON.stringify([key, tls, npmOptions.proxy, npmOptions.httpsProxy, npmOptions.noProxy]);
    agent = memo.byConfiguration.get(configuration) ?? create(tls);
    memo.byConfiguration.set(configuration, agent);
    known.set(key, agent);
  }
  return agent;
}

interface TlsOptions {
  ca?: string | string[];
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  localAddress?: string;
}

/** npm's TLS settings (`ca`, `cert`/`key` or the registry's certfile/keyfile, `strict-ssl`, `local-address`). */
function tlsOptions(npm: Record<string, unknown>, auth: NpmAuth): TlsOptions {
  const ca = npm.ca;
  const cert = auth.cert ?? npm.cert;
  const key = auth.key ?? npm.key;
  return {
    ...(typeof ca === 'string' || Array.isArray(ca) ? { ca: ca as string | string[] } : {}),
    ...(typeof cert === 'string' ? { cert } : {}),
    ...(typeof key === 'string' ? { key } : {}),
    rejectUnauthorized: npm.strictSSL === undefined ? process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0' : npm.strictSSL !== false,
    ...(typeof npm.localAddress === 'string' ? { localAddress: npm.localAddress } : {}),
  };
}

/**
 * A CA list or client certificate is read once into a TLS context shared by the agent's
 * connections; given as options, Node would parse them again for every connection (`cafile` is
 * often the whole system bundle).
 */
function connectOptions(tls: TlsOptions): UndiciAgent.Options['connect'] {
  const { ca, cert, key, ...rest } = tls;
  if (ca === undefined && cert === undefined && key === undefined) return rest;
  return { ...rest, secureContext: createSecureContext({ ca, cert, key }) };
}

function socketLimit(options: ExchangeOptions): number {
  const configured = options.npmOptions.maxSockets;
  return typeof configured === 'number' && configured > 0 ? configured : options.maxSockets;
}

/** The variables @npmcli/agent reads, in any case. */
const PROXY_VARIABLES = new Set(['https_proxy', 'http_proxy', 'proxy']);
const proxyDecisions = new WeakMap<Record<string, unknown>, boolean>();

function proxyConfigured(npm: Record<string, unknown>): boolean {
  let configured = proxyDecisions.get(npm);
  if (configured === undefined) {
    configured = Boolean(npm.proxy || npm.httpsProxy) || Object.entries(process.env).some(([name, value]) => Boolean(value) && PROXY_VARIABLES.has(name.toLowerCase()));
    proxyDecisions.set(npm, configured);
  }
  return configured;
}

async function proxiedExchange(url: URL, headers: http.OutgoingHttpHeaders, options: ExchangeOptions): Promise<HttpExchange> {
  const agent = await proxiedAgent(url, options);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { headers, agent }, (response) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response }));
    options.track(request);
    request.on('error', reject);
  });
}

const proxiedAgents: AgentMemo<Promise<http.Agent>> = { byOptions: new WeakMap(), byConfiguration: new Map() };

/** @npmcli/agent's agent for this origin (its proxy rules are per host) and client certificate. */
function proxiedAgent(url: URL, options: ExchangeOptions): Promise<http.Agent> {
  const npm = options.npmOptions;
  return memoizedAgent(proxiedAgents, options, `${url.protocol}//${url.host}`, async (tls) => {
    const { getAgent } = await import('@npmcli/agent');
    const agent = getAgent(url.href, { ...tls, proxy: npm.httpsProxy ?? npm.proxy, noProxy: npm.noProxy ?? process.env.NOPROXY, maxSockets: socketLimit(options), timeout: 0 });
    // @npmcli/agent keeps one agent per protocol; told which, agent-base stops inspecting a new
    // Error's stack on every request to guess it.
    (agent as { protocol?: string }).protocol = url.protocol;
    return agent;
  });
}
