import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readNpmTarball } from '../verify/npm-tarball.js';
import { SigningError, type PackageManager, type PackedTarball } from './sign.types.js';

export interface PackOptions {
  /**
   * The package manager executable and its leading arguments, e.g. `['npx', '--yes', 'pnpm@10']`
   * or `[process.execPath, env.npm_execpath]`. Default `['npm']` / `['pnpm']`.
   */
  pmCommand?: string[];
  /** Environment of the packing process (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Longest a pack may take (default 120 000 ms). */
  timeoutMs?: number;
  /**
   * Run `prepack`/`prepare` as `npm publish` will (the lifecycle hook packs what is about to be
   * published). `PKGSEAL_SIGNING=1` in the packing process keeps a hook from signing again.
   */
  runScripts?: boolean;
}

/**
 * Lifecycle scripts are never run: pkgseal packs from `prepublishOnly`, so a `prepack` that ran
 * `pkgseal sign` again would recurse. npm takes the flag; `pnpm pack` rejects unknown flags and
 * takes the setting as `--config.*`.
 */
const PACK_ARGUMENTS = {
  npm: ['pack', '--json', '--ignore-scripts'],
  pnpm: ['pack', '--config.ignore-scripts=true'],
} as const satisfies Record<PackageManager, readonly string[]>;

const PACK_ARGUMENTS_WITH_SCRIPTS = {
  npm: ['pack', '--json'],
  pnpm: ['pack'],
} as const satisfies Record<PackageManager, readonly string[]>;

const DEFAULT_TIMEOUT_MS = 120_000;

/** Set while pkgseal packs or publishes, so the package's own pkgseal hooks stand aside. */
export const SIGNING_ENV = 'PKGSEAL_SIGNING';

/** `npm_execpath` of each package manager's own CLI (not npx's, nor another tool's). */
const EXEC_PATH = {
  npm: /(^|[\\/])npm-cli\.js$/,
  pnpm: /(^|[\\/])pnpm(\.c?js|\.exe)?$/i,
} as const satisfies Record<PackageManager, RegExp>;

/** The package manager running us: `npm_config_user_agent` first (`pnpm/10.0.0 npm/? node/…`), then `npm_execpath`. */
export function detectPackageManager(env: Record<string, string | undefined>): PackageManager {
  const userAgent = env.npm_config_user_agent ?? '';
  if (userAgent.startsWith('pnpm/')) return 'pnpm';
  if (userAgent.startsWith('npm/')) return 'npm';
  return EXEC_PATH.pnpm.test(env.npm_execpath ?? '') ? 'pnpm' : 'npm';
}

/**
 * The command that packs the way the invoking package manager would: its own script from
 * `npm_execpath` (same version, same rules) when that is the package manager detected, else its name.
 */
export function packageManagerCommand(pm: PackageManager, env: Record<string, string | undefined>): string[] {
  const execPath = env.npm_execpath;
  if (!execPath || !EXEC_PATH[pm].test(execPath) || detectPackageManager(env) !== pm) return [pm];
  return /\.c?js$/.test(execPath) ? [process.execPath, execPath] : [execPath];
}

/** Packs `dir` with `pm` into `outDir` (created if needed) and reads back what was packed. */
export async function packPackage(dir: string, pm: PackageManager, outDir: string, options: PackOptions = {}): Promise<PackedTarball> {
  const scratch = await mkdtemp(join(tmpdir(), 'pkgseal-pack-'));
  try {
    const packed = await packInto(dir, pm, scratch, options);
    await mkdir(outDir, { recursive: true });
    const file = join(resolve(outDir), basename(packed));
    await copyFile(packed, file);
    return await readTarball(file);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Packs `dir` twice, each time into a fresh folder, and fails unless both tarballs are the same
 * bytes: a signature made before `npm publish` packs again only holds if packing is reproducible.
 * Keeps the first tarball in `outDir`.
 */
export async function assertDeterministicPack(dir: string, pm: PackageManager, outDir: string, options: PackOptions = {}): Promise<PackedTarball> {
  // Both packs go to scratch folders: a tarball left in the package folder would be packed the second time.
  const scratch = await mkdtemp(join(tmpdir(), 'pkgseal-repack-'));
  try {
    const first = await packPackage(dir, pm, join(scratch, 'first'), options);
    const second = await packPackage(dir, pm, join(scratch, 'second'), options);
    if (!first.sha512.equals(second.sha512)) {
      throw new SigningError(
        `packing ${dir} twice gave different tarballs (${shortIntegrity(first.integrity)} then ${shortIntegrity(second.integrity)}): ` +
          'the published bytes could not be predicted; use pkgseal publish',
      );
    }
    await mkdir(outDir, { recursive: true });
    const file = join(resolve(outDir), basename(first.file));
    await copyFile(first.file, file);
    return { ...first, file };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Reads an existing npm tarball: name and version from `package/package.json`, and its digests. */
export async function readTarball(file: string): Promise<PackedTarball> {
  const path = resolve(file);
  try {
    const { package: pkg } = await readNpmTarball(path);
    return { file: path, name: pkg.name, version: pkg.version, integrity: `sha512-${pkg.sha512.toString('base64')}`, sha512: pkg.sha512 };
  } catch (error) {
    throw new SigningError(`cannot read tarball ${path}: ${firstLine(error)}`);
  }
}

/** Runs the pack command with `outDir` (empty) as destination; returns the one .tgz it wrote. */
async function packInto(dir: string, pm: PackageManager, outDir: string, options: PackOptions): Promise<string> {
  const [command, ...leading] = options.pmCommand ?? [pm];
  if (!command) throw new SigningError('pmCommand is empty');
  const args = [...leading, ...(options.runScripts ? PACK_ARGUMENTS_WITH_SCRIPTS : PACK_ARGUMENTS)[pm], '--pack-destination', outDir];
  await run(command, args, resolve(dir), options);
  const tarballs = (await readdir(outDir)).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) {
    throw new SigningError(`${pm} pack in ${dir} wrote ${tarballs.length} tarballs instead of one (is dry-run set?)`);
  }
  return join(outDir, tarballs[0]!);
}

function run(command: string, args: string[], cwd: string, options: PackOptions): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), [SIGNING_ENV]: '1' };
  // Inherited from `npm publish --dry-run`, it would make pack write nothing.
  delete env.npm_config_dry_run;
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return resolvePromise();
      const reason = error.killed ? `killed after ${timeout} ms` : errorLine(stderr) || firstLine(error);
      reject(new SigningError(`${[command, ...args].join(' ')} failed in ${cwd}: ${reason}`));
    });
  });
}

function shortIntegrity(integrity: string): string {
  return `${integrity.slice(0, 23)}…`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** The line of a package manager's stderr that says what went wrong (npm ends with a log path). */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const errors = lines.filter((line) => /\berr(or)?\b/i.test(line) && !/^npm error (code|errno|syscall|path) /.test(line) && !/complete log/i.test(line));
  return errors[0] ?? lines.at(-1) ?? '';
}
