import { join, relative, resolve } from 'node:path';
import { auditDependencyTree, auditFails } from '../cli/audit-run.js';
import { UsageError } from '../cli/usage-error.js';
import { loadPolicy, PolicyError } from '../policy/load-policy.js';
import type { Policy } from '../policy/policy.types.js';
import type { AuditReport, PackageResult } from '../report/report.types.js';
import { summarize } from '../report/summarize.js';
import { formatText } from '../report/text-report.js';
import { mergeDuplicates } from '../tree/load-tree.js';
import { loadNpmConfig, type NpmConfig } from '../tree/npm-registry-config.js';
import { readPnpmLockfileObject, readPnpmResolution } from '../tree/pnpm-lockfile.js';
import type { TreePackage } from '../tree/tree.types.js';

export const POLICY_FILE = 'pkgseal.policy.json';

/** pnpm 10 and 11 print an error whose code starts with ERR_PNPM_ as its code and message, without a stack. */
export type InstallBlockedCode = 'ERR_PNPM_PKGSEAL_VIOLATION' | 'ERR_PNPM_PKGSEAL_CONFIG';

/**
 * Thrown from a hook so that pnpm stops: the report (or the configuration problem) and what to do
 * are the message. (pnpm 10 would print a `hint` property a second time; pnpm 12 ignores it.)
 */
export class InstallBlockedError extends Error {
  readonly code: InstallBlockedCode;
  constructor(code: InstallBlockedCode, message: string, whatToDo: string) {
    super(`${message}\n${whatToDo}`);
    this.name = 'InstallBlockedError';
    this.code = code;
    // pnpm 12 runs hooks in a Node worker that prints `err.stack`: the message is all a user needs.
    this.stack = this.message;
  }
}

/** Where pnpm is when a gate checks packages, for the first line of the message. */
export type GateStage = 'lockfile' | 'manifest' | 'download' | 'resolved';

const STAGE_WORDING = {
  lockfile: 'the lockfile pnpm is about to install has',
  manifest: 'pnpm resolved',
  download: 'pnpm was about to download',
  resolved: 'the resolved dependency tree has',
} as const satisfies Record<GateStage, string>;

export interface InstallGateOptions {
  /** The folder of pnpm-lock.yaml and pkgseal.policy.json (pnpm's `lockfileDir`). */
  projectDir: string;
  /** pnpm's registries (`default`, `@scope`…), which pnpm 11+ may read from pnpm-workspace.yaml; else npm's configuration. */
  registries?: Record<string, string>;
  env: NodeJS.ProcessEnv;
}

/**
 * The policy gate of one project inside one pnpm process. Every package is audited once per
 * process (by name, version and integrity), whichever hook sees it first: per-package gates during
 * resolution and the whole-lockfile gates then share the verdicts. Evidence and trust are the
 * audit's own (`auditDependencyTree`), so pnpm and `pkgseal audit` decide alike.
 */
export class InstallGate {
  readonly projectDir: string;
  private readonly options: InstallGateOptions;
  private setup: Promise<{ policy: Policy; npmConfig: NpmConfig; registryFor: (name: string) => string }> | undefined;
  private readonly verdicts = new Map<string, Promise<PackageResult>>();
  private batch: { packages: TreePackage[]; report: Promise<AuditReport> } | undefined;

  constructor(options: InstallGateOptions) {
    this.options = options;
    this.projectDir = resolve(options.projectDir);
  }

  /** Audits a lockfile object as pnpm passes it to hooks; throws InstallBlockedError when the policy fails it. */
  async checkLockfile(lockfile: unknown, stage: GateStage): Promise<AuditReport> {
    const { registryFor } = await this.configuration();
    let packages: TreePackage[];
    try {
      packages = mergeDuplicates(readPnpmLockfileObject(lockfile, registryFor));
    } catch (error) {
      throw new InstallBlockedError('ERR_PNPM_PKGSEAL_CONFIG', `pkgseal: cannot read the lockfile pnpm passed: ${(error as Error).message}`, 'Report this with your pnpm version: pkgseal cannot audit what it cannot read, so it stops the install.');
    }
    return this.enforce(await this.audit(packages), stage);
  }

  /**
   * Audits one package a hook sees on its own (a fetcher, a manifest), as pnpm resolved it
   * (`{integrity}`, `{integrity, tarball}`, `{type: 'git', …}`). The calls of one event-loop turn
   * are audited together, and each caller throws for the violations of its batch.
   */
  async checkPackage(stage: GateStage, name: string, version: string, resolution: unknown): Promise<void> {
    const { registryFor } = await this.configuration();
    let described: Omit<TreePackage, 'paths' | 'dev' | 'optional' | 'peer'>;
    try {
      described = readPnpmResolution(name, version, resolution, registryFor);
    } catch (error) {
      throw new InstallBlockedError('ERR_PNPM_PKGSEAL_VIOLATION', `pkgseal: cannot check ${name}@${version}: ${(error as Error).message}`, 'pkgseal stops what it cannot check.');
    }
    const pkg: TreePackage = { ...described, paths: [`node_modules/.pnpm/${name}@${version}`], dev: false, optional: false, peer: false };
    if (!this.batch) {
      const packages: TreePackage[] = [];
      const report = new Promise<void>((go) => setImmediate(go)).then(() => {
        this.batch = undefined;
        return this.audit(mergeDuplicates(packages));
      });
      this.batch = { packages, report };
    }
    this.batch.packages.push(pkg);
    this.enforce(await this.batch.report, stage);
  }

