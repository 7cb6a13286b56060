/**
 * Acceptance of signing at publish, end to end against real processes on 127.0.0.1: Verdaccio 6
 * as the registry, the local Sigstore stack (test/support/local-sigstore.ts) as Fulcio and Rekor,
 * real npm 11 and pnpm 10/12 publishing packages, a real `npm install` making each consumer's
 * lockfile, and `pkgseal audit` gating it with a dir store of bundles.
 *
 * What is proved:
 *  1. the bytes pkgseal signed are the bytes the registry serves, whichever way the package was
 *     published (`pkgseal publish`, `npm publish` with the hooks, `pnpm publish` with the hooks
 *     under pnpm 10.34.9 and 12.21.0), and the consumer's audit passes;
 *  2. in GitHub Actions the predicate is SLSA provenance v1, and the certificate's repository,
 *     workflow and ref are what the policy names;
 *  3. the audit fails on another identity (in the policy or in the certificate), on a tarball
 *     replaced after signing, and on a bundle swapped for another package's;
 *  4. signing stops with one clear line when there is no identity, Fulcio is unreachable, the
 *     token is malformed or refused by Fulcio, or packing is not reproducible — and through the
 *     prepublishOnly hook nothing is published; the postpublish hook refuses to store a bundle for
 *     bytes the registry does not serve.
 *
 * Publishes are memoized and tests run concurrently, sharing one Verdaccio and one local Sigstore.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { startLocalSigstore, type LocalSigstore } from './support/local-sigstore.js';
import {
  cleanEnv,
  describeRun,
  e2ePolicy,
  githubClaims,
  githubEnv,
  GITHUB_ISSUER,
  integrityToHex,
  lockedIntegrity,
  makeConsumer,
  makePackage,
  parseAudit,
  readBundleStatement,
  RELEASE_REF,
  RELEASE_WORKFLOW,
  resolvePnpm,
  run,
  servedVersion,
  sha512Hex,
  SLSA_PROVENANCE_V1,
  storedBundlePath,
  type AuditReport,
  type GithubSigner,
  type PackageOptions,
  type ProcessResult,
} from './support/publish-fixtures.js';
import { startVerdaccio, type Verdaccio } from './support/verdaccio.js';

const PNPM_VERSIONS = ['10.34.9', '12.21.0'] as const;
const ACME: GithubSigner = { repository: 'acme/lib' };
const ATTACKER: GithubSigner = { repository: 'attacker/fork', ref: 'refs/heads/main' };
const TEST_TIMEOUT = 180_000;

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-sign-e2e-'));
const STORE = join(scratch, 'store');

let verdaccio: Verdaccio;
let sigstore: LocalSigstore;
const pnpmBin: Record<string, string> = {};
let acmeToken: string;
let attackerToken: string;
/** A Fulcio that refuses every token the way the real one does (HTTP 401, gRPC code 16). */
let refusingFulcio: Server;
let refusingFulcioURL: string;

before(async () => {
  mkdirSync(STORE, { recursive: true });
  const env = cleanEnv(scratch);
  const [registry, local, ...pnpms] = await Promise.all([
    startVerdaccio(),
    startLocalSigstore(),
    ...PNPM_VERSIONS.map((version) => resolvePnpm(version, scratch, env)),
  ]);
  verdaccio = registry as Verdaccio;
  sigstore = local as LocalSigstore;
  PNPM_VERSIONS.forEach((version, index) => (pnpmBin[version] = pnpms[index] as string));
  [acmeToken, attackerToken] = await Promise.all([sigstore.mintToken(githubClaims(ACME)), sigstore.mintToken(githubClaims(ATTACKER))]);
  refusingFulcio = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 16, message: 'There was an error processing the identity token' }));
    });
  });
  await new Promise<void>((resolve) => refusingFulcio.listen(0, '127.0.0.1', resolve));
  refusingFulcioURL = `http://127.0.0.1:${(refusingFulcio.address() as AddressInfo).port}`;
});

