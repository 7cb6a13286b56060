import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Dispatcher, Agent as UndiciAgent } from 'undici';
// Only the connection pool: undici's index also loads fetch, WebSocket, cookies… (~0.4 MB more to compile).
import UndiciAgentClass from 'undici/lib/dispatcher/agent.js';
import { truncatedError } from './http-errors.js';
import type { NpmAuth } from './npm-auth.js';
import { ResponseBody, type HttpResponse } from './response-body.js';

export type { HttpResponse } from './response-body.js';

/** Something in flight that a deadline can cut off. */
export interface Cancellable {
  destroy(error: Error): void;
}

export interface ExchangeOptions {
  /** npm configuration (`@npmcli/config` flat options): ca, proxy, noProxy, strictSSL, localAddress, maxSockets. */
  npmOptions: Record<string, unknown>;
  /** The credentials npm picked for this URL: its client certificate goes into the TLS options. */
  auth: NpmAuth;
  maxSockets: number;
  /** A 2xx body longer than this (declared or received, as sent) fails: see response-body.ts. */
  maxBytes: number | undefined;
  /** Told what to destroy if the deadline passes. */
  track(active: Cancellable): void;
}

/**
 * Sends one GET and reads its whole response by the rules of response-body.ts. Without a proxy it
 * goes on undici's keep-alive connections, several requests pipelined on each: a registry answers
 * a tree's packuments with a fraction of the reads and writes (and CPU) that one request per
 * connection costs. With a proxy configured anywhere (npm's `proxy`/`https-proxy`, or the
 * environment), every request takes npm's own agents instead (@npmcli/agent: http(s) and socks
 * proxies, `noproxy`), exactly as npm would connect.
 */
export function exchange(url: URL, headers: http.OutgoingHttpHeaders, options: ExchangeOptions): Promise<HttpResponse> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError('not an http(s) URL'));
  return proxyConfigured(options.npmOptions) ? proxiedExchange(url, headers, options) : directExchange(url, headers, options);
}

/** Requests in flight on one connection; a pool opens maxSockets / PIPELINING connections. */
const PIPELINING = 4;

/**
 * undici's dispatcher with a handler that collects the body itself: no response stream, promise
 * or abort signal per request (about a quarter of the CPU a cold process spent per request with
 * `Agent.request`).
 */
function directExchange(url: URL, headers: http.OutgoingHttpHeaders, options: ExchangeOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let body: ResponseBody | undefined;
    let settled = false;
    let abortRequest: ((error: Error) => void) | undefined;
    let cancelledWith: Error | undefined;
    /** undici may be inside its parser: the connection is cut on the next tick, after returning false. */
    const cancel = (error: Error) => {
      if (abortRequest) process.nextTick(abortRequest, error);
      else cancelledWith = error;
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      reject(error);
      cancel(error);
    };
    const handler: Dispatcher.DispatchHandlers = {
      onConnect(abort) {
        if (cancelledWith) abort(cancelledWith);
        else abortRequest = abort;
      },
      onHeaders(status, rawHeaders) {
        if (settled) return false;
        try {
          body = new ResponseBody(status, headersFrom(rawHeaders), options.maxBytes);
          return true;
        } catch (error) {
          fail(error as Error);
          return false;
        }
      },
      onData(chunk) {
        if (settled || !body) return false;
        try {
          if (body.add(chunk)) return true;
          // A body nobody keeps went on too long: the caller has its status, the connection goes.
          settled = true;
          resolve(body.response());
          cancel(truncatedError());
          return false;
        } catch (error) {
          fail(error as Error);
          return false;
        }
      },
      onComplete() {
        if (settled || !body) return;
        try {
          const response = body.finish();
          settled = true;
          resolve(response);
        } catch (error) {
          fail(error as Error);
        }
      },
      onError(error) {
        const code = (error as { code?: unknown }).code;
        fail(body && typeof code === 'string' && CUT_SHORT.has(code) ? truncatedError() : error);
      },
    };
    options.track({ destroy: fail });
    directAgent(url, options).dispatch({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers: headers as Record<string, string> }, handler);
  });
}

/** A connection that closed before the body was whole, as undici reports it. */
const CUT_SHORT = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

/**
 * Response headers by lower-case name. A repeated header becomes a list, which no check here
 * accepts where one value is expected (Node's http would keep the first `location` and join
 * other repeats). No prototype: a header named `__proto__` is just a header.
 */
function headersFrom(raw: Buffer[] | string[] | null): http.IncomingHttpHeaders {
  const headers = Object.create(null) as Record<string, string | string[]>;
  if (!raw) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const known = headers[name];
    if (known === undefined) headers[name] = value;
    else if (Array.isArray(known)) known.push(value);
    else headers[name] = [known, value];
  }
  return headers as http.IncomingHttpHeaders;
}

/** One agent for plain http, one for https: only the latter needs a TLS context. */
function directAgent(url: URL, options: ExchangeOptions): UndiciAgent {
  return memoizedAgent(directAgents, options, url.protocol, (tls) => {
    const connections = Math.max(1, Math.ceil(socketLimit(options) / PIPELINING));
    const { rejectUnauthorized, localAddress } = tls;
    const connect = connectOptions(url.protocol === 'https:' ? tls : { rejectUnauthorized, ...(localAddress ? { localAddress } : {}) });
    // Our own deadline bounds each attempt (http-get.ts); undici's timers would only cut it shorter.
    return new UndiciAgentClass({ connections, pipelining: PIPELINING, headersTimeout: 0, bodyTimeout: 0, connect });
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

async function proxiedExchange(url: URL, headers: http.OutgoingHttpHeaders, options: ExchangeOptions): Promise<HttpResponse> {
  const agent = await proxiedAgent(url, options);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = transport.get(url, { headers, agent }, (response) => {
      let body: ResponseBody;
      try {
        // From the raw headers, as for direct requests: Node would keep only the first of two locations.
        body = new ResponseBody(response.statusCode ?? 0, headersFrom(response.rawHeaders), options.maxBytes);
      } catch (error) {
        return fail(error as Error);
      }
      response.on('data', (chunk: Buffer) => {
        if (settled) return;
        try {
          if (body.add(chunk)) return;
          settled = true;
          resolve(body.response());
          request.destroy();
        } catch (error) {
          fail(error as Error);
        }
      });
      response.on('end', () => {
        if (settled) return;
        // Node ends a response whose connection closed early too; `complete` tells them apart.
        if (!response.complete) return fail(truncatedError());
        try {
          settled = true;
          resolve(body.finish());
        } catch (error) {
          fail(error as Error);
        }
      });
      response.on('aborted', () => fail(truncatedError()));
      response.on('error', (error: Error & { code?: string }) => fail(error.code === 'ECONNRESET' ? truncatedError() : error));
    });
    function fail(error: Error): void {
      if (settled) return;
      settled = true;
      reject(error);
      request.destroy();
    }
    options.track({ destroy: fail });
    request.on('error', fail);
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
