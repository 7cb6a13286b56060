/**
 * Interactive OIDC login for a person at a terminal, the flow sigstore-python and cosign use:
 * OAuth 2 authorization code with PKCE (S256), `state` and `nonce`, the code delivered to a
 * one-shot listener on 127.0.0.1, or typed in by the user (out of band) when no browser can be
 * opened on this machine.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import readline from 'node:readline/promises';

import { SigningError } from '../sign.types.js';
import { networkReason } from './github-actions.js';
import { readTokenClaims } from './token-claims.js';

export const OOB_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';
export const REDIRECT_PATH = '/auth/callback';
export const DEFAULT_LOGIN_TIMEOUT_MS = 5 * 60_000;
const HTTP_TIMEOUT_MS = 30_000;

export interface InteractiveLoginOptions {
  /** OIDC issuer URL; endpoints come from its `.well-known/openid-configuration`. */
  issuer: string;
  clientID: string;
  /** Opens the URL in a browser; false when none could be opened (then the flow goes out of band). */
  openBrowser: (url: string) => Promise<boolean>;
  /** Asks the user for the out-of-band code; the signal aborts when the login times out. */
  prompt: (question: string, signal: AbortSignal) => Promise<string>;
  log: (line: string) => void;
  fetch: typeof fetch;
  /** Skip the browser and the listener: the user pastes the code the issuer shows. */
  oob?: boolean;
  /** How long to wait for the browser or the typed code. Default 5 minutes. */
  timeoutMs?: number;
}

interface OIDCEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/** One login attempt's secrets: the PKCE verifier never leaves this process until the exchange. */
interface LoginAttempt {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectURI: string;
}

type CallbackResult = { code: string } | { failure: string };

/** Runs the login and returns the issuer's `id_token` (not yet checked for audience or expiry). */
export async function interactiveIdentityToken(options: InteractiveLoginOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const endpoints = await discoverEndpoints(options.issuer, options.fetch);

  if (!options.oob) {
    const listener = await startRedirectListener();
    try {
      const attempt = newLoginAttempt(listener.redirectURI);
      listener.expectState(attempt.state);
      const url = authorizationURL(endpoints, options.clientID, attempt);
      options.log('Sign in to get a signing identity; opening a browser at:');
      options.log(`  ${url}`);
      const opened = await options.openBrowser(url).catch(() => false);
      if (opened) {
        options.log('Waiting for the browser to finish the sign-in...');
        const callback = await withTimeout(listener.callback, timeoutMs, 'waiting for the browser to finish the sign-in');
        if ('failure' in callback) throw new SigningError(`interactive login: ${callback.failure}`);
        return await exchangeCode(endpoints, options, attempt, callback.code);
      }
      options.log('No browser could be opened here.');
    } finally {
      await listener.close();
    }
  }

  const attempt = newLoginAttempt(OOB_REDIRECT_URI);
  const url = authorizationURL(endpoints, options.clientID, attempt);
  options.log('Open this URL in a browser, sign in, then paste the verification code it shows:');
  options.log(`  ${url}`);
  const controller = new AbortController();
  try {
    const answer = await withTimeout(
      options.prompt('Enter verification code: ', controller.signal),
      timeoutMs,
      'waiting for the verification code',
    );
    const code = answer.trim();
    if (code === '') throw new SigningError('interactive login: no verification code was entered');
    return await exchangeCode(endpoints, options, attempt, code);
  } finally {
    controller.abort();
  }
}