after(async () => {
  refusingFulcio?.closeAllConnections();
  await Promise.all([verdaccio?.close(), sigstore?.close(), new Promise((resolve) => (refusingFulcio ? refusingFulcio.close(resolve) : resolve(undefined)))]);
  rmSync(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Fixtures

/** A package `@e2e/<name>` publishing to Verdaccio, storing bundles in STORE, signing with the local Sigstore. */
function packageDir(name: string, options: Omit<PackageOptions, 'name' | 'registry'> = {}): string {
  return makePackage(scratch, {
    registry: verdaccio.url,
    pkgseal: { store: { dir: STORE }, instance: { fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL } },
    ...options,
    name,
  });
}

/** A GitHub Actions job of `signer`, with its OIDC token in SIGSTORE_ID_TOKEN. */
function actionsEnv(signer: GithubSigner, token: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return cleanEnv(scratch, { ...githubEnv(signer), SIGSTORE_ID_TOKEN: token, ...extra });
}

async function pkgseal(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  const result = await runCli(args, { cwd, env });
  return { command: `pkgseal ${args.join(' ')} (in ${cwd})`, ...result };
}

const PUBLISHERS = {
  'pkgseal publish (npm)': { hooks: false, id: 'via-pkgseal-publish' },
  'npm publish with the hooks': { hooks: true, id: 'via-npm-hooks' },
  'pnpm 10.34.9 publish with the hooks': { hooks: true, id: 'via-pnpm10-hooks' },
  'pnpm 12.21.0 publish with the hooks': { hooks: true, id: 'via-pnpm12-hooks' },
} as const;
type Publisher = keyof typeof PUBLISHERS;

/** Publishes the package in `dir` the way `publisher` does, as a GitHub Actions job. */
function publishWith(publisher: Publisher, dir: string, env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  switch (publisher) {
    case 'pkgseal publish (npm)':
      return pkgseal(['publish', dir, '--pm', 'npm'], dir, env);
    case 'npm publish with the hooks':
      return run('npm', ['publish'], { cwd: dir, env });
    case 'pnpm 10.34.9 publish with the hooks':
      return run(pnpmBin['10.34.9']!, ['publish', '--no-git-checks'], { cwd: dir, env });
    case 'pnpm 12.21.0 publish with the hooks':
      return run(pnpmBin['12.21.0']!, ['publish', '--no-git-checks'], { cwd: dir, env });
  }
}

interface Published {
  name: string;
  dir: string;
  result: ProcessResult;
}

/** Memoized: each package is published once, whichever test asks first. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= make());
}

const publishedBy = Object.fromEntries(
  (Object.keys(PUBLISHERS) as Publisher[]).map((publisher) => [
    publisher,
    once(async (): Promise<Published> => {
      const { hooks, id } = PUBLISHERS[publisher];
      const dir = packageDir(id, { hooks });
      return { name: `@e2e/${id}`, dir, result: await publishWith(publisher, dir, actionsEnv(ACME, acmeToken)) };
    }),
  ]),
) as Record<Publisher, () => Promise<Published>>;

/** `@e2e/from-fork`: released with `pkgseal publish` by attacker/fork's workflow instead of acme/lib's. */
const publishedByAttacker = once(async (): Promise<Published> => {
  const dir = packageDir('from-fork');
  return { name: '@e2e/from-fork', dir, result: await pkgseal(['publish', dir, '--pm', 'npm'], dir, actionsEnv(ATTACKER, attackerToken)) };
});

/** `pkg:npm/%40scope/name@1.0.0`, the subject npm's own provenance uses. */
function purl(name: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@1.0.0`;
}

/** Asserts a publish succeeded and returns it. */
async function successful(published: Promise<Published>): Promise<Published> {
  const value = await published;
  assert.equal(value.result.code, 0, describeRun(value.result));
  return value;
}

let consumers = 0;

/** A consumer of `name@1.0.0` installed with npm from Verdaccio, audited with `policy` (default: acme/lib's release workflow, STORE). */
async function auditConsumer(name: string, policy: object = e2ePolicy(sigstore.trustedRootPath, STORE)): Promise<AuditReport & { dir: string }> {
  const id = `${name.replace(/^@e2e\//, '')}-${++consumers}`;
  const dir = await makeConsumer(scratch, id, verdaccio.url, { [name]: '1.0.0' }, policy, cleanEnv(scratch));
  const result = await runCli(['audit', dir, '--format', 'json'], { cwd: dir, env: cleanEnv(join(dir, '.isolation')) });
  return { ...parseAudit(result.code, result.stdout, result.stderr), dir };
}

/** The lines pkgseal printed amid a package manager's output. */
function pkgsealLines(result: ProcessResult): string {
  return `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /^pkgseal|no identity/.test(line)).join(' | ');
}

/** The npm/pnpm/pkgseal output lines without a stack trace, and the one pkgseal printed matching `pattern`. */
function assertCleanFailure(t: TestContext, result: ProcessResult, pattern: RegExp): void {
  t.diagnostic(`pkgseal said: ${pkgsealLines(result)}`);
  assert.notEqual(result.code, 0, `expected a failure: ${describeRun(result)}`);
  const output = `${result.stdout}\n${result.stderr}`;
  assert.ok(!/^\s+at /m.test(output), `no stack trace: ${describeRun(result)}`);
  assert.match(output, pattern, describeRun(result));
}

/** `pkgseal sign` itself failed with exit 1 and exactly one line on stderr matching `pattern`, and wrote no bundle. */
function assertOneLineSigningFailure(t: TestContext, result: ProcessResult, pattern: RegExp, name: string, outDir: string): void {
  t.diagnostic(`stderr: ${result.stderr.trim()}`);
  assert.equal(result.code, 1, describeRun(result));
  assert.ok(isOneCleanLine(result.stderr), `one line, no stack: ${describeRun(result)}`);
  assert.match(result.stderr.trim(), pattern, describeRun(result));
  assert.equal(existsSync(storedBundlePath(STORE, name)), false, `no bundle stored for ${name}`);
  const written = existsSync(outDir) ? readdirSync(outDir).filter((file) => file.endsWith('.sigstore.json')) : [];
  assert.deepEqual(written, [], `no bundle written in ${outDir}`);
}

const PREPACK_TIMESTAMP = `node -e "require('fs').writeFileSync('stamp.json', JSON.stringify({ packedAt: Date.now() }))"`;

// ---------------------------------------------------------------------------------------------

describe('signing at publish, end to end (Verdaccio, local Sigstore, npm, pnpm, pkgseal audit)', { concurrency: true, timeout: 300_000 }, () => {
  describe('1. what the registry serves is exactly what was signed, and the consumer audit passes', { concurrency: true }, () => {
    for (const publisher of Object.keys(PUBLISHERS) as Publisher[]) {
      test(`${publisher}: the stored bundle's subject digest equals Verdaccio's dist.integrity and the served tarball's sha512, and the consumer's audit passes`, { timeout: TEST_TIMEOUT }, async () => {
        const { name } = await successful(publishedBy[publisher]());
        const served = await servedVersion(verdaccio.url, name);
        assert.ok(served, `Verdaccio does not serve ${name}@1.0.0`);
        const bundleFile = storedBundlePath(STORE, name);
        assert.ok(existsSync(bundleFile), `no bundle stored at ${bundleFile}`);
        const statement = readBundleStatement(bundleFile);
        assert.equal(statement.subject.length, 1, JSON.stringify(statement.subject));
        assert.equal(statement.subject[0]!.name, purl(name), 'the subject is the package URL npm uses (scope @ encoded as %40)');
        const signedDigest = statement.subject[0]!.digest.sha512;
        assert.equal(signedDigest, integrityToHex(served.integrity), `signed sha512 vs the registry's dist.integrity ${served.integrity}`);
        assert.equal(signedDigest, served.tarballSha512Hex, `signed sha512 vs the sha512 of the bytes served at ${served.tarballURL}`);

        const audit = await auditConsumer(name);
        assert.equal(lockedIntegrity(audit.dir, name), served.integrity, 'the consumer locked what the registry serves');
        assert.equal(audit.code, 0, audit.raw);
        const result = audit.results.get(name);
        assert.equal(result?.outcome, 'pass', audit.raw);
        assert.equal(result?.signer?.issuer, GITHUB_ISSUER, audit.raw);
        assert.equal(result?.signer?.repository, 'https://github.com/acme/lib', audit.raw);
        assert.equal(result?.signer?.workflow, RELEASE_WORKFLOW, audit.raw);
        assert.equal(result?.signer?.ref, RELEASE_REF, audit.raw);
        assert.equal(result?.signer?.subject, `https://github.com/acme/lib/${RELEASE_WORKFLOW}@${RELEASE_REF}`, audit.raw);
      });
    }
  });

  describe('2. in GitHub Actions the signed predicate is SLSA provenance v1', { concurrency: true }, () => {
    for (const publisher of Object.keys(PUBLISHERS) as Publisher[]) {
      test(`${publisher} with a GitHub Actions token and GITHUB_* env: predicateType is SLSA provenance v1 naming acme/lib's release workflow and ref`, { timeout: TEST_TIMEOUT }, async () => {
        const { name } = await successful(publishedBy[publisher]());
        const statement = readBundleStatement(storedBundlePath(STORE, name));
        assert.equal(statement.predicateType, SLSA_PROVENANCE_V1);
        const buildDefinition = statement.predicate.buildDefinition as { externalParameters?: { workflow?: unknown } } | undefined;
        assert.deepEqual(buildDefinition?.externalParameters?.workflow, {
          ref: RELEASE_REF,
          repository: 'https://github.com/acme/lib',
          path: RELEASE_WORKFLOW,
        });
      });
    }

    test('outside CI (no GITHUB_ACTIONS) `pkgseal sign DIR` signs a publish predicate, not SLSA provenance, and prints "signed NAME@VERSION (INTEGRITY) by SUBJECT: FILE"', { timeout: TEST_TIMEOUT }, async () => {
      const dir = packageDir('signed-locally');
      const out = join(scratch, 'out-signed-locally');
      const token = await sigstore.mintToken({}, 'dev@example.com');
      const result = await pkgseal(['sign', dir, '--out-dir', out], dir, cleanEnv(scratch, { SIGSTORE_ID_TOKEN: token }));
      assert.equal(result.code, 0, describeRun(result));
      const line = /^signed @e2e\/signed-locally@1\.0\.0 \((sha512-[A-Za-z0-9+/]+=*)\) by dev@example\.com: (\S+)(?: \(stored at (\S+)\))?$/.exec(result.stdout.trim());
      assert.ok(line, `the one-line summary: ${describeRun(result)}`);
      const tarball = join(out, 'e2e-signed-locally-1.0.0.tgz');
      assert.equal(line[2], `${tarball}.sigstore.json`);
      assert.equal(line[3], storedBundlePath(STORE, '@e2e/signed-locally'), 'the package.json store is used and named');
      assert.ok(existsSync(tarball) && existsSync(`${tarball}.sigstore.json`), `tarball and bundle side by side in ${out}`);
      const statement = readBundleStatement(`${tarball}.sigstore.json`);
      assert.equal(statement.subject[0]!.digest.sha512, sha512Hex(readFileSync(tarball)));
      assert.equal(statement.subject[0]!.digest.sha512, integrityToHex(line[1]!));
      assert.notEqual(statement.predicateType, SLSA_PROVENANCE_V1);
      assert.doesNotMatch(statement.predicateType, /slsa\.dev/);
    });

    test('`pkgseal sign TGZ` with the instance and store given as flags signs a tarball packed into a folder of its own (no package.json beside it)', { timeout: TEST_TIMEOUT }, async () => {
      const dir = packageDir('tgz-elsewhere', { pkgseal: undefined });
      const out = join(scratch, 'out-tgz-elsewhere');
      mkdirSync(out, { recursive: true });
      const env = actionsEnv(ACME, acmeToken);
      const pack = await run('npm', ['pack', '--pack-destination', out], { cwd: dir, env });
      assert.equal(pack.code, 0, describeRun(pack));
      const tarball = join(out, 'e2e-tgz-elsewhere-1.0.0.tgz');
      const sign = await pkgseal(['sign', tarball, '--store-dir', STORE, '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL], scratch, env);
      assert.equal(sign.code, 0, describeRun(sign));
      const statement = readBundleStatement(`${tarball}.sigstore.json`);
      assert.equal(statement.subject[0]!.name, purl('@e2e/tgz-elsewhere'));
      assert.equal(statement.subject[0]!.digest.sha512, sha512Hex(readFileSync(tarball)));
      assert.ok(existsSync(storedBundlePath(STORE, '@e2e/tgz-elsewhere')), 'stored in --store-dir');
    });
  });

  describe('3. the consumer audit fails, naming what was expected and what was found', { concurrency: true }, () => {
    test('a policy naming another identity (acme/other) fails acme/lib\'s package, naming both repositories', { timeout: TEST_TIMEOUT }, async (t) => {
      const { name } = await successful(publishedBy['pkgseal publish (npm)']());
      const audit = await auditConsumer(name, e2ePolicy(sigstore.trustedRootPath, STORE, { repository: 'acme/other' }));
      assert.equal(audit.code, 1, audit.raw);
      const result = audit.results.get(name);
      t.diagnostic(`audit: ${result?.outcome}: ${result?.reason}`);
      assert.equal(result?.outcome, 'violation', audit.raw);
      assert.equal(result?.ruleId, 'pkgseal/identity-mismatch', audit.raw);
      assert.match(result!.reason, /acme\/other/, 'names the expected identity');
      assert.match(result!.reason, /acme\/lib/, 'names the actual identity');
    });

    test('a package signed by another identity (attacker/fork\'s workflow) fails the acme/lib policy, naming both repositories', { timeout: TEST_TIMEOUT }, async (t) => {
      const { name } = await successful(publishedByAttacker());
      const statement = readBundleStatement(storedBundlePath(STORE, name));
      const served = await servedVersion(verdaccio.url, name);
      assert.equal(statement.subject[0]!.digest.sha512, integrityToHex(served!.integrity), 'validly signed and served: only the identity is wrong');
      const audit = await auditConsumer(name);
      assert.equal(audit.code, 1, audit.raw);
      const result = audit.results.get(name);
      t.diagnostic(`audit: ${result?.outcome}: ${result?.reason}`);
      assert.equal(result?.outcome, 'violation', audit.raw);
      assert.equal(result?.ruleId, 'pkgseal/identity-mismatch', audit.raw);
      assert.match(result!.reason, /attacker\/fork/, 'names the actual identity');
      assert.match(result!.reason, /acme\/lib/, 'names the expected identity');
    });

    test('a tarball replaced in the registry after signing (tgz A signed and stored, bytes B published under the same version) fails on the subject digest', { timeout: TEST_TIMEOUT }, async (t) => {
      const name = '@e2e/replaced';
      const dir = packageDir('replaced', { pkgseal: undefined, code: 'module.exports = "A, the reviewed build";\n' });
      const env = actionsEnv(ACME, acmeToken);
      const pack = await run('npm', ['pack'], { cwd: dir, env });
      assert.equal(pack.code, 0, describeRun(pack));
      const tarballA = join(dir, 'e2e-replaced-1.0.0.tgz');
      const sign = await pkgseal(['sign', tarballA, '--store-dir', STORE, '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL], dir, env);
      assert.equal(sign.code, 0, describeRun(sign));
      assert.ok(existsSync(`${tarballA}.sigstore.json`), 'bundle beside the tarball');
      const signedDigest = readBundleStatement(storedBundlePath(STORE, name)).subject[0]!.digest.sha512;
      assert.equal(signedDigest, sha512Hex(readFileSync(tarballA)));

      writeFileSync(join(dir, 'index.js'), 'module.exports = "B, something else";\n');
      const publish = await run('npm', ['publish'], { cwd: dir, env: cleanEnv(scratch) });
      assert.equal(publish.code, 0, describeRun(publish));
      const served = await servedVersion(verdaccio.url, name);
      assert.notEqual(integrityToHex(served!.integrity), signedDigest, 'the registry serves other bytes than were signed');

      const audit = await auditConsumer(name);
      assert.equal(lockedIntegrity(audit.dir, name), served!.integrity, "the lockfile has B's integrity");
      assert.equal(audit.code, 1, audit.raw);
      const result = audit.results.get(name);
      t.diagnostic(`audit: ${result?.outcome}: ${result?.reason}`);
      assert.equal(result?.outcome, 'violation', audit.raw);
      assert.match(result!.reason, /digest|integrity|sha512|subject/i, audit.raw);
    });

    test("a bundle swapped in the store for another package's (same signer, valid signature) fails", { timeout: TEST_TIMEOUT }, async (t) => {
      const [source, target] = await Promise.all([successful(publishedBy['pkgseal publish (npm)']()), successful(publishedBy['npm publish with the hooks']())]);
      const swappedStore = join(scratch, 'store-swapped');
      cpSync(STORE, swappedStore, { recursive: true });
      copyFileSync(storedBundlePath(STORE, source.name), storedBundlePath(swappedStore, target.name));
      const audit = await auditConsumer(target.name, e2ePolicy(sigstore.trustedRootPath, swappedStore));
      assert.equal(audit.code, 1, audit.raw);
      const result = audit.results.get(target.name);
      t.diagnostic(`audit: ${result?.outcome}: ${result?.reason}`);
      assert.equal(result?.outcome, 'violation', audit.raw);
      assert.match(result!.reason, /digest|integrity|sha512|subject|via-pkgseal-publish/i, audit.raw);
    });
  });

  describe('4. signing stops with one clear line and a non-zero exit; through the hook nothing is published', { concurrency: true }, () => {
    const noIdentityEnv = () => cleanEnv(scratch, { CI: 'true' });
    const fulcioDown = 'http://127.0.0.1:9';
    const cases = [
      {
        what: 'no identity available (no token, CI=true)',
        id: 'no-identity',
        signArgs: (): string[] => [],
        env: noIdentityEnv,
        hookEnv: noIdentityEnv,
        line: /^(pkgseal: )?no identity available: /m,
      },
      {
        what: 'an unreachable Fulcio (127.0.0.1:9)',
        id: 'fulcio-down',
        signArgs: () => ['--fulcio-url', fulcioDown],
        env: () => actionsEnv(ACME, acmeToken),
        hookEnv: () => actionsEnv(ACME, acmeToken, { PKGSEAL_FULCIO_URL: fulcioDown }),
        line: /127\.0\.0\.1:9\b|fulcio/i,
      },
      {
        what: 'a malformed token (aaa.bbb, two parts)',
        id: 'malformed-token',
        signArgs: () => ['--identity-token', 'aaa.bbb'],
        env: () => actionsEnv(ACME, acmeToken),
        hookEnv: () => actionsEnv(ACME, 'aaa.bbb'),
        line: /token/i,
      },
      {
        what: 'a token Fulcio refuses (HTTP 401)',
        id: 'refused-token',
        signArgs: () => ['--fulcio-url', refusingFulcioURL],
        env: () => actionsEnv(ACME, acmeToken),
        hookEnv: () => actionsEnv(ACME, acmeToken, { PKGSEAL_FULCIO_URL: refusingFulcioURL }),
        line: /401|refus|reject|token/i,
      },
    ];

    for (const c of cases) {
      test(`${c.what}: \`pkgseal sign DIR\` exits 1 with one line and writes no bundle`, { timeout: TEST_TIMEOUT }, async (t) => {
        const dir = packageDir(`sign-${c.id}`);
        const out = join(scratch, `out-sign-${c.id}`);
        const result = await pkgseal(['sign', dir, '--out-dir', out, ...c.signArgs()], dir, c.env());
        assertOneLineSigningFailure(t, result, c.line, `@e2e/sign-${c.id}`, out);
      });

      test(`${c.what}: \`npm publish\` with the prepublishOnly hook fails with pkgseal's one line, and Verdaccio does not have the version`, { timeout: TEST_TIMEOUT }, async (t) => {
        const dir = packageDir(`hook-${c.id}`, { hooks: true });
        const publish = await run('npm', ['publish'], { cwd: dir, env: c.hookEnv() });
        assertCleanFailure(t, publish, c.line);
        assert.equal(await servedVersion(verdaccio.url, `@e2e/hook-${c.id}`), undefined, `Verdaccio must not have @e2e/hook-${c.id}@1.0.0`);
        assert.equal(existsSync(storedBundlePath(STORE, `@e2e/hook-${c.id}`)), false, 'no bundle stored');
      });
    }

    test('a non-deterministic pack (prepack writes Date.now()): `pkgseal sign DIR` packs twice, sees two digests, exits 1 with one line', { timeout: TEST_TIMEOUT }, async (t) => {
      const dir = packageDir('sign-nondeterministic', { scripts: { prepack: PREPACK_TIMESTAMP }, extraFiles: ['stamp.json'] });
      const out = join(scratch, 'out-sign-nondeterministic');
      const result = await pkgseal(['sign', dir, '--out-dir', out], dir, actionsEnv(ACME, acmeToken));
      assertOneLineSigningFailure(t, result, /differ|determinis|reproducib|twice/i, '@e2e/sign-nondeterministic', out);
    });

    test('a non-deterministic pack through the hooks: `npm publish` fails, pointing to `pkgseal publish`, and no bundle is stored', { timeout: TEST_TIMEOUT }, async (t) => {
      // The prepublishOnly hook packs twice, running prepack as npm publish will, sees two digests
      // and stops the publish before anything reaches the registry.
      const name = '@e2e/hook-nondeterministic';
      const dir = packageDir('hook-nondeterministic', { hooks: true, scripts: { prepack: PREPACK_TIMESTAMP }, extraFiles: ['stamp.json'] });
      const publish = await run('npm', ['publish'], { cwd: dir, env: actionsEnv(ACME, acmeToken) });
      assertCleanFailure(t, publish, /pkgseal publish/);
      assert.equal(existsSync(storedBundlePath(STORE, name)), false, `no bundle stored for ${name}`);
      assert.equal(await servedVersion(verdaccio.url, name), undefined, `Verdaccio must not have ${name}@1.0.0`);
    });

    test('the postpublish hook (--confirm) fails when the registry serves other bytes than the prepublishOnly hook signed, naming `pkgseal publish`, and stores nothing', { timeout: TEST_TIMEOUT }, async (t) => {
      const name = '@e2e/hook-confirm-mismatch';
      const dir = packageDir('hook-confirm-mismatch', { hooks: true });
      const env = actionsEnv(ACME, acmeToken);
      // The lifecycle of `npm publish`, one step at a time, with the files changed in between.
      const signed = await run('npm', ['run', 'prepublishOnly'], { cwd: dir, env });
      assert.equal(signed.code, 0, describeRun(signed));
      writeFileSync(join(dir, 'index.js'), 'module.exports = "changed after signing";\n');
      const publish = await run('npm', ['publish', '--ignore-scripts'], { cwd: dir, env });
      assert.equal(publish.code, 0, describeRun(publish));
      assert.ok(await servedVersion(verdaccio.url, name), 'published');
      const confirm = await run('npm', ['run', 'postpublish'], { cwd: dir, env });
      assertCleanFailure(t, confirm, /pkgseal publish/);
      assert.match(`${confirm.stdout}\n${confirm.stderr}`, /^.*(registry|serves|integrity).*pkgseal publish.*$/im, describeRun(confirm));
      assert.equal(existsSync(storedBundlePath(STORE, name)), false, `no bundle stored for ${name}`);
    });
  });
});
