import npmGetAuth from 'npm-registry-fetch/lib/auth.js';

/** What npm authenticates a URL with: a (scoped) registry's token or basic auth, client certificates. */
export interface NpmAuth {
  token?: string;
  auth?: string;
  cert?: string;
  key?: string;
}

/** The registry a URL belongs to and the package spec: npm picks credentials by them. */
export interface NpmAuthRequest {
  npmOptions: Record<string, unknown>;
  registry?: string;
  spec?: string;
}

/**
 * What npm would authenticate this URL with (npm-registry-fetch's `getAuth`), memoised: getAuth
 * walks the URL's path up, looking for `//host/path…:_authToken` keys, so every URL under a prefix
 * below which no key is configured gets the same answer. The host's root usually is one (one
 * answer per host); else the URL's folder may be.
 */
export function npmAuth(url: string, request: NpmAuthRequest): NpmAuth {
  const memo = authMemo(request.npmOptions);
  const origin = url.slice(0, url.indexOf('/', url.indexOf('//') + 2) + 1);
  const folder = url.slice(0, url.lastIndexOf('/') + 1);
  const prefix = [origin, folder].find((candidate) => !keysBelow(candidate, memo));
  const registry = request.registry ?? request.npmOptions.registry;
  const memoKey = prefix === undefined ? undefined : `${prefix}\0${String(registry)}\0${request.spec?.split('/')[0] ?? ''}`;
  const known = memoKey === undefined ? undefined : memo.answers.get(memoKey);
  if (known) return known;
  const getAuth = npmGetAuth as (uri: string, opts: Record<string, unknown>) => NpmAuth;
  // npm's flat options have hundreds of keys and getAuth only reads a few: inherit, don't copy.
  const opts = Object.create(request.npmOptions) as Record<string, unknown>;
  if (request.registry) opts.registry = request.registry;
  if (request.spec) opts.spec = request.spec;
  const auth = getAuth(url, opts);
  if (memoKey !== undefined) memo.answers.set(memoKey, auth);
  return auth;
}

/** The `authorization` header npm would send with this auth. */
export function authorizationHeader(auth: NpmAuth): string | undefined {
  return auth.token ? `Bearer ${auth.token}` : auth.auth ? `Basic ${auth.auth}` : undefined;
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
}

const authMemos = new WeakMap<Record<string, unknown>, AuthMemo>();

function authMemo(npmOptions: Record<string, unknown>): AuthMemo {
  let memo = authMemos.get(npmOptions);
  if (!memo) {
    const authKeys = Object.keys(npmOptions).filter((key) => key.startsWith('//')).map((key) => key.slice(0, key.lastIndexOf(':')));
    memo = { authKeys, answers: new Map(), keysBelow: new Map() };
    authMemos.set(npmOptions, memo);
  }
  return memo;
}