async function discoverEndpoints(issuer: string, fetchImpl: typeof fetch): Promise<OIDCEndpoints> {
  const configURL = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const failure = (reason: string) =>
    new SigningError(`interactive login: cannot read the OIDC configuration of ${issuer}: ${reason}`);
  let response: Response;
  try {
    response = await fetchImpl(configURL, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (error) {
    throw failure(networkReason(error));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw failure(`HTTP ${response.status}`);
  }
  const config = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const authorizationEndpoint = config?.authorization_endpoint;
  const tokenEndpoint = config?.token_endpoint;
  if (typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string') {
    throw failure('it has no authorization_endpoint and token_endpoint');
  }
  return { authorizationEndpoint, tokenEndpoint };
}

function newLoginAttempt(redirectURI: string): LoginAttempt {
  const random = () => crypto.randomBytes(32).toString('base64url');
  return { state: random(), nonce: random(), codeVerifier: random(), redirectURI };
}

function authorizationURL(endpoints: OIDCEndpoints, clientID: string, attempt: LoginAttempt): string {
  const url = new URL(endpoints.authorizationEndpoint);
  const codeChallenge = crypto.createHash('sha256').update(attempt.codeVerifier).digest('base64url');
  const params = {
    response_type: 'code',
    client_id: clientID,
    redirect_uri: attempt.redirectURI,
    scope: 'openid email',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state: attempt.state,
    nonce: attempt.nonce,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.href;
}

async function exchangeCode(
  endpoints: OIDCEndpoints,
  options: InteractiveLoginOptions,
  attempt: LoginAttempt,
  code: string,
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    redirect_uri: attempt.redirectURI,
    code,
    code_verifier: attempt.codeVerifier,
  });
  // A public client: HTTP Basic with an empty secret, as sigstore-python sends to Sigstore's Dex.
  const clientAuth = Buffer.from(`${encodeURIComponent(options.clientID)}:`).toString('base64');
  let response: Response;
  try {
    response = await options.fetch(endpoints.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${clientAuth}`, accept: 'application/json' },
      body: form,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (error) {
    throw new SigningError(`interactive login: cannot reach the token endpoint (${networkReason(error)})`);
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  const oauthError = typeof body?.error === 'string' ? oauthErrorText(body.error, body.error_description) : undefined;
  if (!response.ok || oauthError !== undefined) {
    throw new SigningError(
      `interactive login: the token request failed with HTTP ${response.status}${oauthError ? ` (${oauthError})` : ''}`,
    );
  }
  const idToken = body?.id_token;
  if (typeof idToken !== 'string' || idToken === '') {
    throw new SigningError('interactive login: the token response has no id_token');
  }
  // OIDC Core 3.1.3.7: the ID token must carry the nonce this attempt sent.
  if (readTokenClaims(idToken, 'interactive').nonce !== attempt.nonce) {
    throw new SigningError('interactive login: the id_token does not carry the nonce of this login attempt');
  }
  return idToken;
}

function oauthErrorText(error: string, description: unknown): string {
  const text = typeof description === 'string' && description !== '' ? `${error}: ${description}` : error;
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

// ---------------------------------------------------------------------------
// The redirect listener

interface RedirectListener {
  redirectURI: string;
  expectState(state: string): void;
  /** Settles with the first request to REDIRECT_PATH. */
  callback: Promise<CallbackResult>;
  close(): Promise<void>;
}

const PAGE = (heading: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>pkgseal sign-in</title></head>` +
  `<body><h1>${heading}</h1><p>${text}</p></body></html>`;

async function startRedirectListener(): Promise<RedirectListener> {
  let expectedState: string | undefined;
  let settle: (result: CallbackResult) => void = () => {};
  const callback = new Promise<CallbackResult>((resolve) => {
    settle = resolve;
  });
  let settled = false;

  const server = http.createServer((req, res) => {
    const requestURL = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || requestURL.pathname !== REDIRECT_PATH || settled) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    settled = true;
    const result = callbackResult(requestURL.searchParams, expectedState);
    const page =
      'code' in result
        ? PAGE('Signed in', 'pkgseal received your sign-in. You may close this window and return to the terminal.')
        : PAGE('Sign-in failed', 'pkgseal could not use this sign-in. You may close this window; the terminal says why.');
    res.writeHead('code' in result ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page);
    settle(result);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    // `localhost`, as sigstore-python and cosign send: the redirect URI Sigstore's Dex accepts
    // for its public client (any port); it resolves to this loopback listener.
    redirectURI: `http://localhost:${port}${REDIRECT_PATH}`,
    expectState(state) {
      expectedState = state;
    },
    callback,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function callbackResult(params: URLSearchParams, expectedState: string | undefined): CallbackResult {
  if (expectedState === undefined || params.get('state') !== expectedState) {
    return { failure: 'the sign-in response does not carry the state of this login attempt (it was not started by this pkgseal)' };
  }
  const error = params.get('error');
  if (error !== null) {
    return { failure: `the identity provider refused the sign-in: ${oauthErrorText(error, params.get('error_description'))}` };
  }
  const code = params.get('code');
  if (code === null || code === '') return { failure: 'the sign-in response has no code' };
  return { code };
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, waitingFor: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new SigningError(`interactive login: timed out after ${formatDuration(timeoutMs)} ${waitingFor}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  return `${Math.round(ms / 100) / 10} s`;
}

// ---------------------------------------------------------------------------
// Defaults for a real terminal

/** Reads one line from stdin, asking on stderr (stdout may be piped to a file). */
export async function promptOnTerminal(question: string, signal: AbortSignal): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question, { signal });
  } finally {
    rl.close();
  }
}

const BROWSER_LAUNCH_GRACE_MS = 2_000;

/**
 * Opens the URL with the platform's opener, never through a shell (the URL holds `&`). `$BROWSER`
 * (a list of executables, as Python's webbrowser reads it) comes first: VS Code remote terminals
 * and Codespaces set it to forward URLs to the local browser. On Windows `start` is a cmd.exe
 * builtin that needs a shell, so `rundll32 url.dll,FileProtocolHandler` is used instead.
 */
export async function openSystemBrowser(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<boolean> {
  const candidates: Array<[string, string[]]> = (env.BROWSER ?? '')
    .split(path.delimiter)
    .filter((command) => command !== '')
    .map((command) => [command, [url]]);
  if (platform === 'darwin') candidates.push(['open', [url]]);
  else if (platform === 'win32') candidates.push(['rundll32', ['url.dll,FileProtocolHandler', url]]);
  else if (env.DISPLAY || env.WAYLAND_DISPLAY) candidates.push(['xdg-open', [url]]);
  for (const [command, args] of candidates) {
    if (await launch(command, args)) return true;
  }
  return false;
}

/** True when the opener exited 0, or is still running after a grace period (it launched a browser). */
function launch(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, windowsHide: true });
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, BROWSER_LAUNCH_GRACE_MS);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
