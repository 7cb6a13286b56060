/**
 * Consumer projects for the hardening suites, built around the offline demo's real Sigstore
 * evidence (fixtures/demo: two packages signed by local Fulcio/Rekor, a trusted root).
 *
 * `registryProject()` serves both packages from a registry on 127.0.0.1 (packuments with
 * `dist.attestations.url`, and the attestations documents), with a policy under which *both*
 * packages pass: a fault or a hostile answer for one package must then fail that package alone,
 * while the other still passes. `auditJson()` runs `pkgseal audit --format json` as a user would.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from './cli.js';
import { REPO_ROOT } from './realdata.js';
import { startStaticRegistry, type Fault, type StaticFile, type StaticRegistry } from './static-registry.js';

export const DEMO = join(REPO_ROOT, 'fixtures/demo');
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

export interface DemoPackage {
  name: string;
  version: string;
  integrity: string;
  /** The policy identity its real bundle was signed with. */
  identity: { issuer: string; repository: string };
  bundleFile: string;
  tarballFile: string;
}

const lock = JSON.parse(readFileSync(join(DEMO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity: string }> };

function demoPackage(short: 'good-lib' | 'evil-lib', repository: string): DemoPackage {
  const name = `@demo/${short}`;
  return {
    name,
    version: '1.0.0',
    integrity: lock.packages[`node_modules/${name}`]!.integrity,
    identity: { issuer: GITHUB_ISSUER, repository },
    bundleFile: join(DEMO, 'evidence', `${name}@1.0.0.sigstore.json`),
    tarballFile: join(DEMO, 'tarballs', `demo-${short}-1.0.0.tgz`),
  };
}

/** Signed by the release workflow of demo-org/good-lib. */
export const GOOD = demoPackage('good-lib', 'demo-org/good-lib');
/** Signed from attacker/fork: "evil" only under the demo's policy; the policies here allow it. */
export const EVIL = demoPackage('evil-lib', 'attacker/fork');
export const DEMO_PACKAGES = [GOOD, EVIL];

export function readBundle(pkg: DemoPackage): Record<string, unknown> {
  return JSON.parse(readFileSync(pkg.bundleFile, 'utf8')) as Record<string, unknown>;
}

/** What the npm registry serves at `dist.attestations.url`. */
export function attestationsDocument(bundle: unknown): object {
  return { attestations: [{ predicateType: SLSA_PROVENANCE_V1, bundle }] };
}

/** Request paths on the project's registry. */
export function packumentPath(pkg: Pick<DemoPackage, 'name'>): string {
  return `/${pkg.name.replace('/', '%2f')}`;
}
export function attestationsPath(pkg: Pick<DemoPackage, 'name' | 'version'>): string {
  return `/-/npm/v1/attestations/${pkg.name}@${pkg.version}`;
}

export function packumentFor(pkg: DemoPackage, registryUrl: string, attestationsUrl = `${registryUrl.replace(/\/$/, '')}${attestationsPath(pkg)}`): object {
  return {
    _id: pkg.name,
    name: pkg.name,
    'dist-tags': { latest: pkg.version },
    versions: {
      [pkg.version]: {
        name: pkg.name,
        version: pkg.version,
        dist: { integrity: pkg.integrity, tarball: `${registryUrl}${pkg.name}/-/${pkg.name.split('/')[1]}-${pkg.version}.tgz`, attestations: { url: attestationsUrl, provenance: { predicateType: SLSA_PROVENANCE_V1 } } },
      },
    },
    time: { [pkg.version]: '2026-01-01T00:00:00.000Z' },
  };
}

/** A policy under which both demo packages pass (each names the identity that really signed it). */
export function passingPolicy(sources: unknown[]): object {
  return {
    version: 1,
    mode: 'enforce',
    trust: [{ name: 'demo', trustedRoot: './trusted_root.json' }],
    sources,
    packages: DEMO_PACKAGES.map((pkg) => ({ match: pkg.name, require: 'provenance', identities: [pkg.identity] })),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-hostile-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** A fresh folder that is removed when the test process exits. */
export function scratchDir(id: string): string {
  const dir = join(scratch, id);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A project locking both demo packages from `registryUrl`, with the demo's trusted root. */
export function writeProject(id: string, registryUrl: string, policy: object, npmrc = ''): string {
  const dir = scratchDir(id);
  cpSync(join(DEMO, 'trusted_root.json'), join(dir, 'trusted_root.json'));
  const entries = Object.fromEntries(
    DEMO_PACKAGES.map((pkg) => [
      `node_modules/${pkg.name}`,
      { version: pkg.version, resolved: `${registryUrl}${pkg.name}/-/${pkg.name.split('/')[1]}-${pkg.version}.tgz`, integrity: pkg.integrity },
    ]),
  );
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: id, lockfileVersion: 3, requires: true, packages: { '': { name: id }, ...entries } }, null, 2));
  writeFileSync(join(dir, '.npmrc'), `registry=${registryUrl}\n${npmrc}`);
  writeFileSync(join(dir, 'pkgseal.policy.json'), JSON.stringify(policy, null, 2));
  return dir;
}

export interface RegistryProjectOptions {
  /** Faults by request path (see static-registry.ts). */
  behaviour?: Record<string, Fault | Fault[]>;
  /** Replaces what the registry serves at these paths. */
  files?: Record<string, StaticFile>;
  packuments?: (registryUrl: string) => Record<string, object>;
  /** The policy's sources (default `['registry']`), given the registry's URL. */
  sources?: (registryUrl: string) => unknown[];
  /** More `.npmrc` lines, given the registry's URL. */
  npmrc?: (registryUrl: string) => string;
}

export interface RegistryProject {
  dir: string;
  registry: StaticRegistry;
  /** Requests for one path, in order. */
  requestsFor(path: string): string[];
}

const registries: StaticRegistry[] = [];

/** Closes every registry started by registryProject (call from an `after` hook). */
export async function closeRegistries(): Promise<void> {
  await Promise.all(registries.splice(0).map((registry) => registry.close()));
}

export async function registryProject(id: string, options: RegistryProjectOptions = {}): Promise<RegistryProject> {
  let registryUrl = '';
  const files: Record<string, StaticFile> = {};
  for (const pkg of DEMO_PACKAGES) files[attestationsPath(pkg)] = { body: attestationsDocument(readBundle(pkg)) };
  const packuments: Record<string, object> = {};
  const registry = await startStaticRegistry({
    files: new Proxy(files, {
      // Packuments name the registry's URL, known only once it listens.
      get: (target, path: string) => target[path] ?? packumentFile(path),
    }),
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
  });
  registries.push(registry);
  registryUrl = registry.url;
  Object.assign(files, options.files ?? {});
  Object.assign(packuments, options.packuments?.(registryUrl) ?? {});
  function packumentFile(path: string): StaticFile | undefined {
    const pkg = DEMO_PACKAGES.find((candidate) => packumentPath(candidate).toLowerCase() === path.toLowerCase());
    if (!pkg) return undefined;
    return { body: packuments[pkg.name] ?? packumentFor(pkg, registryUrl) };
  }
  const dir = writeProject(id, registryUrl, passingPolicy(options.sources?.(registryUrl) ?? ['registry']), options.npmrc?.(registryUrl));
  return { dir, registry, requestsFor: (path) => registry.requests.filter((request) => request.split(' ')[1] === path) };
}

/** Quick network settings (through npm's own configuration names), so faults fail in seconds. */
export const FAST_NETWORK = { npm_config_fetch_timeout: '1500', npm_config_fetch_retries: '2', npm_config_fetch_retry_mintimeout: '50' };

/** The caller's environment without npm settings a surrounding `npm test` may have exported. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  return { ...env, ...FAST_NETWORK, ...extra };
}

export interface AuditResultLine {
  name: string;
  version: string;
  outcome: string;
  reason: string;
  ruleId?: string;
}

export interface AuditJson {
  code: number;
  result(pkg: Pick<DemoPackage, 'name'>): AuditResultLine;
  report: { summary: Record<string, number>; results: AuditResultLine[] };
  raw: string;
  cli: CliResult;
}

/** `pkgseal audit DIR --format json`; fails the test (with everything printed) unless it printed a report. */
export async function auditJson(dir: string, args: string[] = [], env: NodeJS.ProcessEnv = cleanEnv()): Promise<AuditJson> {
  const cli = await runCli(['audit', dir, '--format', 'json', ...args], { env });
  const raw = `exit ${cli.code}\n${cli.stdout}${cli.stderr}`;
  let report: AuditJson['report'];
  try {
    report = JSON.parse(cli.stdout) as AuditJson['report'];
  } catch {
    assert.fail(`audit printed no JSON report: ${raw}`);
  }
  return {
    code: cli.code,
    report,
    raw,
    cli,
    result(pkg) {
      const found = report.results.find((result) => result.name === pkg.name);
      assert.ok(found, `no result for ${pkg.name}: ${raw}`);
      return found;
    },
  };
}

/** No stack frame, no "internal error", nothing but one line per message on stderr. */
export function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+\(.*:\d+:\d+\)$/m, text);
  assert.doesNotMatch(text, /^\s+at [\w.<>]+ \(/m, text);
  assert.doesNotMatch(text, /internal error/i, text);
}
