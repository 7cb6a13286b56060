/**
 * Issue 7, secrets: registry auth tokens (`.npmrc` `_authToken`, `npm_config_//host/:_authToken`),
 * url-source bearer tokens, credentials in a url template and OIDC identity tokens never appear
 * in what pkgseal prints or writes (text, JSON, SARIF, --output, error lines), even when a server
 * echoes them back in its error bodies, headers or redirects. Canary values make a leak visible.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './support/cli.js';
import { assertNoStackTrace, attestationsPath, cleanEnv, closeRegistries, EVIL, GOOD, packumentPath, readBundle, registryProject, scratchDir, type RegistryProjectOptions } from './support/hostile-project.js';

const NPM_TOKEN = 'npm_CANARYregistryToken0123456789abcdef';
const URL_TOKEN = 'CANARYurlSourceToken0123456789';
const URL_PASSWORD = 'CANARYpassword0123456789';
const CANARIES = [NPM_TOKEN, URL_TOKEN, URL_PASSWORD, 'CANARY'];

after(closeRegistries);

function assertNoCanary(where: string, text: string): void {
  for (const canary of CANARIES) assert.ok(!text.includes(canary), `${where} contains ${canary}:\n${text}`);
}

/** Runs the audit in every output form; returns everything it printed or wrote. */
async function everyOutput(dir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const outputs: string[] = [];
  const outDir = scratchDir(`secrets-out-${Math.random().toString(36).slice(2)}`);
  for (const format of ['text', 'json', 'sarif']) {
    const printed = await runCli(['audit', dir, '--format', format, '--verbose'].filter((arg) => format === 'text' || arg !== '--verbose'), { env });
    assertNoStackTrace(printed.stderr);
    assert.notEqual(printed.code, 0, `${format}: a failure is not a pass\n${printed.stdout}${printed.stderr}`);
    outputs.push(printed.stdout, printed.stderr);
    const file = join(outDir, `report.${format}`);
    const written = await runCli(['audit', dir, '--format', format, '--output', file], { env });
    outputs.push(written.stdout, written.stderr, existsSync(file) ? readFileSync(file, 'utf8') : '');
  }
  return outputs;
}

const echoBody = (secret: string) => JSON.stringify({ error: `unauthorized: Bearer ${secret} is not valid for this package`, token: secret });

describe('registry auth tokens (.npmrc)', () => {
  const withToken: Pick<RegistryProjectOptions, 'npmrc'> = { npmrc: (url) => `${url.replace(/^http:/, '')}:_authToken=${NPM_TOKEN}\n` };

  const scenarios: Array<[string, RegistryProjectOptions]> = [
    ['the registry refuses the token and echoes it', { behaviour: { [packumentPath(GOOD)]: { status: 401, body: echoBody(NPM_TOKEN), headers: { 'www-authenticate': `Bearer realm="${NPM_TOKEN}"` } } } }],
    ['the attestations endpoint fails and echoes the token', { behaviour: { [attestationsPath(GOOD)]: { status: 500, body: echoBody(NPM_TOKEN) } } }],
    ['the connection is reset', { behaviour: { [packumentPath(GOOD)]: { reset: true } } }],
    ['the evidence does not verify', { files: { [attestationsPath(GOOD)]: { body: { attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle: readBundle(EVIL) }] } } } }],
    ['a redirect carries the token in its query', { behaviour: { [attestationsPath(GOOD)]: { status: 302, headers: { location: `/elsewhere?access_token=${NPM_TOKEN}` } } } }],
  ];
  for (const [name, options] of scenarios) {
    test(`${name}: not in text, JSON, SARIF, --output or stderr`, async () => {
      const project = await registryProject(`secrets-${name.replace(/\W+/g, '-')}`, { ...withToken, ...options });
      const outputs = await everyOutput(project.dir, cleanEnv());
      assert.ok(project.registry.requests.some((request) => request.endsWith('[auth]')), `the token was used: ${project.registry.requests.join(', ')}`);
      for (const output of outputs) assertNoCanary(name, output);
    });
  }

  test('npm_config_//host/:_authToken from the environment is kept out as well', async () => {
    const project = await registryProject('secrets-env-token', { behaviour: { [packumentPath(GOOD)]: { status: 403, body: echoBody(NPM_TOKEN) } } });
    const key = `npm_config_${project.registry.url.replace(/^http:/, '')}:_authToken`;
    const outputs = await everyOutput(project.dir, cleanEnv({ [key]: NPM_TOKEN }));
    assert.ok(project.registry.requests.some((request) => request.endsWith('[auth]')));
    for (const output of outputs) assertNoCanary('env token', output);
  });
});

