/**
 * A tiny in-process npm registry on 127.0.0.1 for source tests: packuments, `/-/npm/v1/keys`,
 * arbitrary files, and per-path faults. It records every request (method, path, and whether an
 * Authorization header was present, never its value) and how many were in flight at once.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StaticFile {
  status?: number;
  body: string | object;
  headers?: Record<string, string>;
}

/** What to do instead of (or before) serving a path normally. */
export interface Fault {
  /** Answer with this status (and `body`, default empty) instead of the real content. */
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (or before the fault). */
  delayMs?: number;
  /** Send the real headers with the full Content-Length, half the body, then destroy the socket. */
  truncate?: boolean;
  /** Destroy the socket without answering. */
  reset?: boolean;
}

export interface StaticRegistryOptions {
  packuments?: Record<string, object>;
  keys?: object;
  files?: Record<string, StaticFile>;
  /**
   * Faults by path (as requested, e.g. `/@scope%2fname`). A single fault applies to every request;
   * a list applies to the first requests in order, and later requests are served normally.
   */
  behaviour?: Record<string, Fault | Fault[]>;
  /** Delay every response (to observe concurrency). */
  delayMs?: number;
}

export interface StaticRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** `GET /path` or `GET /path [auth]` when an Authorization header was sent. */
  requests: string[];
  /** Accept header of each request, in order. */
  acceptHeaders: Array<string | undefined>;
  /** Most requests in flight at the same time. */
  maxInFlight: number;
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

export async function startStaticRegistry(options: StaticRegistryOptions = {}): Promise<StaticRegistry> {
  const sockets = new Set<Socket>();
  const seen = new Map<string, number>();
  let inFlight = 0;

  const registry: StaticRegistry = {
    url: '',
    port: 0,
    requests: [],
    acceptHeaders: [],
    maxInFlight: 0,
    connections: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    registry.requests.push(`${request.method} ${path}${request.headers.authorization ? ' [auth]' : ''}`);
    registry.acceptHeaders.push(request.headers.accept);
    inFlight += 1;
    registry.maxInFlight = Math.max(registry.maxInFlight, inFlight);
    let done = false;
    const finish = (): void => {
      if (!done) inFlight -= 1;
      done = true;
    };
    response.on('close', finish);

    const count = seen.get(path) ?? 0;
    seen.set(path, count + 1);
    const fault = faultFor(options.behaviour?.[path], count);
    const delayMs = (fault?.delayMs ?? 0) + (options.delayMs ?? 0);
    const answer = (): void => {
      if (response.destroyed) return;
      if (fault?.reset) {
        // A TCP reset (RST), as its name says, not an orderly close.
        request.socket.resetAndDestroy();
        return;
      }
      if (fault?.status !== undefined) {
        response.writeHead(fault.status, fault.headers ?? {});
        response.end(fault.body ?? '');
        return;
      }
      const content = contentFor(path, options);
      const body = Buffer.from(typeof content.body === 'string' ? content.body : JSON.stringify(content.body));
      response.writeHead(content.status ?? 200, { 'content-type': 'application/json', 'content-length': String(body.length), ...content.headers });
      if (fault?.truncate) {
        response.write(body.subarray(0, Math.floor(body.length / 2)));
        setTimeout(() => request.socket.destroy(), 10);
        return;
      }
      response.end(body);
    };
    if (delayMs > 0) {
      const timer = setTimeout(answer, delayMs);
      response.on('close', () => clearTimeout(timer));
    } else {
      answer();
    }
  });
  server.on('connection', (socket) => {
    registry.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry.port = (server.address() as AddressInfo).port;
  registry.url = `http://127.0.0.1:${registry.port}/`;
  return registry;
}

function faultFor(behaviour: Fault | Fault[] | undefined, count: number): Fault | undefined {
  return Array.isArray(behaviour) ? behaviour[count] : behaviour;
}

function contentFor(path: string, options: StaticRegistryOptions): StaticFile {
  const file = options.files?.[path];
  if (file) return file;
  if (path === '/-/npm/v1/keys') return options.keys ? { body: options.keys } : notFound();
  const name = packageName(path);
  const packument = name === undefined ? undefined : options.packuments?.[name];
  return packument ? { body: packument } : notFound();
}

/** `/lodash`, `/@scope%2fname` (any case) or `/@scope/name`. */
function packageName(path: string): string | undefined {
  try {
    const name = decodeURIComponent(path.slice(1));
    return /^(@[^/]+\/)?[^/@]+$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

function notFound(): StaticFile {
  return { status: 404, body: { error: 'Not found' } };
}
