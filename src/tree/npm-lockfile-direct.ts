import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isObject, type JsonObject } from '../trust/json-fields.js';
import { isStringMap, rootKeepsLockfileFlags } from './lockfile-root-edges.js';
import { lockedTreePackage, type LockedPackage } from './tree-package.js';
import type { SourceLocation, TreePackage } from './tree.types.js';

type RegistryFor = (name: string) => string;

/**
 * The TreePackages Arborist's loadVirtual gives for a lockfile v2 or v3, read straight from its
 * `packages` (importing Arborist and building its tree costs close to a second on a large
 * project). Undefined unless this lockfile is one on which the two provably agree: then the
 * caller asks Arborist. Mirrors load-virtual.js `#loadNode` and node.js as of Arborist 9.
 */
export async function readLockfilePackagesDirectly(
  dir: string,
  file: string,
  lockfile: JsonObject,
  registryFor: RegistryFor,
  locate: (location: string) => SourceLocation | undefined,
): Promise<TreePackage[] | undefined> {
  if (lockfile.lockfileVersion !== 2 && lockfile.lockfileVersion !== 3) return undefined;
  const packages = lockfile.packages;
  if (!isObject(packages) || !isObject(packages['']) || !entriesReadAsTheyAre(packages)) return undefined;
  if (!(await arboristReadsOnly(dir, file))) return undefined;
  const manifest = await readRootManifest(dir);
  if (!manifest || !rootKeepsLockfileFlags(manifest, packages[''])) return undefined;
  const treePackages: TreePackage[] = [];
  for (const [location, entry] of Object.entries(packages)) {
    if (location === '') continue;
    const found = locate(location);
    treePackages.push({ ...lockedTreePackage(lockedPackage(location, entry as JsonObject), registryFor), ...(found ? { location: found } : {}) });
  }
  return treePackages;
}

/** `#loadNode` with the Node constructor: the name from the folder unless the entry names it (an alias); flags as recorded. */
function lockedPackage(location: string, entry: JsonObject): LockedPackage {
  return {
    name: (entry.name as string | undefined) || folderName(location),
    version: entry.version as string,
    integrity: entry.integrity as string | undefined,
    resolved: (entry.resolved as string | undefined) || null,
    location,
    flags: { dev: !!entry.dev, optional: !!entry.optional, peer: !!entry.peer, devOptional: !!(entry.devOptional || entry.dev || entry.optional) },
  };
}

/** `node_modules/a/node_modules/@s/b` → `@s/b` (nameFromFolder). */
function folderName(location: string): string {
  const nested = location.lastIndexOf('/node_modules/');
  return nested === -1 ? location.slice('node_modules/'.length) : location.slice(nested + '/node_modules/'.length);
}

/** A folder name under node_modules: `name` or `@scope/name`, never `.`, `..` or one Node's path functions would rewrite. */
const PACKAGE_FOLDER = String.raw`(?:@[^/\\]+/)?(?!\.\.?(?:/|$)|@|node_modules(?:/|$))[^/\\]+`;
const PLAIN_LOCATION = new RegExp(String.raw`^node_modules/${PACKAGE_FOLDER}(?:/node_modules/${PACKAGE_FOLDER})*$`);

/**
 * Every entry is an ordinary installed package whose Arborist node is the entry as written:
 * anything else (links, workspaces, bundles, unusual locations or values) goes to Arborist.
 */
function entriesReadAsTheyAre(packages: JsonObject): boolean {
  const folded = new Set<string>();
  for (const [location, entry] of Object.entries(packages)) {
    if (location === '') continue;
    if (!isObject(entry) || !isPlainEntry(entry) || !PLAIN_LOCATION.test(location)) return false;
    // Arborist attaches a node to its parent folder's node: without one it is a tree of its own (no flags).
    const nested = location.lastIndexOf('/node_modules/');
    if (nested !== -1 && !isObject(packages[location.slice(0, nested)])) return false;
    // Children are keyed case- and Unicode-insensitively: one would replace the other.
    const key = location.normalize('NFKD').toLowerCase();
    if (folded.has(key)) return false;
    folded.add(key);
  }
  return true;
}

/** Fields Arborist's node turns into something other than their value, or reads beside it. */
function isPlainEntry(entry: JsonObject): boolean {
  if (entry.link !== undefined || entry.inBundle !== undefined || entry.bundleDependencies !== undefined || entry.bundledDependencies !== undefined) return false;
  // `_resolved`, `_integrity`, `_where`…: read when the entry lacks the field itself.
  if (Object.keys(entry).some((key) => key.startsWith('_'))) return false;
  // Without a version (and no resolved or integrity) Arborist re-derives the entry from the node.
  if (typeof entry.version !== 'string' || entry.version === '') return false;
  // Edge throws on a spec that is not a string.
  if (!['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies', 'acceptDependencies'].every((field) => isStringMap(entry[field]))) return false;
  return entry.resolved === undefined || entry.resolved === '' || isUnchangedRegistryUrl(entry.resolved as string);
}

/** Domains whose URLs npm-package-arg reads as git repositories (hosted-git-info): Arborist rewrites them. */
const HOSTED_GIT_DOMAINS = new Set(['github.com', 'gist.github.com', 'gitlab.com', 'bitbucket.org', 'git.sr.ht']);

/**
 * An http(s) URL that Arborist keeps exactly as written (consistent-resolve.js returns the raw
 * spec of a remote URL): not a git host, no credentials, spaces or backslashes to normalize.
 */
function isUnchangedRegistryUrl(resolved: string): boolean {
  const host = /^https?:\/\/([a-z0-9.-]+)(?::\d+)?\/[^\s\\]*$/i.exec(resolved)?.[1];
  return host !== undefined && !HOSTED_GIT_DOMAINS.has(host.toLowerCase().replace(/^www\./, ''));
}

/**
 * Arborist reads npm-shrinkwrap.json, package-lock.json and yarn.lock itself: it must find the
 * lockfile read here and nothing that changes its reading (yarn.lock fills in resolved and
 * integrity; a file it cannot read fails the load).
 */
async function arboristReadsOnly(dir: string, file: string): Promise<boolean> {
  const name = basename(file);
  if (file !== join(dir, name) || !(await isAbsent(join(dir, 'yarn.lock')))) return false;
  if (name === 'package-lock.json') return isAbsent(join(dir, 'npm-shrinkwrap.json'));
  if (name !== 'npm-shrinkwrap.json') return false;
  const lockfile = join(dir, 'package-lock.json');
  return (await isAbsent(lockfile)) || (await isReadableFile(lockfile));
}

async function isAbsent(path: string): Promise<boolean> {
  return stat(path).then(() => false, (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
}

async function isReadableFile(path: string): Promise<boolean> {
  const isFile = await stat(path).then((stats) => stats.isFile(), () => false);
  return isFile && access(path, constants.R_OK).then(() => true, () => false);
}

/** The project's package.json as a JSON object; undefined when it cannot be read so. */
async function readRootManifest(dir: string): Promise<JsonObject | undefined> {
  try {
    const manifest: unknown = JSON.parse((await readFile(join(dir, 'package.json'), 'utf8')).replace(/^\uFEFF/, ''));
    return isObject(manifest) ? manifest : undefined;
  } catch {
    return undefined;
  }
}