  /** The registry pnpm resolves `name` from (its own registries, else npm's configuration). */
  async registryOf(name: string): Promise<string> {
    return (await this.configuration()).registryFor(name);
  }

  /** The report of `packages`, auditing only those no earlier call of this gate has. */
  private async audit(packages: TreePackage[]): Promise<AuditReport> {
    const { policy, npmConfig } = await this.configuration();
    const fresh = packages.filter((pkg) => !this.verdicts.has(verdictKey(pkg)));
    const freshReport = auditDependencyTree({ root: this.projectDir, kind: 'pnpm-lockfile', source: join(this.projectDir, 'pnpm-lock.yaml'), packages: fresh }, policy, {
      npmOptions: npmConfig.flat,
      offline: false,
      concurrency: 16,
      cache: true,
      env: this.options.env,
    }).catch((error: unknown) => {
      if (error instanceof UsageError) throw configurationError(error.message);
      throw error;
    });
    fresh.forEach((pkg, index) => {
      const verdict = freshReport.then((report) => report.results[index]!);
      // A failed audit rejects every caller that awaits it; a verdict nobody awaits must not crash pnpm.
      verdict.catch(() => undefined);
      this.verdicts.set(verdictKey(pkg), verdict);
    });
    const results = await Promise.all(packages.map(async (pkg) => withPlace(await this.verdicts.get(verdictKey(pkg))!, pkg)));
    return { ...(await freshReport), results, summary: summarize(results) };
  }

  private enforce(report: AuditReport, stage: GateStage): AuditReport {
    if (!auditFails(report)) return report;
    const { violations } = report.summary;
    const inProject = relative(this.projectDir, report.policy);
    const policy = inProject.startsWith('..') ? report.policy : inProject;
    const what =
      violations > 0
        ? `${STAGE_WORDING[stage]} ${violations === 1 ? '1 package that violates' : `${violations} packages that violate`} the policy ${policy}`
        : `the policy ${policy} has problems`;
    throw new InstallBlockedError(
      'ERR_PNPM_PKGSEAL_VIOLATION',
      `pkgseal: ${what}:\n${formatText(report, { color: false, verbose: false }).trimEnd()}`,
      `Fix each line above (its "Fix:"), or add a dated exception to ${POLICY_FILE}, then install again.`,
    );
  }

  private configuration(): Promise<{ policy: Policy; npmConfig: NpmConfig; registryFor: (name: string) => string }> {
    this.setup ??= (async () => {
      const policy = await loadPolicy(join(this.projectDir, POLICY_FILE)).catch((error: unknown) => {
        if (error instanceof PolicyError) throw configurationError(error.message);
        throw error;
      });
      const npmConfig = await loadNpmConfig(this.projectDir, this.options.env);
      return { policy, npmConfig, registryFor: registryResolver(this.options.registries, npmConfig.registryFor) };
    })();
    return this.setup;
  }
}

/** The report text for a hook's log: the problems (if any) and the summary line. */
export function reportLines(report: AuditReport): string {
  return `pkgseal: ${formatText(report, { color: false, verbose: false }).trimEnd()}`;
}

function configurationError(message: string): InstallBlockedError {
  return new InstallBlockedError(
    'ERR_PNPM_PKGSEAL_CONFIG',
    `pkgseal: ${message}`,
    `pnpm-plugin-pkgseal stops every install until the policy can be read ("pnpm dlx pkgseal policy check" shows what is wrong).`,
  );
}

/** pnpm's registry for a scope, else its default, else npm's configuration. */
function registryResolver(registries: Record<string, string> | undefined, fromNpmConfig: (name: string) => string): (name: string) => string {
  if (!registries) return fromNpmConfig;
  return (name) => {
    const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
    const registry = (scope && registries[scope]) || registries.default;
    return registry ? (registry.endsWith('/') ? registry : `${registry}/`) : fromNpmConfig(name);
  };
}

/** Packages with one key get one verdict: what the audit's deduplication also treats as one. */
function verdictKey(pkg: TreePackage): string {
  return JSON.stringify([pkg.name, pkg.version, pkg.integrity ?? null, pkg.integrity ? null : (pkg.resolved ?? null), pkg.unsupportedSource ?? null, pkg.registry]);
}

/** A verdict reached for one place in one tree, moved to this package's places. */
function withPlace(result: PackageResult, pkg: TreePackage): PackageResult {
  const { location: _elsewhere, ...rest } = result;
  return { ...rest, paths: pkg.paths, ...(pkg.location ? { location: pkg.location } : {}) };
}
