/**
 * The signing side: pack a real package with npm (and pnpm), sign its tarball against the local
 * Sigstore stack (test/support/local-sigstore.ts), verify the bundle with our own verifier, and the
 * fail-closed paths: unreachable services, refused tokens, non-reproducible packs, signing configs.
 *
 * The mock Fulcio does not check token signatures or audiences; it only decodes the JWT. The
 * refused-token cases therefore use what it does reject (a token that is not a three-part JWT)
 * and a stub Fulcio answering 401 the way the real one does.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PUBLIC_GOOD_INSTANCE, STAGING_INSTANCE, resolveSigningInstance } from '../src/sign/instances.js';
import { assertDeterministicPack, detectPackageManager, packageManagerCommand, packPackage, readTarball } from '../src/sign/pack.js';
import { buildPredicate, gitlabPredicate, PKGSEAL_PUBLISH_V1, SLSA_PROVENANCE_V0_2, SLSA_PROVENANCE_V1 } from '../src/sign/provenance.js';
import { bundleFileFor, signTarball, writeBundleFile } from '../src/sign/sign-tarball.js';
import { SigningError, type PackedTarball, type SigningInstance } from '../src/sign/sign.types.js';
import { loadSigningConfig, parseSigningConfig } from '../src/sign/signing-config.js';
import { npmPackageStatement } from '../src/sign/statement.js';
import type { ExpectedIdentity } from '../src/policy/identity.js';
import { trustMaterialFromTrustedRoot } from '../src/trust/trusted-root.js';
import { VerificationError } from '../src/verify/errors.js';
import { verifyArtifact } from '../src/verify/verify-artifact.js';
import { startLocalSigstore, type LocalSigstore } from './support/local-sigstore.js';

const PNPM = ['npx', '--yes', 'pnpm@10.34.9'];
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const SHA = '0123456789abcdef0123456789abcdef01234567';

const githubClaims = {
  iss: GITHUB_ISSUER,
  repository: 'acme/lib',
  repository_owner: 'acme',
  workflow_ref: 'acme/lib/.github/workflows/release.yml@refs/tags/v1.0.0',
  job_workflow_ref: 'acme/lib/.github/workflows/release.yml@refs/tags/v1.0.0',
  ref: 'refs/tags/v1.0.0',
  sha: SHA,
  event_name: 'push',
  runner_environment: 'github-hosted',
};

const githubEnv = {
  GITHUB_ACTIONS: 'true',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'acme/lib',
  GITHUB_REPOSITORY_ID: '123456',
  GITHUB_REPOSITORY_OWNER_ID: '654321',
  GITHUB_WORKFLOW_REF: 'acme/lib/.github/workflows/release.yml@refs/tags/v1.0.0',
  GITHUB_REF: 'refs/tags/v1.0.0',
  GITHUB_SHA: SHA,
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '42',
  GITHUB_RUN_ATTEMPT: '1',
  RUNNER_ENVIRONMENT: 'github-hosted',
};

const gitlabEnv = {
  GITLAB_CI: 'true',
  CI: 'true',
  CI_PROJECT_URL: 'https://gitlab.com/acme/lib',
  CI_PROJECT_PATH: 'acme/lib',
  CI_RUNNER_ID: '12270',
  CI_RUNNER_DESCRIPTION: 'shared-runners',
  CI_RUNNER_EXECUTABLE_ARCH: 'linux/amd64',
  CI_COMMIT_SHA: SHA,
  CI_JOB_NAME: 'publish',
  CI_JOB_ID: '987',
  CI_JOB_URL: 'https://gitlab.com/acme/lib/-/jobs/987',
  CI_PIPELINE_ID: '555',
  CI_CONFIG_PATH: '.gitlab-ci.yml',
  CI_SERVER_URL: 'https://gitlab.com',
  GITLAB_USER_EMAIL: 'someone@example.com',
};

const exact = (value: string) => ({ kind: 'exact' as const, value });
const releaseIdentity: ExpectedIdentity = {
  issuer: exact(GITHUB_ISSUER),
  repository: 'acme/lib',
  workflow: '.github/workflows/release.yml',
  ref: 'refs/tags/v1.0.0',
};

/** Children get our environment minus the test runner's marker. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

async function makePackage(root: string, name: string, manifest: Record<string, unknown> = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(root, 'pkg-'));
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js', ...manifest }, null, 2));
  await fs.writeFile(path.join(dir, 'index.js'), 'export const answer = 42;\n');
  return dir;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function assertSigningError(promise: Promise<unknown>, pattern: RegExp, secret?: string): Promise<SigningError> {
  const error = await promise.then(
    () => assert.fail('expected a SigningError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SigningError, `expected a SigningError, got ${String(error)}`);
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  if (secret) assert.ok(!error.message.includes(secret), `the message must not carry the token: ${error.message}`);
  return error;
}

describe('signing a packed tarball', () => {
  let ls: LocalSigstore;
  let root: string;
  let tarball: PackedTarball;
  let instance: SigningInstance;

  before(async () => {
    ls = await startLocalSigstore();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-sign-'));
    const dir = await makePackage(root, '@acme/lib');
    tarball = await packPackage(dir, 'npm', path.join(root, 'out'), { env: childEnv() });
    instance = { fulcioURL: ls.fulcioURL, rekorURL: ls.rekorURL, tsaURL: ls.tsaURL, oidcIssuer: ls.oidcIssuer, oidcClientID: 'sigstore' };
  });
  after(async () => {
    await ls?.close();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const verify = (evidence: unknown, expectedIdentity: ExpectedIdentity, data: Buffer) =>
    verifyArtifact({
      evidence,
      trust: trustMaterialFromTrustedRoot(ls.trustedRoot),
      artifact: { kind: 'bytes', data },
      npmPackage: { name: tarball.name, version: tarball.version, sha512: tarball.sha512 },
      expectedIdentity,
    });

  it('packs with npm: npm pack’s file name, the manifest’s name and version, the digest of the file on disk', async () => {
    assert.equal(path.basename(tarball.file), 'acme-lib-1.0.0.tgz');
    assert.equal(tarball.name, '@acme/lib');
    assert.equal(tarball.version, '1.0.0');
    const onDisk = crypto.createHash('sha512').update(await fs.readFile(tarball.file)).digest();
    assert.deepEqual(tarball.sha512, onDisk);
    assert.equal(tarball.integrity, `sha512-${onDisk.toString('base64')}`);
  });

  it('signs SLSA v1 provenance that verifies for the GitHub identity that signed, over the sha512 of the .tgz on disk', async () => {
    const identityToken = await ls.mintToken(githubClaims);
    const predicate = buildPredicate(githubEnv, { version: '0.1.0' }, new Date());
    const bundle = await signTarball(tarball, { instance, identityToken, predicate, retries: 0 });
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');

    const file = await writeBundleFile(tarball, bundle);
    assert.equal(file, path.join(path.dirname(tarball.file), 'acme-lib-1.0.0.tgz.sigstore.json'));
    const evidence = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    const data = await fs.readFile(tarball.file);

    const [verified] = verify(evidence, releaseIdentity, data);
    assert.ok(verified);
    assert.equal(verified.predicateType, SLSA_PROVENANCE_V1);
    assert.equal(verified.signer.kind, 'certificate');
    const statement = verified.statement!;
    assert.deepEqual(statement.subjects, [
      { name: 'pkg:npm/%40acme/lib@1.0.0', digest: { sha512: crypto.createHash('sha512').update(data).digest('hex') } },
    ]);
    const provenance = statement.predicate as {
      buildDefinition: { buildType: string; externalParameters: { workflow: unknown }; resolvedDependencies: unknown };
      runDetails: { builder: { id: string }; metadata: { invocationId: string } };
    };
    assert.equal(provenance.buildDefinition.buildType, 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1');
    assert.deepEqual(provenance.buildDefinition.externalParameters.workflow, {
      ref: 'refs/tags/v1.0.0',
      repository: 'https://github.com/acme/lib',
      path: '.github/workflows/release.yml',
    });
    assert.deepEqual(provenance.buildDefinition.resolvedDependencies, [{ uri: 'git+https://github.com/acme/lib@refs/tags/v1.0.0', digest: { gitCommit: SHA } }]);
    assert.equal(provenance.runDetails.builder.id, 'https://github.com/actions/runner/github-hosted');
    assert.equal(provenance.runDetails.metadata.invocationId, 'https://github.com/acme/lib/actions/runs/42/attempts/1');

    for (const wrong of [
      { ...releaseIdentity, repository: 'acme/other' },
      { ...releaseIdentity, workflow: '.github/workflows/ci.yml' },
      { ...releaseIdentity, ref: 'refs/heads/main' },
    ]) {
      assert.throws(() => verify(evidence, wrong, data), (error: unknown) => error instanceof VerificationError && error.code === 'IDENTITY_MISMATCH');
    }
    const otherBytes = Buffer.concat([data, Buffer.from([0])]);
    assert.throws(() => verify(evidence, releaseIdentity, otherBytes), VerificationError);
  });

  it('adds an RFC 3161 timestamp from the instance’s TSA when asked, and the bundle still verifies', async () => {
    const identityToken = await ls.mintToken(githubClaims);
    const predicate = buildPredicate({}, { version: '0.1.0' }, new Date('2026-01-02T03:04:05Z'));
    const bundle = await signTarball(tarball, { instance, identityToken, predicate, tsa: true, retries: 0 });
    assert.equal(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1);
    const [verified] = verify(bundle, releaseIdentity, await fs.readFile(tarball.file));
    assert.equal(verified?.predicateType, PKGSEAL_PUBLISH_V1);
    assert.deepEqual(verified?.statement?.predicate, { tool: 'pkgseal', version: '0.1.0', publishedAt: '2026-01-02T03:04:05.000Z' });
    assert.ok(verified?.timestamps.some((timestamp) => timestamp.source === 'timestamp-authority'));
  });

  it('fails with one line naming Fulcio when Fulcio cannot be reached', async () => {
    const identityToken = await ls.mintToken(githubClaims);
    const fulcioURL = `http://127.0.0.1:${await closedPort()}`;
    await assertSigningError(
      signTarball(tarball, { instance: { ...instance, fulcioURL }, identityToken, predicate: buildPredicate({}, { version: '0' }, new Date()), retries: 0 }),
      new RegExp(`^signing @acme/lib@1\\.0\\.0: cannot reach Fulcio at ${fulcioURL}: .*ECONNREFUSED`),
      identityToken,
    );
  });

  it('fails with one line naming Rekor when Rekor cannot be reached', async () => {
    const identityToken = await ls.mintToken(githubClaims);
    const rekorURL = `http://127.0.0.1:${await closedPort()}`;
    await assertSigningError(
      signTarball(tarball, { instance: { ...instance, rekorURL }, identityToken, predicate: buildPredicate({}, { version: '0' }, new Date()), retries: 0 }),
      new RegExp(`^signing @acme/lib@1\\.0\\.0: cannot reach Rekor at ${rekorURL}: .*ECONNREFUSED`),
      identityToken,
    );
  });

  it('reports a token the mock Fulcio rejects (not a three-part JWT) as refused, without the token', async () => {
    const [header, payload] = (await ls.mintToken(githubClaims)).split('.');
    const unsignedToken = `${header}.${payload}`;
    await assertSigningError(
      signTarball(tarball, { instance, identityToken: unsignedToken, predicate: buildPredicate({}, { version: '0' }, new Date()), retries: 0 }),
      new RegExp(`^signing @acme/lib@1\\.0\\.0: Fulcio at ${ls.fulcioURL} refused the identity token: HTTP 400 `),
      unsignedToken,
    );
  });

  it('reports a 401 from Fulcio as refused and removes the token when the server echoes it', async () => {
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { credentials: { oidcIdentityToken: string } };
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 16, message: `There was an error processing the identity token\n${body.credentials.oidcIdentityToken}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const fulcioURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const identityToken = await ls.mintToken({ ...githubClaims, aud: 'not-sigstore' });
      await assertSigningError(
        signTarball(tarball, { instance: { ...instance, fulcioURL }, identityToken, predicate: buildPredicate({}, { version: '0' }, new Date()), retries: 0 }),
        new RegExp(`^signing @acme/lib@1\\.0\\.0: Fulcio at ${fulcioURL} refused the identity token: HTTP 401 There was an error processing the identity token \\[identity token\\]$`),
        identityToken,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('rejects a token that is not a JWT before contacting Fulcio, without repeating it', async () => {
    const identityToken = 'not-a-jwt-secret-value';
    await assertSigningError(
      signTarball(tarball, { instance, identityToken, predicate: buildPredicate({}, { version: '0' }, new Date()), retries: 0 }),
      /^signing @acme\/lib@1\.0\.0: the identity token is not a JWT with a subject$/,
      identityToken,
    );
  });

  it('refuses to sign where the signature could be neither logged nor timestamped', async () => {
    const identityToken = await ls.mintToken(githubClaims);
    const { rekorURL: _rekor, ...withoutRekor } = instance;
    await assertSigningError(
      signTarball(tarball, { instance: withoutRekor, identityToken, predicate: buildPredicate({}, { version: '0' }, new Date()) }),
      /no Rekor and no timestamp/,
    );
    const { tsaURL: _tsa, ...withoutTSA } = instance;
    await assertSigningError(
      signTarball(tarball, { instance: withoutTSA, identityToken, predicate: buildPredicate({}, { version: '0' }, new Date()), tsa: true }),
      /has no TSA/,
    );
  });
});

describe('packing', () => {
  let root: string;
  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-pack-test-'));
  });
  after(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('detects the invoking package manager from npm_config_user_agent, then npm_execpath; npm otherwise', () => {
    assert.equal(detectPackageManager({ npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20.20.2 linux x64' }), 'pnpm');
    assert.equal(detectPackageManager({ npm_config_user_agent: 'npm/11.6.2 node/v20.20.2 linux x64 workspaces/false' }), 'npm');
    assert.equal(detectPackageManager({ npm_execpath: '/usr/lib/node_modules/pnpm/bin/pnpm.cjs' }), 'pnpm');
    assert.equal(detectPackageManager({ npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' }), 'npm');
    assert.equal(detectPackageManager({ npm_config_user_agent: 'yarn/1.22.22 npm/? node/v20' }), 'npm');
    assert.equal(detectPackageManager({}), 'npm');
    const pnpmEnv = { npm_config_user_agent: 'pnpm/10.34.9', npm_execpath: '/opt/pnpm/bin/pnpm.cjs' };
    assert.deepEqual(packageManagerCommand('pnpm', pnpmEnv), [process.execPath, '/opt/pnpm/bin/pnpm.cjs']);
    assert.deepEqual(packageManagerCommand('npm', pnpmEnv), ['npm']);
    assert.deepEqual(packageManagerCommand('pnpm', { npm_execpath: '/home/me/.local/share/pnpm/pnpm' }), ['/home/me/.local/share/pnpm/pnpm']);
    assert.deepEqual(packageManagerCommand('npm', {}), ['npm']);
    assert.deepEqual(packageManagerCommand('npm', { npm_config_user_agent: 'npm/11', npm_execpath: '/n/lib/node_modules/npm/bin/npm-cli.js' }), [process.execPath, '/n/lib/node_modules/npm/bin/npm-cli.js']);
    assert.deepEqual(packageManagerCommand('npm', { npm_config_user_agent: 'npm/11', npm_execpath: '/n/lib/node_modules/npm/bin/npx-cli.js' }), ['npm']);
  });

  it('packs without running lifecycle scripts, with npm and with pnpm, to the same file name', async () => {
    const dir = await makePackage(root, '@acme/scripted', {
      scripts: { prepack: 'node -e "require(\'fs\').writeFileSync(\'ran.txt\', \'prepack\')"' },
    });
    const npmPacked = await packPackage(dir, 'npm', path.join(root, 'npm-out'), { env: childEnv() });
    const pnpmPacked = await packPackage(dir, 'pnpm', path.join(root, 'pnpm-out'), { env: childEnv(), pmCommand: PNPM });
    for (const packed of [npmPacked, pnpmPacked]) {
      assert.equal(path.basename(packed.file), 'acme-scripted-1.0.0.tgz');
      assert.equal(packed.name, '@acme/scripted');
    }
    await assert.rejects(fs.access(path.join(dir, 'ran.txt')), 'prepack did not run');
    assert.equal(bundleFileFor(pnpmPacked), path.join(root, 'pnpm-out', 'acme-scripted-1.0.0.tgz.sigstore.json'));
    // A tarball renamed by hand still gets npm pack's name for its bundle.
    assert.equal(bundleFileFor({ file: '/x/custom.tgz', name: '@acme/lib', version: '1.0.0' }), '/x/acme-lib-1.0.0.tgz.sigstore.json');
  });

  it('accepts a package whose two packs are the same bytes and keeps the first tarball', async () => {
    const dir = await makePackage(root, 'steady');
    const outDir = path.join(root, 'steady-out');
    const packed = await assertDeterministicPack(dir, 'npm', outDir, { env: childEnv() });
    assert.equal(packed.file, path.join(outDir, 'steady-1.0.0.tgz'));
    assert.deepEqual((await readTarball(packed.file)).sha512, packed.sha512);
    assert.deepEqual(await fs.readdir(outDir), ['steady-1.0.0.tgz']);
  });

  it('fails when packing twice gives different tarballs, and keeps neither', async () => {
    const dir = await makePackage(root, 'drifting', { files: ['index.js', 'stamp.txt'] });
    // A stand-in for npm that changes a packed file before each pack, as a build that embeds the time would.
    const stub = path.join(root, 'drifting-npm.mjs');
    await fs.writeFile(
      stub,
      [
        "import { spawnSync } from 'node:child_process';",
        "import { writeFileSync } from 'node:fs';",
        "writeFileSync('stamp.txt', `${process.hrtime.bigint()}-${Math.random()}`);",
        "const result = spawnSync('npm', process.argv.slice(2), { stdio: 'inherit' });",
        'process.exit(result.status ?? 1);',
      ].join('\n'),
    );
    const outDir = path.join(root, 'drifting-out');
    await assertSigningError(
      assertDeterministicPack(dir, 'npm', outDir, { env: childEnv(), pmCommand: [process.execPath, stub] }),
      new RegExp(`^packing ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} twice gave different tarballs \\(sha512-.+ then sha512-.+\\): the published bytes could not be predicted; use pkgseal publish$`),
    );
    assert.deepEqual(await fs.readdir(outDir).catch(() => []), [], 'nothing is left in the output folder');
  });

  it('fails with one line when the package manager fails or the file is no tarball', async () => {
    const dir = await fs.mkdtemp(path.join(root, 'broken-'));
    await fs.writeFile(path.join(dir, 'package.json'), '{ not json');
    await assertSigningError(packPackage(dir, 'npm', path.join(root, 'broken-out'), { env: childEnv() }), /^npm pack --json --ignore-scripts --pack-destination .* failed in /);
    const notTarball = path.join(root, 'not.tgz');
    await fs.writeFile(notTarball, 'plain text');
    await assertSigningError(readTarball(notTarball), /^cannot read tarball .*not\.tgz: /);
  });
});

describe('provenance predicates', () => {
  it('writes npm’s GitHub Actions fields and fails closed when one is missing', () => {
    const predicate = buildPredicate(githubEnv, { version: '0.1.0' }, new Date());
    assert.equal(predicate.type, SLSA_PROVENANCE_V1);
    assert.deepEqual(JSON.parse(JSON.stringify(predicate.body)), {
      buildDefinition: {
        buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
        externalParameters: { workflow: { ref: 'refs/tags/v1.0.0', repository: 'https://github.com/acme/lib', path: '.github/workflows/release.yml' } },
        internalParameters: { github: { event_name: 'push', repository_id: '123456', repository_owner_id: '654321' } },
        resolvedDependencies: [{ uri: 'git+https://github.com/acme/lib@refs/tags/v1.0.0', digest: { gitCommit: SHA } }],
      },
      runDetails: {
        builder: { id: 'https://github.com/actions/runner/github-hosted' },
        metadata: { invocationId: 'https://github.com/acme/lib/actions/runs/42/attempts/1' },
      },
    });
    const { GITHUB_WORKFLOW_REF: _ref, ...incomplete } = githubEnv;
    assert.throws(() => buildPredicate(incomplete, { version: '0' }, new Date()), /^SigningError: GitHub Actions provenance needs GITHUB_WORKFLOW_REF, which is not set$/);
    assert.throws(
      () => buildPredicate({ ...githubEnv, GITHUB_WORKFLOW_REF: 'other/repo/.github/workflows/x.yml@refs/heads/main' }, { version: '0' }, new Date()),
      /GITHUB_WORKFLOW_REF other\/repo\/.* is not <repository>\/<path>@<ref> for acme\/lib/,
    );
  });

  it('writes npm’s GitLab CI fields from the job variables, and no variable npm leaves out', () => {
    const predicate = buildPredicate(gitlabEnv, { version: '0.1.0' }, new Date());
    assert.deepEqual(predicate, gitlabPredicate(gitlabEnv));
    assert.equal(predicate.type, SLSA_PROVENANCE_V0_2);
    const body = JSON.parse(JSON.stringify(predicate.body)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(body.buildType, 'https://github.com/npm/cli/gitlab/v0alpha1');
    assert.deepEqual(body.builder, { id: 'https://gitlab.com/acme/lib/-/runners/12270' });
    assert.deepEqual(body.invocation.configSource, { uri: 'git+https://gitlab.com/acme/lib', digest: { sha1: SHA }, entryPoint: 'publish' });
    assert.equal(body.invocation.parameters.CI_JOB_URL, 'https://gitlab.com/acme/lib/-/jobs/987');
    assert.equal(body.invocation.parameters.GITLAB_CI, 'true');
    assert.equal(body.invocation.parameters.GITLAB_USER_EMAIL, undefined);
    assert.deepEqual(body.invocation.environment, {
      name: 'shared-runners',
      architecture: 'linux/amd64',
      server: 'https://gitlab.com',
      project: 'acme/lib',
      job: { id: '987' },
      pipeline: { id: '555', ref: '.gitlab-ci.yml' },
    });
    assert.deepEqual(body.metadata, {
      buildInvocationId: 'https://gitlab.com/acme/lib/-/jobs/987',
      completeness: { parameters: true, environment: true, materials: false },
      reproducible: false,
    });
    assert.deepEqual(body.materials, [{ uri: 'git+https://gitlab.com/acme/lib', digest: { sha1: SHA } }]);
    assert.throws(() => gitlabPredicate({ GITLAB_CI: 'true' }), /^SigningError: GitLab CI provenance needs CI_PROJECT_URL, CI_RUNNER_ID, CI_COMMIT_SHA, CI_JOB_NAME, CI_JOB_URL, which are not set$/);
  });

  it('writes the minimal publish predicate elsewhere, and one subject per statement', () => {
    const predicate = buildPredicate({ CI: 'true' }, { version: '1.2.3' }, new Date('2026-03-01T00:00:00Z'));
    assert.deepEqual(predicate, { type: PKGSEAL_PUBLISH_V1, body: { tool: 'pkgseal', version: '1.2.3', publishedAt: '2026-03-01T00:00:00.000Z' } });
    const sha512 = crypto.createHash('sha512').update('x').digest();
    assert.deepEqual(npmPackageStatement({ name: 'left-pad', version: '1.3.0', sha512 }, predicate), {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'pkg:npm/left-pad@1.3.0', digest: { sha512: sha512.toString('hex') } }],
      predicateType: PKGSEAL_PUBLISH_V1,
      predicate: predicate.body,
    });
  });
});

describe('signing instances', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const service = (url: string, start: string, extra: Record<string, unknown> = {}) => ({
    url,
    majorApiVersion: 1,
    validFor: { start },
    operator: 'sigstore.dev',
    ...extra,
  });
  const publicGoodV02 = () => ({
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [service('https://fulcio.sigstore.dev', '2023-04-14T21:38:40Z')],
    oidcUrls: [service('https://oauth2.sigstore.dev/auth', '2025-04-16T00:00:00Z')],
    rekorTlogUrls: [service('https://rekor.sigstore.dev', '2021-01-12T11:53:27Z')],
    tsaUrls: [service('https://timestamp.sigstore.dev/api/v1/timestamp', '2025-07-04T00:00:00Z')],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  });

  it('names public-good by default, staging on request, and a private instance only with its own log or TSA', () => {
    assert.deepEqual(resolveSigningInstance({}), PUBLIC_GOOD_INSTANCE);
    assert.deepEqual(resolveSigningInstance({ staging: true }), STAGING_INSTANCE);
    assert.deepEqual(resolveSigningInstance({ fulcioURL: 'https://fulcio.corp.example/', rekorURL: 'https://rekor.corp.example' }), {
      fulcioURL: 'https://fulcio.corp.example',
      rekorURL: 'https://rekor.corp.example',
      oidcIssuer: 'https://oauth2.sigstore.dev/auth',
      oidcClientID: 'sigstore',
    });
    assert.equal(resolveSigningInstance({ staging: true, tsaURL: 'http://127.0.0.1:9/tsa' }).tsaURL, 'http://127.0.0.1:9/tsa');
    assert.throws(() => resolveSigningInstance({ fulcioURL: 'https://fulcio.corp.example' }), /needs --rekor-url or --tsa-url/);
    assert.throws(() => resolveSigningInstance({ rekorURL: 'ftp://rekor.example' }), /^SigningError: --rekor-url: ftp:\/\/rekor.example is not an http\(s\) URL$/);
    assert.throws(() => resolveSigningInstance({ staging: true, signingConfig: PUBLIC_GOOD_INSTANCE }), /give one/);
  });

  it('reads a v0.2 signing config: the newest Rekor v1, Fulcio, TSA and OIDC entries valid now', () => {
    assert.deepEqual(parseSigningConfig(publicGoodV02(), now), PUBLIC_GOOD_INSTANCE);
    const config = publicGoodV02();
    config.caUrls = [
      service('https://fulcio-next.example', '2027-01-01T00:00:00Z'),
      service('https://fulcio-old.example', '2020-01-01T00:00:00Z', { validFor: { start: '2020-01-01T00:00:00Z', end: '2024-01-01T00:00:00Z' } }),
      service('https://fulcio.example', '2024-01-01T00:00:00Z'),
      service('https://fulcio-v2.example', '2025-01-01T00:00:00Z', { majorApiVersion: 2 }),
    ];
    config.rekorTlogUrls = [
      service('https://log2025.rekor.example', '2025-09-23T00:00:00Z', { majorApiVersion: 2 }),
      service('https://rekor.example', '2021-01-12T11:53:27Z'),
    ];
    config.tsaUrls = [service('https://tsa-expired.example/api/v1/timestamp', '2020-01-01T00:00:00Z', { validFor: { start: '2020-01-01T00:00:00Z', end: '2026-05-31T23:59:59Z' } })];
    assert.deepEqual(parseSigningConfig(config, now), {
      fulcioURL: 'https://fulcio.example',
      rekorURL: 'https://rekor.example',
      oidcIssuer: 'https://oauth2.sigstore.dev/auth',
      oidcClientID: 'sigstore',
    });
  });

  it('reads a v0.1 signing config', () => {
    assert.deepEqual(
      parseSigningConfig({
        mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.1+json',
        caUrl: 'https://fulcio.sigstage.dev',
        oidcUrl: 'https://oauth2.sigstage.dev/auth',
        tlogUrls: ['https://rekor.sigstage.dev'],
        tsaUrls: ['https://timestamp.sigstage.dev/api/v1/timestamp'],
      }),
      STAGING_INSTANCE,
    );
  });

  it('rejects a malformed signing config, naming the field', async () => {
    const cases: Array<[(config: ReturnType<typeof publicGoodV02>) => unknown, RegExp]> = [
      [(config) => ({ ...config, mediaType: 'application/json' }), /^invalid signing config: mediaType: "application\/json" is not a signing config media type/],
      [(config) => ({ ...config, caUrls: [{ ...config.caUrls[0], majorApiVersion: '1' }] }), /^invalid signing config: caUrls\[0\]\.majorApiVersion: expected a non-negative integer$/],
      [(config) => ({ ...config, rekorTlogUrls: [{ url: 'https://rekor.example', majorApiVersion: 1 }] }), /^invalid signing config: rekorTlogUrls\[0\]\.validFor: expected an object$/],
      [(config) => ({ ...config, tsaUrls: [service('https://tsa.example', 'yesterday')] }), /^invalid signing config: tsaUrls\[0\]\.validFor\.start: invalid RFC 3339 time "yesterday"$/],
      [(config) => ({ ...config, oidcUrls: [service('oauth2.example', '2020-01-01T00:00:00Z')] }), /^invalid signing config: oidcUrls\[0\]\.url: "oauth2.example" is not a URL$/],
      [(config) => ({ ...config, caUrls: 'https://fulcio.example' }), /^invalid signing config: caUrls: expected an array$/],
      [(config) => ({ ...config, caUrls: [service('https://fulcio.example', '2027-01-01T00:00:00Z')] }), /^invalid signing config: caUrls: has no Fulcio valid now with majorApiVersion 1$/],
      [(config) => ({ ...config, rekorTlogUrls: [service('https://log.example', '2025-01-01T00:00:00Z', { majorApiVersion: 2 })] }), /^invalid signing config: rekorTlogUrls: lists no Rekor v1 log valid now/],
      [(config) => ({ ...config, rekorTlogConfig: { selector: 'ALL' } }), /^invalid signing config: rekorTlogConfig\.selector: ALL is not supported/],
      [(config) => ({ ...config, rekorTlogUrls: [], tsaUrls: [] }), /^invalid signing config: signing config: names no transparency log and no timestamp authority$/],
    ];
    for (const [mutate, pattern] of cases) {
      assert.throws(() => parseSigningConfig(mutate(publicGoodV02()), now), (error: unknown) => {
        assert.ok(error instanceof SigningError, String(error));
        assert.match(error.message, pattern);
        return true;
      });
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-signing-config-'));
    try {
      const file = path.join(dir, 'signing_config.json');
      await fs.writeFile(file, JSON.stringify(publicGoodV02()));
      assert.deepEqual(await loadSigningConfig(file, now), PUBLIC_GOOD_INSTANCE);
      await fs.writeFile(file, '{"mediaType": ');
      await assertSigningError(loadSigningConfig(file, now), /^invalid signing config .*signing_config\.json: not valid JSON \(/);
      await assertSigningError(loadSigningConfig(path.join(dir, 'missing.json'), now), /^cannot read signing config .*missing\.json: ENOENT$/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
