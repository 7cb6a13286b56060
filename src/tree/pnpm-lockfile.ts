import { posix } from 'node:path';
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { isObject, type JsonObject } from '../trust/json-fields.js';
import { packageOrigin, type PackageOrigin } from './npm-registry-config.js';
import { readLockYaml } from './pnpm-lock-yaml.js';
import { DEV, OPTIONAL, packageKeyOf, reachability, readSnapshotGraph, type Roots, type SnapshotGraph, snapshotKeyOf } from './pnpm-snapshot-graph.js';
import type { SourceLocation, TreePackage } from './tree.types.js';
import { yamlKeyLines } from './yaml-key-lines.js';

type RegistryFor = (name: string) => string;

const IMPORTER_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
type ImporterSection = (typeof IMPORTER_SECTIONS)[number];
/** alias → reference (`1.0.0`, `1.0.0(peer@2.0.0)`, `other@1.0.0`, `link:../x`, `file:x.tgz`…). */
type References = Record<string, string>;
/** A TreePackage before it has a place in the tree. */
type PackageFields = Omit<TreePackage, 'paths' | 'dev' | 'optional' | 'peer'>;

interface Lockfile {
  importers: Record<string, Record<ImporterSection, References>>;
  /** Metadata by `<name>@<version>`: resolution, peerDependencies. */
  packages: Record<string, JsonObject>;
  /** The graph by `<name>@<version><peer suffix>`. */
  snapshots: SnapshotGraph;
}

/**
 * The packages of a pnpm lockfile v9 (pnpm 9, 10, 11, 12): one TreePackage per snapshot, plus one
 * per `link:` dependency of an importer. Paths are `node_modules/.pnpm/<snapshot key>` (the key as
 * written in the lockfile, peer suffix included, not pnpm's escaped folder name), and
 * `<importer>/node_modules/<alias>` for links. Lines point at the `packages:` entry, or at the
 * importer's dependency key for links. A package reachable from a production dependency of any
 * importer is production. Read in one pass when written as pnpm writes it (src/tree/pnpm-lock-yaml.ts),
 * else with js-yaml: the same packages either way.
 */
export function readPnpmLockfile(text: string, file: string, registryFor: RegistryFor): TreePackage[] {
  const fast = readLockYaml(text, 4);
  if (fast === undefined) return readPnpmLockfileWithJsYaml(text, file, registryFor);
  // pnpm 11+ may put an "env" document (configDependencies, packageManagerDependencies) first.
  const { documents, keyLines } = fast;
  return readLockfileDocument(documents[documents.length - 1], file, registryFor, (path) => keyLines.line(path));
}

/**
 * readPnpmLockfile for any YAML, with js-yaml and a line scan: what it does when the lockfile is
 * not written as pnpm writes it (readLockYaml declines), and the reference it is tested against.
 */
export function readPnpmLockfileWithJsYaml(text: string, file: string, registryFor: RegistryFor): TreePackage[] {
  const documents = parseYamlDocuments(text);
  if (documents.length === 0) throw new Error('empty lockfile');
  const main = documents[documents.length - 1];
  assertPlainTree(main, 'the lockfile', 'refused');
  const lines = yamlKeyLines(text, 4);
  return readLockfileDocument(main, file, registryFor, (path) => lines.get(path.join('\0')));
}

function readLockfileDocument(document: unknown, file: string, registryFor: RegistryFor, lineOf: (path: string[]) => number | undefined): TreePackage[] {
  const lockfile = checkLockfile(document);
  const at = (path: string[]): SourceLocation | undefined => {
    const line = lineOf(path);
    return line === undefined ? undefined : { file, line };
  };
  return lockfilePackages(lockfile, registryFor, {
    ofPackage: (packageKey) => at(['packages', packageKey]),
    ofImporterDependency: (importerId, section, alias) => at(['importers', importerId, section, alias]),
  });
}

/**
 * js-yaml with YAML 1.2's core schema (no timestamps, no merge keys), as the yaml package read it
 * before: ~10x faster on a 600 KiB lockfile. A duplicate key is an error.
 */
function parseYamlDocuments(text: string): unknown[] {
  try {
    return loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const { line, column } = error.mark ?? {};
    const where = line === undefined || column === undefined ? '' : ` at line ${line + 1}, column ${column + 1}`;
    throw new Error(`${error.reason || 'invalid YAML'}${where}`);
  }
}

