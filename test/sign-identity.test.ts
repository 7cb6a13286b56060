/**
 * Signing identity: the order of sources, token checks, GitHub Actions ambient credentials against
 * a fake token endpoint, and the interactive OAuth login against oauth2-mock-server, driven without
 * a person (the test's `openBrowser` and `prompt` do the browser's and the user's part). All on
 * 127.0.0.1; no token or request token ever appears in an error or a log line.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';

import { OAuth2Server } from 'oauth2-mock-server';

import { OOB_REDIRECT_URI, openSystemBrowser } from '../src/sign/identity/interactive-oauth.js';
import {
  NO_IDENTITY_MESSAGE,
  isCI,
  resolveIdentityToken,
  type ResolveIdentityOptions,
} from '../src/sign/identity/resolve-identity.js';
import { readTokenClaims } from '../src/sign/identity/token-claims.js';
import { SigningError, type SigningInstance } from '../src/sign/sign.types.js';

// ---------------------------------------------------------------------------
// Fixtures

const CANARY = 'CANARYc4n4ry0123456789CANARY';
const REQUEST_TOKEN_CANARY = 'ghrt_CANARY_request_token_0123456789';
const nowSeconds = () => Math.floor(Date.now() / 1000);

function jwt(claims: Record<string, unknown>, signature = 'c2lnbmF0dXJl'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${signature}`;
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  return { iss: 'https://issuer.example', sub: 'signer@example.com', aud: 'sigstore', iat: now, exp: now + 600, ...overrides };
}

const instance: SigningInstance = {
  fulcioURL: 'http://127.0.0.1:9/fulcio',
  oidcIssuer: 'http://127.0.0.1:9/oidc',
  oidcClientID: 'sigstore',
};

interface Run {
  logs: string[];
  options(overrides?: Partial<ResolveIdentityOptions>): ResolveIdentityOptions;
}

function run(): Run {
  const logs: string[] = [];
  return {
    logs,
    options: (overrides = {}) => ({
      env: {},
      instance,
      interactive: false,
      log: (line) => logs.push(line),
      openBrowser: () => Promise.reject(new Error('the browser must not be opened here')),
      prompt: () => Promise.reject(new Error('the user must not be prompted here')),
      ...overrides,
    }),
  };
}

/** Rejects with a SigningError whose message matches, and that quotes none of the secrets. */
async function rejectsWithout(
  promise: Promise<unknown>,
  message: RegExp | string,
  secrets: string[],
  logs: string[] = [],
): Promise<SigningError> {
  let caught: unknown;
  await assert.rejects(promise, (error) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof SigningError, `expected a SigningError, got ${inspect(caught)}`);
  if (typeof message === 'string') assert.equal(caught.message, message);
  else assert.match(caught.message, message);
  assertNoSecret([caught.message, caught.stack ?? '', inspect(caught), ...logs], secrets);
  return caught;
}

function assertNoSecret(texts: string[], secrets: string[]): void {
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  }
}

interface FakeServer {
  url: string;
  requests: Array<{ url: URL; authorization: string | undefined }>;
  reply: (res: http.ServerResponse) => void;
  close(): Promise<void>;
}