/** A server that reflects the Authorization header and the full URL in every answer. */
async function startEchoServer(reply: 'forbidden' | 'redirect'): Promise<{ url: string; close(): Promise<void>; authorizations: string[] }> {
  const authorizations: string[] = [];
  const server = http.createServer((request, response) => {
    authorizations.push(request.headers.authorization ?? '');
    const echo = `${request.headers.authorization ?? ''} ${request.url ?? ''}`;
    if (reply === 'redirect' && !request.url?.startsWith('/gone')) {
      response.writeHead(307, { location: `/gone?echo=${encodeURIComponent(echo)}` }).end();
      return;
    }
    response.writeHead(reply === 'redirect' ? 404 : 403, { 'content-type': 'application/json', 'x-echo': echo }).end(JSON.stringify({ error: `denied ${echo}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    authorizations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('url-source tokens and credentials', () => {
  for (const reply of ['forbidden', 'redirect'] as const) {
    test(`a bearer token from tokenEnv, the server ${reply === 'forbidden' ? 'refusing and echoing it' : 'redirecting with it in the query'}`, async () => {
      const echo = await startEchoServer(reply);
      try {
        const project = await registryProject(`secrets-url-${reply}`, { sources: () => [{ url: `${echo.url}sigs/{name}/{version}.sigstore.json`, tokenEnv: 'PKGSEAL_TEST_SIG_TOKEN' }] });
        const outputs = await everyOutput(project.dir, cleanEnv({ PKGSEAL_TEST_SIG_TOKEN: URL_TOKEN }));
        assert.ok(echo.authorizations.includes(`Bearer ${URL_TOKEN}`), 'the token was sent');
        for (const output of outputs) assertNoCanary(`url ${reply}`, output);
      } finally {
        await echo.close();
      }
    });
  }

  test('credentials written into the url template', async () => {
    const echo = await startEchoServer('forbidden');
    try {
      const project = await registryProject('secrets-url-userinfo', { sources: () => [{ url: echo.url.replace('http://', `http://ci-user:${URL_PASSWORD}@`) + 'sigs/{name}/{version}.sigstore.json' }] });
      const outputs = await everyOutput(project.dir, cleanEnv());
      for (const output of outputs) assertNoCanary('url userinfo', output);
    } finally {
      await echo.close();
    }
  });
});

describe('OIDC identity tokens while signing', () => {
  const now = Math.floor(Date.now() / 1000);
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const TOKEN = `${segment({ alg: 'RS256', typ: 'JWT' })}.${segment({ iss: 'https://token.actions.githubusercontent.com', aud: 'sigstore', sub: 'repo:acme/lib:ref:refs/tags/v1.0.0', exp: now + 3600, iat: now })}.CANARYidentityTokenSignature0123456789`;

  async function startFulcio(): Promise<{ url: string; close(): Promise<void>; requests: number }> {
    const state = { requests: 0 };
    const server = http.createServer((request, response) => {
      state.requests += 1;
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 401, message: `cannot verify ${request.headers.authorization ?? ''} ${body.slice(0, 200)}` })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      get requests() {
        return state.requests;
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  for (const [name, args, env] of [
    ['--identity-token', ['--identity-token', TOKEN], {}],
    ['SIGSTORE_ID_TOKEN', [], { SIGSTORE_ID_TOKEN: TOKEN }],
  ] as const) {
    test(`${name}: a Fulcio that echoes the token back`, async () => {
      const fulcio = await startFulcio();
      try {
        const outDir = scratchDir(`secrets-sign-${name.replace(/\W+/g, '')}`);
        const result = await runCli(['sign', GOOD.tarballFile, '--out-dir', outDir, '--fulcio-url', fulcio.url, '--rekor-url', 'http://127.0.0.1:9', ...args], { env: cleanEnv(env) });
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.ok(fulcio.requests > 0, 'Fulcio was asked');
        assert.match(result.stderr, /Fulcio at http:\/\/127\.0\.0\.1:\d+ refused the identity token: HTTP 401/);
        assertNoStackTrace(result.stderr);
        for (const text of [result.stdout, result.stderr]) assert.ok(!text.includes(TOKEN) && !text.includes('CANARY'), text);
      } finally {
        await fulcio.close();
      }
    });
  }
});