/**
 * pnpm never writes YAML anchors; an alias to a mapping or a list would let one node appear many
 * times (and an anchor inside itself, a cycle). Any node reached twice is refused. Nor does it
 * write a `__proto__` key: copied into an object, one would set its prototype instead, hiding an
 * importer, a package or a dependency from the audit. (pnpm's own objects, handed to hooks, may
 * share nodes.)
 */
function assertPlainTree(document: unknown, what: string, sharedNodes: 'refused' | 'allowed'): void {
  const seen = new WeakSet<object>();
  const pending: unknown[] = [document];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (seen.has(node)) {
      if (sharedNodes === 'refused') throw new Error('uses YAML anchors and aliases, which pnpm never writes');
      continue;
    }
    seen.add(node);
    if (Object.hasOwn(node, '__proto__')) throw new Error(`${what} has a "__proto__" key, which pnpm never writes`);
    pending.push(...Object.values(node));
  }
}

/**
 * The packages of a lockfile object as pnpm hands it to pnpmfile hooks (`preResolution`'s
 * `wantedLockfile`, `afterAllResolved`'s argument): the same TreePackages readPnpmLockfile reads
 * from pnpm-lock.yaml for that lockfile, without lines. pnpm 9 and 10 keep the lockfile in memory
 * in the older shape (importers with `specifiers` and plain references; `packages` keyed by
 * snapshot key, dependencies inside), pnpm 11+ in the file's shape (`packages` + `snapshots`).
 * `{}` (pnpm 12's "no lockfile yet") has no packages.
 */
export function readPnpmLockfileObject(lockfile: unknown, registryFor: RegistryFor): TreePackage[] {
  if (!isObject(lockfile)) throw new Error('not a pnpm lockfile (expected an object)');
  if (lockfile.importers === undefined && lockfile.packages === undefined) return [];
  assertPlainTree(lockfile, 'the lockfile object', 'allowed');
  const document = lockfile.snapshots === undefined ? fileShapeOf(lockfile) : lockfile;
  return lockfilePackages(checkLockfile(document), registryFor, { ofPackage: () => undefined, ofImporterDependency: () => undefined });
}

/**
 * One package as pnpm resolved it (`{integrity}` from a registry, `{tarball}`, `{type: 'git'}`…),
 * for hooks that see a single package rather than a lockfile (a fetcher): what a `packages:` entry
 * with that resolution would read as.
 */
export function readPnpmResolution(name: string, version: string, resolution: unknown, registryFor: RegistryFor): PackageFields {
  return snapshotPackage(`${name}@${version}`, { name, version, resolution }, registryFor);
}

/** Where each entry is written, when the lockfile was read from text. */
interface Locator {
  ofPackage(packageKey: string): SourceLocation | undefined;
  ofImporterDependency(importerId: string, section: ImporterSection, alias: string): SourceLocation | undefined;
}

function lockfilePackages(lockfile: Lockfile, registryFor: RegistryFor, locate: Locator): TreePackage[] {
  // Arborist's calcDepFlags as reachability: a flag holds unless some path from an importer avoids it.
  const { nonDev, nonOptional, production, nonPeer } = reachability(importerEdges(lockfile), lockfile.snapshots.edges);

  const packages: TreePackage[] = [];
  const { keys, packageKeys, links } = lockfile.snapshots;
  let link = 0;
  for (let index = 0; index < keys.length; index++) {
    const snapshotKey = keys[index]!;
    const packageKey = packageKeys[index]!;
    const metadata = lockfile.packages[packageKey];
    if (!metadata) throw new Error(`snapshots["${snapshotKey}"]: no packages["${packageKey}"] entry`);
    const dev = nonDev[index] === 0;
    const optional = nonOptional[index] === 0;
    const peer = nonPeer[index] === 0;
    const devOptional = !dev && !optional && production[index] === 0;
    const location = locate.ofPackage(packageKey);
    const treePackage = snapshotPackage(packageKey, metadata, registryFor) as TreePackage;
    treePackage.paths = [`node_modules/.pnpm/${snapshotKey}`];
    packages.push(withFlags(treePackage, dev, optional, peer, devOptional, location));
    // A dependency's own `link:` (from overrides) is relative to the lockfile's folder.
    for (; link < links.length && links[link]!.snapshot === index; link++) {
      const { alias, reference } = links[link]!;
      const linked = linkPackage(alias, reference, '.', `node_modules/.pnpm/${snapshotKey}/node_modules/${alias}`, lockfile, registryFor);
      packages.push(withFlags(linked as TreePackage, dev, optional, peer, devOptional, location));
    }
  }
  for (const [importerId, importer] of Object.entries(lockfile.importers)) {
    for (const section of IMPORTER_SECTIONS) {
      for (const [alias, reference] of Object.entries(importer[section])) {
        if (!reference.startsWith('link:')) continue;
        const linked = linkPackage(alias, reference, importerId, posix.join(importerId, 'node_modules', alias), lockfile, registryFor) as TreePackage;
        const dev = section === 'devDependencies';
        const optional = section === 'optionalDependencies';
        packages.push(withFlags(linked, dev, optional, false, false, locate.ofImporterDependency(importerId, section, alias)));
      }
    }
  }
  return packages;
}

