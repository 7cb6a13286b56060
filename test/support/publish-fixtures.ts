/**
 * Helpers for the publish-to-audit acceptance suite (test/sign-e2e.test.ts): package folders that
 * publish to Verdaccio (with or without the pkgseal lifecycle hooks), consumer projects that install
 * from it, and readers for what ended up in the registry and in the bundle store.
 *
 * Every child process gets a clean environment (`cleanEnv`): nothing inherited from an `npm test`
 * run (npm_config_*, npm_execpath), from a CI runner (GITHUB_*, ACTIONS_*, SIGSTORE_ID_TOKEN) or
 * from the developer's pkgseal cache, so a test only sees the identity and instance it sets up.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './realdata.js';

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const RELEASE_WORKFLOW = '.github/workflows/release.yml';
export const RELEASE_REF = 'refs/tags/v1.0.0';
const SHA = '0123456789abcdef0123456789abcdef01234567';

/** Who signs: a GitHub repository, a workflow in it, and a ref. */
export interface GithubSigner {
  repository: string;
  workflow?: string;
  ref?: string;
}

/** OIDC claims of a GitHub Actions token for `signer` (what the local Fulcio turns into certificate extensions). */
export function githubClaims({ repository, workflow = RELEASE_WORKFLOW, ref = RELEASE_REF }: GithubSigner): Record<string, string> {
  const workflowRef = `${repository}/${workflow}@${ref}`;
  return {
    iss: GITHUB_ISSUER,
    repository,
    repository_owner: repository.split('/')[0]!,
    repository_id: '123456',
    repository_owner_id: '654321',
    workflow_ref: workflowRef,
    job_workflow_ref: workflowRef,
    ref,
    sha: SHA,
    event_name: 'push',
    runner_environment: 'github-hosted',
    run_id: '42',
    run_attempt: '1',
  };
}

/** The environment GitHub Actions gives a job of `signer` (no ambient OIDC request URL: the token comes from SIGSTORE_ID_TOKEN). */
export function githubEnv({ repository, workflow = RELEASE_WORKFLOW, ref = RELEASE_REF }: GithubSigner): Record<string, string> {
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_ID: '123456',
    GITHUB_REPOSITORY_OWNER_ID: '654321',
    GITHUB_WORKFLOW_REF: `${repository}/${workflow}@${ref}`,
    GITHUB_REF: ref,
    GITHUB_SHA: SHA,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: '42',
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_ENVIRONMENT: 'github-hosted',
  };
}

const STRIPPED = /^(npm_|NPM_CONFIG_|PNPM_|GITHUB_|RUNNER_|ACTIONS_|SIGSTORE_|PKGSEAL_|CI$|GITLAB_CI$|BUILDKITE|CIRCLECI|TRAVIS|NODE_TEST_CONTEXT$)/i;

/**
 * A child environment with nothing inherited that could change who signs, where, or which
 * registry is used; `isolation` holds pkgseal's cache and config folders for this run.
 */
export function cleanEnv(isolation: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!STRIPPED.test(key)) env[key] = value;
  env.PKGSEAL_CACHE_DIR = join(isolation, 'pkgseal-cache');
  env.XDG_CONFIG_HOME = join(isolation, 'config');
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface ProcessResult {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, never throwing on a non-zero exit. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcessResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ command: `${command} ${args.join(' ')} (in ${options.cwd})`, code, stdout, stderr });
      },
    );
  });
}