async function startFakeServer(): Promise<FakeServer> {
  const fake: FakeServer = {
    url: '',
    requests: [],
    reply: (res) => res.writeHead(404).end(),
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    fake.requests.push({ url: new URL(req.url ?? '/', fake.url), authorization: req.headers.authorization });
    fake.reply(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return fake;
}

const json = (status: number, body: unknown) => (res: http.ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));

// ---------------------------------------------------------------------------

describe('token sources and their order', () => {
  it('takes --identity-token over SIGSTORE_ID_TOKEN and GitHub Actions', async () => {
    const { options, logs } = run();
    const flagToken = jwt(claims({ sub: 'flag@example.com' }), CANARY);
    const env = {
      SIGSTORE_ID_TOKEN: jwt(claims({ sub: 'env@example.com' })),
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/never-asked?api-version=2.0',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN_CANARY,
    };
    const identity = await resolveIdentityToken(options({ identityToken: `${flagToken}\n`, env }));
    assert.deepEqual(identity, { token: flagToken, source: 'flag' });
    assert.deepEqual(logs, [], 'a resolved token prints nothing: the signed line names the certified signer');
    assertNoSecret(logs, [CANARY, flagToken]);
  });

  it('does not fall through to SIGSTORE_ID_TOKEN when --identity-token is unusable', async () => {
    const { options } = run();
    const expired = jwt(claims({ exp: nowSeconds() - 3600 }), CANARY);
    await rejectsWithout(
      resolveIdentityToken(options({ identityToken: expired, env: { SIGSTORE_ID_TOKEN: jwt(claims()) } })),
      /^--identity-token: token expired at /,
      [CANARY, expired],
    );
  });

  it('takes SIGSTORE_ID_TOKEN (how GitLab id_tokens: reach pkgseal) over GitHub Actions', async () => {
    const { options } = run();
    const token = jwt(claims({ iss: 'https://gitlab.com', sub: 'project_path:acme/demo:ref_type:tag:ref:v1' }));
    const env = {
      SIGSTORE_ID_TOKEN: token,
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/never-asked',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN_CANARY,
    };
    assert.deepEqual(await resolveIdentityToken(options({ env })), { token, source: 'env' });
  });

  it('treats an empty SIGSTORE_ID_TOKEN as unset', async () => {
    const { options } = run();
    await rejectsWithout(resolveIdentityToken(options({ env: { SIGSTORE_ID_TOKEN: '' } })), NO_IDENTITY_MESSAGE, []);
  });

  it('fails with the list of ways to get an identity in CI, without trying the browser', async () => {
    const { options } = run();
    await rejectsWithout(
      resolveIdentityToken(options({ env: { CI: 'true', GITHUB_ACTIONS: 'true' }, interactive: true })),
      NO_IDENTITY_MESSAGE,
      [],
    );
  });

  it('fails the same way off a terminal', async () => {
    const { options } = run();
    await rejectsWithout(resolveIdentityToken(options({ env: {}, interactive: false })), NO_IDENTITY_MESSAGE, []);
  });

  it('reads CI the way CI systems set it', () => {
    assert.equal(isCI({ CI: 'true' }), true);
    assert.equal(isCI({ CI: '1' }), true);
    assert.equal(isCI({ CI: 'false' }), false);
    assert.equal(isCI({ CI: '' }), false);
    assert.equal(isCI({}), false);
  });
});

describe('token checks', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['an expired token', jwt(claims({ exp: nowSeconds() - 120 }), CANARY), /^SIGSTORE_ID_TOKEN: token expired at \d{4}-\d\d-\d\dT/],
    ['a token not valid yet', jwt(claims({ nbf: nowSeconds() + 3600 }), CANARY), /^SIGSTORE_ID_TOKEN: token is not valid before /],
    ['a token for another audience', jwt(claims({ aud: 'npm' }), CANARY), /^SIGSTORE_ID_TOKEN: token audience is \["npm"\], expected "sigstore"/],
    ['a token without an audience', jwt(claims({ aud: undefined }), CANARY), /^SIGSTORE_ID_TOKEN: token audience is \[\]/],
    ['a token without iss', jwt(claims({ iss: undefined }), CANARY), /^SIGSTORE_ID_TOKEN: token has no `iss` claim$/],
    ['a token without exp', jwt(claims({ exp: 'tomorrow' }), CANARY), /^SIGSTORE_ID_TOKEN: token has no numeric `exp` claim$/],
    ['a token with two parts', `${CANARY}.${CANARY}`, /^SIGSTORE_ID_TOKEN: malformed token: a JWT has three base64url parts separated by "\.", this has 2$/],
    ['an opaque token', CANARY, /this has 1$/],
    ['a token that is not base64url', `eyJhbGciOiJSUzI1NiJ9.${CANARY}+/=.sig`, /malformed token: the JWT payload is not base64url$/],
    ['a token whose payload is not JSON', `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(`{"iss":"${CANARY}`).toString('base64url')}.sig`, /malformed token: the JWT payload is not JSON$/],
    ['a token whose payload is an array', `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('["x"]').toString('base64url')}.${CANARY}`, /the JWT payload is not a JSON object$/],
  ];
  for (const [name, token, message] of cases) {
    it(`rejects ${name}, naming the source and never quoting the token`, async () => {
      const { options, logs } = run();
      await rejectsWithout(resolveIdentityToken(options({ env: { SIGSTORE_ID_TOKEN: token } })), message, [CANARY, token], logs);
      assert.deepEqual(logs, []);
    });
  }

  it('accepts a token that expired within the 30 s clock leeway', async () => {
    const { options } = run();
    const token = jwt(claims({ exp: nowSeconds() - 10 }));
    assert.equal((await resolveIdentityToken(options({ env: { SIGSTORE_ID_TOKEN: token } }))).source, 'env');
  });

  it('accepts an audience list that contains sigstore', async () => {
    const { options } = run();
    const token = jwt(claims({ aud: ['other', 'sigstore'] }));
    assert.equal((await resolveIdentityToken(options({ identityToken: token }))).token, token);
  });
});

describe('GitHub Actions ambient credentials', () => {
  let gh: FakeServer;
  before(async () => {
    gh = await startFakeServer();
  });
  after(() => gh.close());

  const envFor = () => ({
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.url}/_apis/distributedtask/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN_CANARY,
  });

  it('requests a token for audience sigstore with the bearer request token', async () => {
    const { options, logs } = run();
    const token = jwt(claims({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:acme/demo:ref:refs/tags/v1' }), CANARY);
    gh.reply = json(200, { count: 1, value: token });
    gh.requests.length = 0;
    const identity = await resolveIdentityToken(options({ env: envFor(), interactive: true }));
    assert.deepEqual(identity, { token, source: 'github-actions' });
    const [request] = gh.requests;
    assert.equal(gh.requests.length, 1);
    assert.equal(request?.url.pathname, '/_apis/distributedtask/token');
    assert.equal(request?.url.searchParams.get('api-version'), '2.0');
    assert.equal(request?.url.searchParams.get('audience'), 'sigstore');
    assert.equal(request?.authorization, `Bearer ${REQUEST_TOKEN_CANARY}`);
    assertNoSecret(logs, [CANARY, REQUEST_TOKEN_CANARY]);
  });

  it('fails on an HTTP 500 with the permissions hint, quoting neither token', async () => {
    const { options, logs } = run();
    gh.reply = json(500, { message: `internal error for ${REQUEST_TOKEN_CANARY}` });
    await rejectsWithout(
      resolveIdentityToken(options({ env: envFor() })),
      'GitHub Actions: the ID token request failed with HTTP 500; check that the job has `permissions: id-token: write`',
      [REQUEST_TOKEN_CANARY],
      logs,
    );
  });

  const malformed: Array<[string, string, RegExp]> = [
    ['a body that is not JSON', `value=${CANARY}`, /^GitHub Actions: the ID token response is not JSON$/],
    ['a body without value', JSON.stringify({ token: CANARY }), /^GitHub Actions: the ID token response has no `value` string$/],
    ['a value that is not a string', JSON.stringify({ value: 42 }), /has no `value` string$/],
  ];
  for (const [name, body, message] of malformed) {
    it(`fails on ${name}`, async () => {
      const { options } = run();
      gh.reply = json(200, body);
      await rejectsWithout(resolveIdentityToken(options({ env: envFor() })), message, [CANARY, REQUEST_TOKEN_CANARY]);
    });
  }

  it('checks the token it gets like any other', async () => {
    const { options } = run();
    const token = jwt(claims({ aud: 'https://github.com/acme' }), CANARY);
    gh.reply = json(200, { value: token });
    await rejectsWithout(
      resolveIdentityToken(options({ env: envFor() })),
      /^GitHub Actions: token audience is \["https:\/\/github.com\/acme"\], expected "sigstore"/,
      [CANARY, token, REQUEST_TOKEN_CANARY],
    );
  });

  it('fails when the token endpoint cannot be reached', async () => {
    const { options } = run();
    const closed = await startFakeServer();
    await closed.close();
    const env = { ...envFor(), ACTIONS_ID_TOKEN_REQUEST_URL: `${closed.url}/token?api-version=2.0` };
    await rejectsWithout(
      resolveIdentityToken(options({ env })),
      'GitHub Actions: cannot reach the ID token endpoint (ECONNREFUSED)',
      [REQUEST_TOKEN_CANARY],
    );
  });
});

// ---------------------------------------------------------------------------
// Interactive login against oauth2-mock-server

interface TokenExchange {
  form: Record<string, string>;
  idToken: string;
}

describe('interactive OAuth login', () => {
  let oidc: OAuth2Server;
  let issuer: string;
  const exchanges: TokenExchange[] = [];

  before(async () => {
    oidc = new OAuth2Server();
    await oidc.issuer.keys.generate('RS256');
    await oidc.start(0, '127.0.0.1');
    issuer = oidc.issuer.url ?? assert.fail('the mock issuer has no URL');
    oidc.service.on('beforeResponse', (response: { body: Record<string, unknown> }, req: { body: Record<string, string> }) => {
      exchanges.push({ form: req.body, idToken: String(response.body.id_token) });
    });
  });
  after(() => oidc.stop());

  const interactiveInstance = (overrides: Partial<SigningInstance> = {}): SigningInstance => ({
    ...instance,
    oidcIssuer: issuer,
    ...overrides,
  });

  /** The browser's part: ask the issuer to authorize, then follow its redirect (optionally altered). */
  async function browse(authorizeURL: string, alter?: (redirect: URL) => void): Promise<{ status: number; page: string }> {
    const authorize = await fetch(authorizeURL, { redirect: 'manual' });
    assert.equal(authorize.status, 302);
    const redirect = new URL(authorize.headers.get('location') ?? assert.fail('no redirect'));
    alter?.(redirect);
    const callback = await fetch(redirect);
    return { status: callback.status, page: await callback.text() };
  }

  /** The user's part in the out-of-band flow: open the URL, read the code the issuer shows. */
  async function codeShownFor(authorizeURL: string): Promise<string> {
    const authorize = await fetch(authorizeURL, { redirect: 'manual' });
    const redirect = new URL(authorize.headers.get('location') ?? assert.fail('no redirect'));
    assert.equal(`${redirect.protocol}${redirect.pathname}`, OOB_REDIRECT_URI);
    return redirect.searchParams.get('code') ?? assert.fail('no code');
  }

  const loggedURL = (logs: string[]) => new URL(([...logs].reverse().find((line) => line.startsWith('  http')) ?? assert.fail('no URL logged')).trim());

  it('gets the id_token through the browser and the local listener, with PKCE, state and nonce', async () => {
    const { options, logs } = run();
    let authorizeURL: URL | undefined;
    let browserResult: { status: number; page: string } | undefined;
    const identity = await resolveIdentityToken(
      options({
        instance: interactiveInstance(),
        interactive: true,
        openBrowser: async (url) => {
          authorizeURL = new URL(url);
          browserResult = await browse(url);
          return true;
        },
      }),
    );
    assert.ok(authorizeURL);
    const params = authorizeURL.searchParams;
    assert.equal(`${authorizeURL.origin}${authorizeURL.pathname}`, `${issuer}/authorize`);
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), 'sigstore');
    assert.equal(params.get('scope'), 'openid email');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('redirect_uri') ?? '', /^http:\/\/localhost:\d+\/auth\/callback$/);
    assert.ok((params.get('state') ?? '').length >= 32);
    assert.equal(loggedURL(logs).href, authorizeURL.href, 'the URL is printed even when the browser opens');

    assert.equal(browserResult?.status, 200);
    assert.match(browserResult?.page ?? '', /You may close this window/);

    const exchange = exchanges.at(-1) ?? assert.fail('no token exchange');
    assert.equal(identity.source, 'interactive');
    assert.equal(identity.token, exchange.idToken);
    assert.equal(exchange.form.grant_type, 'authorization_code');
    assert.equal(exchange.form.redirect_uri, params.get('redirect_uri'));
    const verifier = exchange.form.code_verifier ?? '';
    assert.equal(crypto.createHash('sha256').update(verifier).digest('base64url'), params.get('code_challenge'));

    const tokenClaims = readTokenClaims(identity.token, 'interactive');
    assert.deepEqual(tokenClaims.audience, ['sigstore']);
    assert.equal(tokenClaims.issuer, issuer);
    assert.equal(tokenClaims.nonce, params.get('nonce'));
    assertNoSecret(logs, [identity.token, verifier]);
  });

  it('rejects a redirect whose state is not the one it sent', async () => {
    const { options, logs } = run();
    let browserResult: { status: number; page: string } | undefined;
    await rejectsWithout(
      resolveIdentityToken(
        options({
          instance: interactiveInstance(),
          interactive: true,
          openBrowser: async (url) => {
            browserResult = await browse(url, (redirect) => redirect.searchParams.set('state', 'forged'));
            return true;
          },
        }),
      ),
      /^interactive login: the sign-in response does not carry the state of this login attempt/,
      [],
      logs,
    );
    assert.equal(browserResult?.status, 400);
    assert.match(browserResult?.page ?? '', /Sign-in failed/);
  });

  it('reports an error the identity provider redirects with', async () => {
    const { options } = run();
    await rejectsWithout(
      resolveIdentityToken(
        options({
          instance: interactiveInstance(),
          interactive: true,
          openBrowser: async (url) => {
            const sent = new URL(url).searchParams;
            const redirect = new URL(sent.get('redirect_uri') ?? '');
            redirect.search = new URLSearchParams({ error: 'access_denied', error_description: 'user said no', state: sent.get('state') ?? '' }).toString();
            await fetch(redirect);
            return true;
          },
        }),
      ),
      'interactive login: the identity provider refused the sign-in: access_denied: user said no',
      [],
    );
  });

  it('rejects the id_token when the issuer gives it another audience', async () => {
    const { options } = run();
    await rejectsWithout(
      resolveIdentityToken(
        options({
          instance: interactiveInstance({ oidcClientID: 'not-sigstore' }),
          interactive: true,
          openBrowser: async (url) => {
            await browse(url);
            return true;
          },
        }),
      ),
      /^interactive login: token audience is \["not-sigstore"\], expected "sigstore"/,
      [exchanges.at(-1)?.idToken ?? CANARY],
    );
  });

  it('fails with the token endpoint error when the code is not accepted', async () => {
    const { options } = run();
    await rejectsWithout(
      resolveIdentityToken(
        options({
          instance: interactiveInstance(),
          interactive: true,
          openBrowser: async (url) => {
            await browse(url, (redirect) => redirect.searchParams.set('code', 'made-up-code'));
            return true;
          },
        }),
      ),
      /^interactive login: the token request failed with HTTP 400 \(invalid_request: code_challenge required\)$/,
      [],
    );
  });

  it('falls back to the out-of-band code when no browser can be opened', async () => {
    const { options, logs } = run();
    let questionAsked: string | undefined;
    const identity = await resolveIdentityToken(
      options({
        instance: interactiveInstance(),
        interactive: true,
        openBrowser: () => Promise.resolve(false),
        prompt: async (question) => {
          questionAsked = question;
          const oobURL = loggedURL(logs);
          assert.equal(oobURL.searchParams.get('redirect_uri'), OOB_REDIRECT_URI);
          assert.equal(oobURL.searchParams.get('code_challenge_method'), 'S256');
          return `${await codeShownFor(oobURL.href)}\n`;
        },
      }),
    );
    assert.equal(questionAsked, 'Enter verification code: ');
    const exchange = exchanges.at(-1) ?? assert.fail('no token exchange');
    assert.equal(exchange.form.redirect_uri, OOB_REDIRECT_URI);
    assert.deepEqual(identity, { token: exchange.idToken, source: 'interactive' });
  });

  it('goes out of band straight away with --oob', async () => {
    const { options, logs } = run();
    const identity = await resolveIdentityToken(
      options({
        instance: interactiveInstance(),
        interactive: true,
        oob: true,
        prompt: async () => codeShownFor(loggedURL(logs).href),
      }),
    );
    assert.equal(identity.source, 'interactive');
    assert.equal(logs.filter((line) => line.startsWith('  http')).length, 1, 'only the out-of-band URL is printed');
  });

  it('fails when no verification code is entered', async () => {
    const { options } = run();
    await rejectsWithout(
      resolveIdentityToken(options({ instance: interactiveInstance(), interactive: true, oob: true, prompt: async () => '  \n' })),
      'interactive login: no verification code was entered',
      [],
    );
  });

  it('times out waiting for the browser, and closes the listener', async () => {
    const { options } = run();
    let redirectURI = '';
    await rejectsWithout(
      resolveIdentityToken(
        options({
          instance: interactiveInstance(),
          interactive: true,
          interactiveTimeoutMs: 200,
          openBrowser: async (url) => {
            redirectURI = new URL(url).searchParams.get('redirect_uri') ?? '';
            return true;
          },
        }),
      ),
      'interactive login: timed out after 0.2 s waiting for the browser to finish the sign-in',
      [],
    );
    await assert.rejects(fetch(redirectURI), /fetch failed/);
  });

  it('times out waiting for the verification code, and aborts the prompt', async () => {
    const { options } = run();
    let promptSignal: AbortSignal | undefined;
    await rejectsWithout(
      resolveIdentityToken(
        options({
          instance: interactiveInstance(),
          interactive: true,
          oob: true,
          interactiveTimeoutMs: 200,
          prompt: (_question, signal) => {
            promptSignal = signal;
            return new Promise(() => {});
          },
        }),
      ),
      'interactive login: timed out after 0.2 s waiting for the verification code',
      [],
    );
    assert.equal(promptSignal?.aborted, true);
  });

  it('fails clearly when the issuer has no OIDC configuration', async () => {
    const { options } = run();
    await rejectsWithout(
      resolveIdentityToken(options({ instance: interactiveInstance({ oidcIssuer: `${issuer}/nowhere` }), interactive: true })),
      `interactive login: cannot read the OIDC configuration of ${issuer}/nowhere: HTTP 404`,
      [],
    );
  });
});

describe('the default browser opener', () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-browser-'));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  const url = 'https://issuer.example/authorize?response_type=code&client_id=sigstore&state=a;b$c';

  it('gives up on Linux without a display', async () => {
    assert.equal(await openSystemBrowser(url, {}, 'linux'), false);
  });

  it('gives up when $BROWSER cannot be run', async () => {
    assert.equal(await openSystemBrowser(url, { BROWSER: path.join(dir, 'missing-browser') }, 'linux'), false);
  });

  it('hands the URL to $BROWSER as one argument, without a shell', { skip: process.platform === 'win32' }, async () => {
    const received = path.join(dir, 'received-url');
    const browser = path.join(dir, 'fake-browser');
    await fs.writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${received}'\n`, { mode: 0o755 });
    assert.equal(await openSystemBrowser(url, { BROWSER: browser }, 'linux'), true);
    assert.equal(await fs.readFile(received, 'utf8'), url);
  });
});