/** Sets the flags and the location after the fields already there, in the order reports have always listed them. */
function withFlags(treePackage: TreePackage, dev: boolean, optional: boolean, peer: boolean, devOptional: boolean, location: SourceLocation | undefined): TreePackage {
  treePackage.dev = dev;
  treePackage.optional = optional;
  treePackage.peer = peer;
  treePackage.devOptional = devOptional;
  if (location) treePackage.location = location;
  return treePackage;
}

/**
 * pnpm 9/10's in-memory lockfile in the file's shape: importers' `specifiers` folded into
 * `{specifier, version}` entries, and each `packages` entry split into its metadata (under the key
 * without peer suffix) and its snapshot (dependencies, under the full key).
 */
function fileShapeOf(inMemory: JsonObject): JsonObject {
  const importers: JsonObject = {};
  for (const [id, importer] of Object.entries(mappingOf(inMemory.importers ?? {}, 'importers'))) {
    const importerPath = `importers["${id}"]`;
    const sections = importer === null ? {} : mappingOf(importer, importerPath);
    const specifiers = isObject(sections.specifiers) ? sections.specifiers : {};
    const fileImporter: JsonObject = {};
    for (const section of IMPORTER_SECTIONS) {
      if (sections[section] === undefined || sections[section] === null) continue;
      fileImporter[section] = Object.fromEntries(
        Object.entries(mappingOf(sections[section], `${importerPath}.${section}`)).map(([alias, version]) => [alias, { specifier: specifiers[alias], version }]),
      );
    }
    importers[id] = fileImporter;
  }
  const packages: JsonObject = {};
  const snapshots: JsonObject = {};
  for (const [snapshotKey, entry] of Object.entries(mappingOf(inMemory.packages ?? {}, 'packages'))) {
    const { dependencies, optionalDependencies, ...metadata } = mappingOf(entry, `packages["${snapshotKey}"]`);
    packages[packageKeyOf(snapshotKey)] ??= metadata;
    snapshots[snapshotKey] = { dependencies, optionalDependencies };
  }
  return { lockfileVersion: inMemory.lockfileVersion, importers, packages, snapshots };
}

function snapshotPackage(packageKey: string, metadata: JsonObject, registryFor: RegistryFor): PackageFields {
  const at = packageKey.indexOf('@', 1);
  if (at < 1) throw new Error(`packages["${packageKey}"]: key is not <name>@<version>`);
  const name = typeof metadata.name === 'string' ? metadata.name : packageKey.slice(0, at);
  const version = typeof metadata.version === 'string' ? metadata.version : packageKey.slice(at + 1);
  const resolution = metadata.resolution;
  if (!isObject(resolution)) throw new Error(`packages["${packageKey}"].resolution: expected an object`);
  const integrity = typeof resolution.integrity === 'string' ? resolution.integrity : undefined;
  const tarball = typeof resolution.tarball === 'string' ? resolution.tarball : undefined;
  const { registry, unsupportedSource } = resolutionOrigin(name, resolution, tarball, registryFor);
  if (!unsupportedSource && !integrity) throw new Error(`packages["${packageKey}"].resolution: no integrity`);
  // Field by field, not spread: a CLI run is over before V8 makes spreads cheap, and this runs per package.
  const found = { name, version } as PackageFields;
  if (integrity) found.integrity = integrity;
  if (tarball) found.resolved = tarball;
  found.registry = registry;
  if (unsupportedSource) found.unsupportedSource = unsupportedSource;
  return found;
}