/** Everything a process printed, for assertion messages. */
export function describeRun(result: ProcessResult): string {
  return `${result.command} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/**
 * The `pnpm` executable of one exact version, fetched once with `npm exec` (from a folder whose
 * .npmrc does not point at Verdaccio) and then run directly, as a user's `pnpm` would be.
 */
export async function resolvePnpm(version: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const probe = "const fs=require('fs'),p=require('path');console.log(process.env.PATH.split(p.delimiter).map(d=>p.join(d,'pnpm')).find(f=>fs.existsSync(f))||'')";
  const result = await run('npm', ['exec', '--yes', '--package', `pnpm@${version}`, '--', 'node', '-e', probe], { cwd, env });
  const bin = result.stdout.trim().split('\n').pop() ?? '';
  if (result.code !== 0 || !bin || !existsSync(bin)) throw new Error(`cannot get pnpm@${version}: ${describeRun(result)}`);
  const check = await run(bin, ['--version'], { cwd, env });
  if (check.stdout.trim() !== version) throw new Error(`${bin} is not pnpm ${version}: ${describeRun(check)}`);
  return bin;
}

/** The path of `node dist/cli/main.js`, as lifecycle scripts call it. */
export const CLI_PATH = join(REPO_ROOT, 'dist/cli/main.js');

/** The `.npmrc` line npm needs to publish (Verdaccio accepts any token: publish is anonymous). */
export function npmrcFor(registry: string): string {
  const host = registry.replace(/^https?:/, '');
  return `registry=${registry}\n${host}:_authToken=anonymous-e2e\n`;
}

export interface PackageOptions {
  /** `@e2e/<name>` at version 1.0.0 (unless `version`). */
  name: string;
  version?: string;
  registry: string;
  /** Adds `"prepublishOnly": "pkgseal sign --hook"` and `"postpublish": "pkgseal sign --hook --confirm"`. */
  hooks?: boolean;
  /** The `"pkgseal"` section of package.json (store, instance, ...); omitted when undefined. */
  pkgseal?: Record<string, unknown>;
  /** More scripts (e.g. a `prepack`). */
  scripts?: Record<string, string>;
  /** Content of index.js (distinguishes two builds of the same version). */
  code?: string;
  /** More files to pack (created empty if they do not exist, listed in `files`). */
  extraFiles?: string[];
}

/** A publishable package folder `<root>/<name>`; returns its path. */
export function makePackage(root: string, options: PackageOptions): string {
  const dir = join(root, `pkg-${options.name}`);
  mkdirSync(dir, { recursive: true });
  const scripts: Record<string, string> = { ...(options.scripts ?? {}) };
  if (options.hooks) {
    scripts.prepublishOnly = `node ${JSON.stringify(CLI_PATH)} sign --hook`;
    scripts.postpublish = `node ${JSON.stringify(CLI_PATH)} sign --hook --confirm`;
  }
  const extraFiles = options.extraFiles ?? [];
  const manifest: Record<string, unknown> = {
    name: `@e2e/${options.name}`,
    version: options.version ?? '1.0.0',
    description: `pkgseal end-to-end fixture ${options.name}`,
    license: 'MIT',
    main: 'index.js',
    files: ['index.js', ...extraFiles],
    scripts,
  };
  if (options.pkgseal) manifest.pkgseal = options.pkgseal;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'index.js'), options.code ?? `module.exports = ${JSON.stringify(options.name)};\n`);
  for (const file of extraFiles) if (!existsSync(join(dir, file))) writeFileSync(join(dir, file), '{}\n');
  writeFileSync(join(dir, '.npmrc'), npmrcFor(options.registry));
  return dir;
}

/** The dir-store path of a bundle, as `pkgseal audit`'s dir source reads it. */
export function storedBundlePath(store: string, name: string, version = '1.0.0'): string {
  return join(store, `${name}@${version}.sigstore.json`);
}

/** The statement inside a DSSE bundle (the payload is unsigned-readable base64 JSON). */
export interface InTotoStatement {
  _type: string;
  subject: Array<{ name: string; digest: Record<string, string> }>;
  predicateType: string;
  predicate: Record<string, unknown>;
}

export function readBundleStatement(bundleFile: string): InTotoStatement {
  const bundle = JSON.parse(readFileSync(bundleFile, 'utf8')) as { dsseEnvelope?: { payload?: string; payloadType?: string } };
  if (!bundle.dsseEnvelope?.payload) throw new Error(`${bundleFile} holds no DSSE envelope`);
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as InTotoStatement;
}

/** `sha512-<base64>` → hex, the form of a statement's `digest.sha512`. */
export function integrityToHex(integrity: string): string {
  const match = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity);
  if (!match) throw new Error(`not a sha512 integrity: ${integrity}`);
  return Buffer.from(match[1]!, 'base64').toString('hex');
}

export function sha512Hex(bytes: Buffer): string {
  return createHash('sha512').update(bytes).digest('hex');
}

/** What the registry serves for one version: its `dist`, and the sha512 of the tarball bytes it serves. */
export interface ServedVersion {
  integrity: string;
  tarballURL: string;
  tarballSha512Hex: string;
}

/** The version as the registry serves it now, or `undefined` when it has no such version. */
export async function servedVersion(registry: string, name: string, version = '1.0.0'): Promise<ServedVersion | undefined> {
  const response = await fetch(`${registry}${name.replace('/', '%2f')}`, { headers: { accept: 'application/json' } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET packument ${name}: HTTP ${response.status}`);
  const packument = (await response.json()) as { versions?: Record<string, { dist?: { integrity?: string; tarball?: string } }> };
  const dist = packument.versions?.[version]?.dist;
  if (!dist) return undefined;
  if (!dist.integrity || !dist.tarball) throw new Error(`${name}@${version}: packument has no dist.integrity/tarball`);
  const tarball = await fetch(dist.tarball);
  if (!tarball.ok) throw new Error(`GET ${dist.tarball}: HTTP ${tarball.status}`);
  return { integrity: dist.integrity, tarballURL: dist.tarball, tarballSha512Hex: sha512Hex(Buffer.from(await tarball.arrayBuffer())) };
}

