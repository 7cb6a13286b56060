import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readNodeModulesTree, readNpmLockfileTree } from './arborist-tree.js';
import type { DependencyTree, LoadTreeOptions, OmitKind, TreeKind, TreePackage } from './tree.types.js';

export type TreeErrorCode = 'NO_LOCKFILE' | 'BAD_LOCKFILE' | 'NO_NODE_MODULES';

export class TreeError extends Error {
  readonly code: TreeErrorCode;
  constructor(code: TreeErrorCode, message: string) {
    super(message);
    this.name = 'TreeError';
    this.code = code;
  }
}

type RegistryFor = LoadTreeOptions['registryFor'];

interface TreeReader {
  /** File name in the project folder. */
  file: string;
  kind: TreeKind;
  read(dir: string, file: string, registryFor: RegistryFor): Promise<TreePackage[]>;
}

/** In the order npm and then pnpm would pick them. */
const LOCKFILE_READERS = [
  { file: 'npm-shrinkwrap.json', kind: 'npm-shrinkwrap', read: readNpmLockfileTree },
  { file: 'package-lock.json', kind: 'npm-lockfile', read: readNpmLockfileTree },
  { file: 'pnpm-lock.yaml', kind: 'pnpm-lockfile', read: readPnpmLockfileFile },
] as const satisfies readonly TreeReader[];

/**
 * The dependency tree an audit checks: from the lockfile (npm-shrinkwrap.json, package-lock.json,
 * then pnpm-lock.yaml), or with `installed` from node_modules. Never installs, fetches or runs
 * dependency code. Packages are deduplicated by name, version and integrity, every path kept.
 */
export async function loadTree(dir: string, options: LoadTreeOptions): Promise<DependencyTree> {
  const root = resolve(dir);
  const { kind, source, packages } = options.installed ? await readInstalled(dir, options.registryFor) : await readLockfile(dir, options.registryFor);
  const omit = new Set(options.omit ?? []);
  return { root, kind, source: resolve(source), packages: mergeDuplicates(packages.filter((entry) => !isOmitted(entry, omit))) };
}

async function readLockfile(dir: string, registryFor: RegistryFor): Promise<{ kind: TreeKind; source: string; packages: TreePackage[] }> {
  for (const reader of LOCKFILE_READERS) {
    const file = join(dir, reader.file);
    if (!(await isFile(file))) continue;
    const packages = await readOrFail(file, () => reader.read(resolve(dir), resolve(file), registryFor));
    return { kind: reader.kind, source: file, packages };
  }
  throw new TreeError('NO_LOCKFILE', `${dir}: no package-lock.json, npm-shrinkwrap.json or pnpm-lock.yaml`);
}

/** pnpm keeps what it installed in node_modules/.pnpm/lock.yaml; Arborist reads npm's layout. */
async function readInstalled(dir: string, registryFor: RegistryFor): Promise<{ kind: TreeKind; source: string; packages: TreePackage[] }> {
  const nodeModules = join(dir, 'node_modules');
  if (!(await isDirectory(nodeModules))) throw new TreeError('NO_NODE_MODULES', `${nodeModules}: not found (install with --ignore-scripts first, or audit the lockfile)`);
  const pnpmLockfile = join(nodeModules, '.pnpm', 'lock.yaml');
  const packages = (await isFile(pnpmLockfile))
    ? await readOrFail(pnpmLockfile, () => readPnpmLockfileFile(resolve(dir), resolve(pnpmLockfile), registryFor))
    : await readOrFail(nodeModules, () => readNodeModulesTree(resolve(dir), registryFor));
  return { kind: 'node_modules', source: nodeModules, packages };
}

async function readPnpmLockfileFile(_dir: string, file: string, registryFor: RegistryFor): Promise<TreePackage[]> {
  // Imported here so that npm projects never load the YAML parser.
  const { readPnpmLockfile } = await import('./pnpm-lockfile.js');
  return readPnpmLockfile(await readFile(file, 'utf8'), file, registryFor);
}

async function readOrFail<T>(file: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TreeError('BAD_LOCKFILE', `${file}: ${reason.split('\n', 1)[0]}`);
  }
}

/**
 * npm's `--omit` (Arborist `Node#shouldOmit`): a package goes when it is a peer and peers are
 * omitted, dev and dev is omitted, or optional and optional is omitted (so one that is both dev
 * and optional goes with either); one needed by dev and by optional dependencies (devOptional)
 * goes only when both are omitted.
 */
export function isOmitted(entry: TreePackage, omit: ReadonlySet<OmitKind>): boolean {
  return (
    (entry.peer && omit.has('peer')) ||
    (entry.dev && omit.has('dev')) ||
    (entry.optional && omit.has('optional')) ||
    (entry.devOptional === true && omit.has('dev') && omit.has('optional'))
  );
}

/**
 * One package per name, version and integrity (for packages without integrity, per resolved
 * source too: two git commits are not one package). A flag holds only if it holds at every path,
 * as a package needed once in production is a production package.
 */
export function mergeDuplicates(packages: TreePackage[]): TreePackage[] {
  const merged = new Map<string, TreePackage>();
  for (const entry of packages) {
    const key = JSON.stringify([entry.name, entry.version, entry.integrity ?? null, entry.integrity ? null : (entry.resolved ?? null), entry.unsupportedSource ?? null]);
    const seen = merged.get(key);
    merged.set(key, seen ? mergeTwo(seen, entry) : { ...entry, paths: [...entry.paths] });
  }
  return [...merged.values()]
    .map((entry) => ({ ...entry, paths: [...new Set(entry.paths)].sort() }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.version, b.version) || compare(a.paths[0] ?? '', b.paths[0] ?? ''));
}

function mergeTwo(seen: TreePackage, entry: TreePackage): TreePackage {
  const dev = seen.dev && entry.dev;
  const optional = seen.optional && entry.optional;
  const location = !seen.location || (entry.location && entry.location.line < seen.location.line) ? entry.location : seen.location;
  return {
    ...seen,
    paths: [...seen.paths, ...entry.paths],
    dev,
    optional,
    peer: seen.peer && entry.peer,
    devOptional: !dev && !optional && neededOnlyByDevOrOptional(seen) && neededOnlyByDevOrOptional(entry),
    ...(location ? { location } : {}),
  };
}

function neededOnlyByDevOrOptional(entry: TreePackage): boolean {
  return entry.dev || entry.optional || entry.devOptional === true;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isFile(), () => false);
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((stats) => stats.isDirectory(), () => false);
}