/** `{type: git}` and pnpm 12's `{gitHosted: true}` are git; `{type: directory}` a folder; other types (node runtimes…) are downloads from elsewhere. */
function resolutionOrigin(name: string, resolution: JsonObject, tarball: string | undefined, registryFor: RegistryFor): PackageOrigin {
  if (resolution.type === 'git' || resolution.gitHosted === true) return { registry: registryFor(name), unsupportedSource: 'git' };
  if (resolution.type === 'directory') return { registry: registryFor(name), unsupportedSource: 'directory' };
  if (resolution.type !== undefined) return { registry: registryFor(name), unsupportedSource: 'remote' };
  return packageOrigin(name, tarball, registryFor);
}

function linkPackage(alias: string, reference: string, fromDir: string, path: string, lockfile: Lockfile, registryFor: RegistryFor): Omit<TreePackage, 'dev' | 'optional' | 'peer'> {
  const target = posix.normalize(posix.join(fromDir, reference.slice('link:'.length)));
  return {
    name: alias,
    // Relative to the project root, not to the importer, so that links from two importers to one folder are one package.
    version: `link:${target}`,
    registry: registryFor(alias),
    paths: [path],
    unsupportedSource: Object.hasOwn(lockfile.importers, target) ? 'workspace' : 'link',
  };
}

/** Every importer (the project and each workspace package) is a root, as with `pnpm install --prod`. */
function importerEdges(lockfile: Lockfile): Roots {
  const roots: Roots = { to: [], kind: [] };
  for (const importer of Object.values(lockfile.importers)) {
    for (const section of IMPORTER_SECTIONS) {
      for (const [alias, reference] of Object.entries(importer[section])) {
        const to = snapshotKeyOf(reference, alias);
        if (to === null) continue;
        const target = lockfile.snapshots.indexOf.get(to);
        if (target === undefined) throw new Error(`importers: ${alias}@${reference} is not in snapshots`);
        roots.to.push(target);
        roots.kind.push(section === 'devDependencies' ? DEV : section === 'optionalDependencies' ? OPTIONAL : 0);
      }
    }
  }
  return roots;
}

function checkLockfile(document: unknown): Lockfile {
  if (!isObject(document)) throw new Error('not a pnpm lockfile (expected a YAML mapping)');
  const version = document.lockfileVersion;
  if (!/^9(\.\d+)?$/.test(String(version))) throw new Error(`lockfileVersion ${String(version)} is not supported (need 9.x)`);
  const importers: Lockfile['importers'] = {};
  for (const [id, importer] of Object.entries(mappingOf(document.importers, 'importers'))) {
    const importerPath = `importers["${id}"]`;
    const sections = importer === null ? {} : mappingOf(importer, importerPath);
    const references = {} as Record<ImporterSection, References>;
    for (const section of IMPORTER_SECTIONS) references[section] = importerReferences(sections[section], `${importerPath}.${section}`);
    importers[id] = references;
  }
  const packages: Lockfile['packages'] = {};
  const packageMapping = mappingOf(document.packages ?? {}, 'packages');
  const packageKeys = Object.keys(packageMapping);
  for (let index = 0; index < packageKeys.length; index++) {
    const key = packageKeys[index]!;
    const metadata = packageMapping[key];
    if (!isObject(metadata)) throw new Error(`packages["${key}"]: expected a mapping`);
    packages[key] = metadata;
  }
  return { importers, packages, snapshots: readSnapshotGraph(mappingOf(document.snapshots ?? {}, 'snapshots'), packages) };
}

/** alias → reference, from an importer's `{specifier, version}` per alias. */
function importerReferences(section: unknown, path: string): References {
  if (section === undefined || section === null) return {};
  const found: References = {};
  for (const [alias, dependency] of Object.entries(mappingOf(section, path))) {
    const reference = isObject(dependency) ? dependency.version : undefined;
    if (typeof reference !== 'string') throw new Error(`${path}["${alias}"].version: expected a string`);
    found[alias] = reference;
  }
  return found;
}

function mappingOf(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new Error(`${path}: expected a mapping`);
  return value;
}