/** The pkgseal policy of the acceptance: `@e2e/*` must be signed by `identity`, evidence from `store`, trust the local root. */
export function e2ePolicy(trustedRootPath: string, store: string, identity: GithubSigner = { repository: 'acme/lib' }): object {
  return {
    version: 1,
    trust: [{ name: 'local', trustedRoot: trustedRootPath }],
    sources: [{ dir: store }],
    packages: [
      {
        match: '@e2e/*',
        require: 'signed',
        identities: [{ issuer: GITHUB_ISSUER, repository: identity.repository, workflow: identity.workflow ?? RELEASE_WORKFLOW, ref: identity.ref ?? RELEASE_REF }],
      },
    ],
  };
}

/**
 * A consumer project depending on `dependencies`, installed from `registry` with npm (lockfile v3,
 * no scripts), with `policy` as its pkgseal.policy.json. Throws with npm's output when the install fails.
 */
export async function makeConsumer(
  root: string,
  id: string,
  registry: string,
  dependencies: Record<string, string>,
  policy: object,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const dir = join(root, `consumer-${id}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `consumer-${id}`, version: '0.0.0', private: true, dependencies }, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), `registry=${registry}\n`);
  writeFileSync(join(dir, 'pkgseal.policy.json'), `${JSON.stringify(policy, null, 2)}\n`);
  const install = await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-online'], { cwd: dir, env });
  if (install.code !== 0) throw new Error(`consumer ${id}: ${describeRun(install)}`);
  return dir;
}

/** The integrity the consumer's lockfile records for `name`. */
export function lockedIntegrity(consumerDir: string, name: string): string | undefined {
  const lock = JSON.parse(readFileSync(join(consumerDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity?: string }> };
  return lock.packages[`node_modules/${name}`]?.integrity;
}

export interface AuditResult {
  name: string;
  version: string;
  outcome: string;
  ruleId?: string;
  reason: string;
  signer?: { issuer: string; subject: string; repository?: string; workflow?: string; ref?: string };
}

export interface AuditReport {
  code: number;
  raw: string;
  results: Map<string, AuditResult>;
}

/** Parses `pkgseal audit --format json` output; throws with everything printed when it is not a report. */
export function parseAudit(code: number, stdout: string, stderr: string): AuditReport {
  const raw = `exit ${code}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  let report: { results?: AuditResult[] };
  try {
    report = JSON.parse(stdout) as { results?: AuditResult[] };
  } catch {
    throw new Error(`audit printed no JSON report: ${raw}`);
  }
  return { code, raw, results: new Map((report.results ?? []).map((result) => [result.name, result])) };
}
