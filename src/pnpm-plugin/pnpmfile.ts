/**
 * pnpm-plugin-pkgseal: the pnpmfile pnpm loads from the config dependency
 * (`pnpm add --config pnpm-plugin-pkgseal`). It gates installs on the project's
 * pkgseal.policy.json, with the audit `pkgseal audit` runs, at each point where pnpm still has
 * not downloaded or run what it checks. Measured with pnpm 10.34.9 and 12.21.0:
 *
 * - `preResolution` (both): the lockfile on disk, before anything else. This is the gate of
 *   frozen-lockfile, CI and up-to-date installs, which never call `afterAllResolved`.
 * - `readPackage` (both): each package pnpm resolves, by its manifest's `dist`. In pnpm 12 this
 *   is the gate for a package already in the store, as its scripts run before `afterAllResolved`.
 * - tarball fetchers (pnpm 10 `hooks.fetchers.remoteTarball`/`gitHostedTarball`; pnpm 12
 *   `fetchers[].canFetch`): each package about to be downloaded. Both versions download resolved
 *   packages during resolution, before `afterAllResolved`, so this is what keeps a violating
 *   tarball from being fetched at all.
 * - `afterAllResolved` (both): the whole resolved tree, which logs the report. In pnpm 10 it runs
 *   before anything is linked or built; in pnpm 12 after.
 *
 * The audit is evaluated on the first hook call only: pnpm commands that install nothing just
 * parse the bundle (some 50 ms).
 */
import { resolve } from 'node:path';
import type { InstallGate } from './install-gate.js';

type GateModule = typeof import('./install-gate.js');

/** What pnpm passes to `preResolution` (the same in pnpm 10 and 12). */
interface PreResolutionContext {
  wantedLockfile: unknown;
  existsNonEmptyWantedLockfile: boolean;
  lockfileDir: string;
  registries?: Record<string, string>;
}

interface PreResolutionLogger {
  info(message: string): void;
  warn(message: string): void;
}

interface HookContext {
  log(message: string): void;
}

/** A manifest as `readPackage` receives it; registry packages carry their packument's `dist`. */
interface ResolvedManifest {
  name?: unknown;
  version?: unknown;
  dist?: { integrity?: unknown; tarball?: unknown };
}

/** pnpm 10's tarball fetcher: `(cafs, resolution, options)`, options naming the package. */
type TarballFetcher = (cafs: unknown, resolution: { integrity?: string; tarball: string }, options: { pkg?: { name?: string; version?: string } }) => Promise<unknown>;

let gateModule: Promise<GateModule> | undefined;
let currentGate: InstallGate | undefined;

function loadGateModule(): Promise<GateModule> {
  gateModule ??= import('./install-gate.js');
  return gateModule;
}

/** Each install (one `preResolution`) starts a gate for its lockfile folder; hooks without one use the working folder's. */
async function gate(start?: PreResolutionContext): Promise<InstallGate> {
  const { InstallGate } = await loadGateModule();
  if (start) currentGate = new InstallGate({ projectDir: start.lockfileDir, ...(start.registries ? { registries: start.registries } : {}), env: process.env });
  currentGate ??= new InstallGate({ projectDir: resolve(process.cwd()), env: process.env });
  return currentGate;
}

async function preResolution(context: PreResolutionContext, logger: PreResolutionLogger): Promise<void> {
  const installGate = await gate(context);
  if (!context.existsNonEmptyWantedLockfile) return;
  const report = await installGate.checkLockfile(context.wantedLockfile, 'lockfile');
  logger.info((await loadGateModule()).reportLines(report));
}

async function readPackage<Manifest extends ResolvedManifest>(manifest: Manifest): Promise<Manifest> {
  const { name, version, dist } = manifest;
  // The project's own manifests and packages read from the lockfile have no `dist`: preResolution saw those.
  if (typeof name === 'string' && typeof version === 'string' && typeof dist?.integrity === 'string') {
    const installGate = await gate();
    const tarball = typeof dist.tarball === 'string' ? dist.tarball : undefined;
    await installGate.checkPackage('manifest', name, version, await lockedResolution(installGate, name, version, dist.integrity, tarball));
  }
  return manifest;
}

async function afterAllResolved<Lockfile>(lockfile: Lockfile, context: HookContext): Promise<Lockfile> {
  const installGate = await gate();
  const report = await installGate.checkLockfile(lockfile, 'resolved');
  context.log((await loadGateModule()).reportLines(report));
  // pnpm writes what this hook returns: the lockfile, untouched.
  return lockfile;
}

/** pnpm 10: wraps a built-in tarball fetcher so that the package is checked before the download starts. */
function gatedTarballFetcher(kind: 'remoteTarball' | 'gitHostedTarball') {
  return ({ defaultFetchers }: { defaultFetchers: Record<typeof kind, TarballFetcher> }): TarballFetcher =>
    async (cafs, resolution, options) => {
      const { name, version } = options.pkg ?? {};
      // A tarball URL dependency is downloaded to learn its name: readPackage and afterAllResolved check it before it is installed.
      if (name && version) {
        const installGate = await gate();
        await installGate.checkPackage('download', name, version, await lockedResolution(installGate, name, version, resolution.integrity, resolution.tarball));
      }
      return defaultFetchers[kind](cafs, resolution, options);
    };
}

/** pnpm 12: a custom fetcher that claims nothing, asked about every package before it is downloaded. */
const checkBeforeDownload = {
  async canFetch(packageId: string, resolution: unknown): Promise<boolean> {
    const at = packageId.indexOf('@', 1);
    if (at < 1) return false;
    await (await gate()).checkPackage('download', packageId.slice(0, at), packageId.slice(at + 1), resolution);
    return false;
  },
  async fetch(): Promise<never> {
    throw new Error('pnpm-plugin-pkgseal fetches nothing itself (canFetch is always false)');
  },
};

/**
 * The resolution pnpm writes to its lockfile for a registry package: `{integrity}` when the
 * tarball is at its registry's usual URL, else with the `tarball` (a registry that serves
 * tarballs elsewhere), so each hook checks the package the lockfile will name.
 */
async function lockedResolution(installGate: InstallGate, name: string, version: string, integrity: unknown, tarball: string | undefined): Promise<Record<string, unknown>> {
  const usual = `${await installGate.registryOf(name)}${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
  return tarball === undefined || tarball === usual ? { integrity } : { integrity, tarball };
}

export const hooks = {
  preResolution,
  readPackage,
  afterAllResolved,
  fetchers: { remoteTarball: gatedTarballFetcher('remoteTarball'), gitHostedTarball: gatedTarballFetcher('gitHostedTarball') },
};

export const fetchers = [checkBeforeDownload];
