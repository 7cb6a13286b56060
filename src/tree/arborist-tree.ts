import { readFile } from 'node:fs/promises';
import type Arborist from '@npmcli/arborist';
import { isObject, type JsonObject } from '../trust/json-fields.js';
import { parseNpmLockfileText, type ParsedNpmLockfile } from './lockfile-locations.js';
import { readLockfilePackagesDirectly } from './npm-lockfile-direct.js';
import { dependencyFlags, lockedTreePackage, NO_DEPENDENCY_FLAGS, type ArboristFlags } from './tree-package.js';
import type { SourceLocation, TreePackage } from './tree.types.js';

type RegistryFor = (name: string) => string;

/**
 * One TreePackage per node of npm's virtual tree (Arborist `loadVirtual`) read from the
 * lockfile in `dir` (npm-shrinkwrap.json before package-lock.json, as Arborist picks):
 * lockfile v1, v2 and v3. Nothing is fetched and no dependency code runs. Plain v2 and v3
 * lockfiles are read directly, to the same result, without loading Arborist at all.
 */
export async function readNpmLockfileTree(dir: string, file: string, registryFor: RegistryFor): Promise<TreePackage[]> {
  const lockfile = await readCheckedLockfile(file);
  return (await readDirectly(dir, file, lockfile, registryFor)) ?? (await readWithArborist(dir, file, lockfile, registryFor));
}

/** readNpmLockfileTree's direct reading alone: undefined where it asks Arborist. */
export async function readNpmLockfileTreeDirectly(dir: string, file: string, registryFor: RegistryFor): Promise<TreePackage[] | undefined> {
  return readDirectly(dir, file, await readCheckedLockfile(file), registryFor);
}

/** readNpmLockfileTree's Arborist reading alone: what the direct reading must equal. */
export async function readNpmLockfileTreeWithArborist(dir: string, file: string, registryFor: RegistryFor): Promise<TreePackage[]> {
  return readWithArborist(dir, file, await readCheckedLockfile(file), registryFor);
}

async function readCheckedLockfile(file: string): Promise<ParsedNpmLockfile> {
  const lockfile = parseNpmLockfileText(await readFile(file, 'utf8'));
  checkNpmLockfileShape(lockfile.document);
  return lockfile;
}

async function readDirectly(dir: string, file: string, lockfile: ParsedNpmLockfile, registryFor: RegistryFor): Promise<TreePackage[] | undefined> {
  if (!lockfile.readAsJsonParse) return undefined;
  return readLockfilePackagesDirectly(dir, file, lockfile.document as JsonObject, registryFor, locator(file, lockfile));
}

async function readWithArborist(dir: string, file: string, lockfile: ParsedNpmLockfile, registryFor: RegistryFor): Promise<TreePackage[]> {
  // Arborist reads the file again itself; the JSON above is only checked (it accepts `[]`) and indexed for lines.
  const tree = await new (await loadArborist())({ path: dir }).loadVirtual();
  return treePackages(tree, registryFor, locator(file, lockfile));
}

function locator(file: string, lockfile: ParsedNpmLockfile): (location: string) => SourceLocation | undefined {
  return (location) => {
    const line = lockfile.lineOf(location);
    return line === undefined ? undefined : { file, line };
  };
}

/** The same from the installed node_modules (Arborist `loadActual`): reads package.json files only. */
export async function readNodeModulesTree(dir: string, registryFor: RegistryFor): Promise<TreePackage[]> {
  const tree = await new (await loadArborist())({ path: dir }).loadActual();
  return treePackages(tree, registryFor, () => undefined);
}

/** Imported on first use: loading it takes about 0.3 s. */
async function loadArborist(): Promise<typeof Arborist> {
  return (await import('@npmcli/arborist')).default;
}

function treePackages(tree: Arborist.Node, registryFor: RegistryFor, locate: (location: string) => SourceLocation | undefined): TreePackage[] {
  const packages: TreePackage[] = [];
  for (const node of tree.inventory.values()) {
    if (node.isProjectRoot || isLinkTarget(node)) continue;
    // A dependency's bundled dependencies ship inside its tarball: that tarball is what is verified.
    if (node.inDepBundle) continue;
    const location = locate(node.location);
    packages.push({ ...(node.isLink ? linkPackage(node, registryFor) : registryPackage(node, registryFor)), ...(location ? { location } : {}) });
  }
  return packages;
}

/** Workspaces and `file:` folders are reported once, through the link that points at them. */
function isLinkTarget(node: Arborist.Node): boolean {
  return !node.isLink && (node.isWorkspace || node.linksIn.size > 0);
}

function linkPackage(link: Arborist.Node, registryFor: RegistryFor): TreePackage {
  const name = packageNameOf(link);
  return {
    name,
    version: link.version,
    registry: registryFor(name),
    paths: [link.location],
    ...dependencyFlags(nodeFlags(link)),
    unsupportedSource: link.isWorkspace || link.target?.isWorkspace ? 'workspace' : 'link',
  };
}

function registryPackage(node: Arborist.Node, registryFor: RegistryFor): TreePackage {
  const { version, integrity, resolved, location } = node;
  return lockedTreePackage({ name: packageNameOf(node), version, integrity, resolved, location, flags: nodeFlags(node) }, registryFor);
}

function packageNameOf(node: Arborist.Node): string {
  return node.packageName || node.name;
}

function nodeFlags(node: Arborist.Node): ArboristFlags {
  // Node#shouldOmit never omits below a linked folder that is neither the project nor a workspace.
  const { top } = node;
  if (!top.isProjectRoot && !top.isWorkspace) return NO_DEPENDENCY_FLAGS;
  return { dev: node.dev, optional: node.optional, peer: node.peer, devOptional: node.devOptional };
}

/** Arborist loads malformed lockfiles as empty or crashes on them: reject them first, naming the entry. */
function checkNpmLockfileShape(document: unknown): void {
  if (!isObject(document)) throw new Error('not an npm lockfile (expected a JSON object)');
  const version = document.lockfileVersion;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new Error(`lockfileVersion ${JSON.stringify(version) ?? 'missing'} is not supported (need 1, 2 or 3)`);
  }
  if (version === 1) {
    checkV1Entries(document.dependencies ?? {}, 'dependencies');
    return;
  }
  if (!isObject(document.packages)) throw new Error('packages: expected an object');
  for (const [location, entry] of Object.entries(document.packages)) checkEntry(entry, `packages["${location}"]`);
}

function checkV1Entries(dependencies: unknown, path: string): void {
  if (!isObject(dependencies)) throw new Error(`${path}: expected an object`);
  for (const [name, entry] of Object.entries(dependencies)) {
    const entryPath = `${path}["${name}"]`;
    const nested = checkEntry(entry, entryPath).dependencies;
    if (nested !== undefined) checkV1Entries(nested, `${entryPath}.dependencies`);
  }
}

function checkEntry(entry: unknown, path: string): JsonObject {
  if (!isObject(entry)) throw new Error(`${path}: expected an object`);
  for (const field of ['name', 'version', 'resolved', 'integrity'] as const) {
    if (entry[field] !== undefined && typeof entry[field] !== 'string') throw new Error(`${path}.${field}: expected a string`);
  }
  return entry;
}
