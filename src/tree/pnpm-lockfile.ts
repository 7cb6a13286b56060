import { posix } from 'node:path';
import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { isObject, type JsonObject } from '../trust/json-fields.js';
import { packageOrigin, type PackageOrigin } from './npm-registry-config.js';
import type { SourceLocation, TreePackage } from './tree.types.js';
import { yamlKeyLines } from './yaml-key-lines.js';

type RegistryFor = (name: string) => string;

const IMPORTER_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
const SNAPSHOT_SECTIONS = ['dependencies', 'optionalDependencies'] as const;
type ImporterSection = (typeof IMPORTER_SECTIONS)[number];
type SnapshotSection = (typeof SNAPSHOT_SECTIONS)[number];
/** alias → reference (`1.0.0`, `1.0.0(peer@2.0.0)`, `other@1.0.0`, `link:../x`, `file:x.tgz`…). */
type References = Record<string, string>;

/** A dependency reference from an importer or a snapshot, resolved to a snapshot key. */
interface Edge {
  to: string;
  dev: boolean;
  optional: boolean;
  peer: boolean;
}

interface Lockfile {
  importers: Record<string, Record<ImporterSection, References>>;
  /** Metadata by `<name>@<version>`: resolution, peerDependencies. */
  packages: Record<string, JsonObject>;
  /** The graph by `<name>@<version><peer suffix>`. */
  snapshots: Record<string, Record<SnapshotSection, References>>;
}

/**
 * The packages of a pnpm lockfile v9 (pnpm 9, 10, 11, 12): one TreePackage per snapshot, plus one
 * per `link:` dependency of an importer. Paths are `node_modules/.pnpm/<snapshot key>` (the key as
 * written in the lockfile, peer suffix included, not pnpm's escaped folder name), and
 * `<importer>/node_modules/<alias>` for links. Lines point at the `packages:` entry, or at the
 * importer's dependency key for links. A package reachable from a production dependency of any
 * importer is production.
 */
export function readPnpmLockfile(text: string, file: string, registryFor: RegistryFor): TreePackage[] {
  // pnpm 11+ may put an "env" document (configDependencies, packageManagerDependencies) first.
  const documents = parseYamlDocuments(text);
  if (documents.length === 0) throw new Error('empty lockfile');
  const main = documents[documents.length - 1];
  assertNoSharedNodes(main);
  const lockfile = checkLockfile(main);
  const lines = yamlKeyLines(text, 4);
  const at = (path: string[]): SourceLocation | undefined => {
    const line = lines.get(path.join('\0'));
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
 * times (and an anchor inside itself, a cycle). Any node reached twice is refused.
 */
function assertNoSharedNodes(document: unknown): void {
  const seen = new WeakSet<object>();
  const pending: unknown[] = [document];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (seen.has(node)) throw new Error('uses YAML anchors and aliases, which pnpm never writes');
    seen.add(node);
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
  const document = lockfile.snapshots === undefined ? fileShapeOf(lockfile) : lockfile;
  return lockfilePackages(checkLockfile(document), registryFor, { ofPackage: () => undefined, ofImporterDependency: () => undefined });
}

/**
 * One package as pnpm resolved it (`{integrity}` from a registry, `{tarball}`, `{type: 'git'}`…),
 * for hooks that see a single package rather than a lockfile (a fetcher): what a `packages:` entry
 * with that resolution would read as.
 */
export function readPnpmResolution(name: string, version: string, resolution: unknown, registryFor: RegistryFor): Omit<TreePackage, 'paths' | 'dev' | 'optional' | 'peer'> {
  return snapshotPackage(`${name}@${version}`, { name, version, resolution }, registryFor);
}

/** Where each entry is written, when the lockfile was read from text. */
interface Locator {
  ofPackage(packageKey: string): SourceLocation | undefined;
  ofImporterDependency(importerId: string, section: ImporterSection, alias: string): SourceLocation | undefined;
}

function lockfilePackages(lockfile: Lockfile, registryFor: RegistryFor, locate: Locator): TreePackage[] {
  // Arborist's calcDepFlags as reachability: a flag holds unless some path from an importer avoids it.
  const edgesFrom = snapshotEdges(lockfile);
  const roots = importerEdges(lockfile);
  const nonDev = reach(roots.filter((edge) => !edge.dev), edgesFrom, () => true);
  const nonOptional = reach(roots.filter((edge) => !edge.optional), edgesFrom, (edge) => !edge.optional);
  const production = reach(roots.filter((edge) => !edge.dev && !edge.optional), edgesFrom, (edge) => !edge.optional);
  const nonPeer = reach(roots, edgesFrom, (edge) => !edge.peer);

  const packages: TreePackage[] = [];
  for (const [snapshotKey, snapshot] of Object.entries(lockfile.snapshots)) {
    const packageKey = packageKeyOf(snapshotKey);
    const metadata = lockfile.packages[packageKey];
    if (!metadata) throw new Error(`snapshots["${snapshotKey}"]: no packages["${packageKey}"] entry`);
    const dev = !nonDev.has(snapshotKey);
    const optional = !nonOptional.has(snapshotKey);
    const flags = { dev, optional, peer: !nonPeer.has(snapshotKey), devOptional: !dev && !optional && !production.has(snapshotKey) };
    const found = locate.ofPackage(packageKey);
    const location = found ? { location: found } : {};
    packages.push({ ...snapshotPackage(packageKey, metadata, registryFor), paths: [`node_modules/.pnpm/${snapshotKey}`], ...flags, ...location });
    // A dependency's own `link:` (from overrides) is relative to the lockfile's folder.
    for (const [alias, reference] of linkReferences(Object.values(snapshot))) {
      packages.push({ ...linkPackage(alias, reference, '.', `node_modules/.pnpm/${snapshotKey}/node_modules/${alias}`, lockfile, registryFor), ...flags, ...location });
    }
  }
  for (const [importerId, importer] of Object.entries(lockfile.importers)) {
    for (const section of IMPORTER_SECTIONS) {
      for (const [alias, reference] of linkReferences([importer[section]])) {
        const found = locate.ofImporterDependency(importerId, section, alias);
        packages.push({
          ...linkPackage(alias, reference, importerId, posix.join(importerId, 'node_modules', alias), lockfile, registryFor),
          dev: section === 'devDependencies',
          optional: section === 'optionalDependencies',
          peer: false,
          devOptional: false,
          ...(found ? { location: found } : {}),
        });
      }
    }
  }
  return packages;
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

function snapshotPackage(packageKey: string, metadata: JsonObject, registryFor: RegistryFor): Omit<TreePackage, 'paths' | 'dev' | 'optional' | 'peer'> {
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
  return {
    name,
    version,
    ...(integrity ? { integrity } : {}),
    ...(tarball ? { resolved: tarball } : {}),
    registry,
    ...(unsupportedSource ? { unsupportedSource } : {}),
  };
}

/** `{type: git}` and pnpm 12's `{gitHosted: true}` are git; `{type: directory}` a folder; other types (node runtimes…) are downloads from elsewhere. */
function resolutionOrigin(name: string, resolution: JsonObject, tarball: string | undefined, registryFor: RegistryFor): PackageOrigin {
  if (resolution.type === 'git' || resolution.gitHosted === true) return { registry: registryFor(name), unsupportedSource: 'git' };
  if (resolution.type === 'directory') return { registry: registryFor(name), unsupportedSource: 'directory' };
  if (resolution.type !== undefined) return { registry: registryFor(name), unsupportedSource: 'remote' };
  return packageOrigin(name, tarball, registryFor);
}

function linkReferences(sections: References[]): [alias: string, reference: string][] {
  return sections.flatMap((section) => Object.entries(section).filter(([, reference]) => reference.startsWith('link:')));
}

function linkPackage(alias: string, reference: string, fromDir: string, path: string, lockfile: Lockfile, registryFor: RegistryFor): Omit<TreePackage, 'dev' | 'optional' | 'peer'> {
  const target = posix.normalize(posix.join(fromDir, reference.slice('link:'.length)));
  return {
    name: alias,
    // Relative to the project root, not to the importer, so that links from two importers to one folder are one package.
    version: `link:${target}`,
    registry: registryFor(alias),
    paths: [path],
    unsupportedSource: target in lockfile.importers ? 'workspace' : 'link',
  };
}

/** Every importer (the project and each workspace package) is a root, as with `pnpm install --prod`. */
function importerEdges(lockfile: Lockfile): Edge[] {
  const edges: Edge[] = [];
  for (const importer of Object.values(lockfile.importers)) {
    for (const section of IMPORTER_SECTIONS) {
      for (const [alias, reference] of Object.entries(importer[section])) {
        const to = snapshotKeyOf(reference, alias);
        if (to === null) continue;
        if (!(to in lockfile.snapshots)) throw new Error(`importers: ${alias}@${reference} is not in snapshots`);
        edges.push({ to, dev: section === 'devDependencies', optional: section === 'optionalDependencies', peer: false });
      }
    }
  }
  return edges;
}

/** Dependencies of each snapshot; a dependency named in the package's peerDependencies is a peer edge. */
function snapshotEdges(lockfile: Lockfile): Map<string, Edge[]> {
  const edgesFrom = new Map<string, Edge[]>();
  for (const [snapshotKey, snapshot] of Object.entries(lockfile.snapshots)) {
    const metadata = lockfile.packages[packageKeyOf(snapshotKey)] ?? {};
    const peers = isObject(metadata.peerDependencies) ? metadata.peerDependencies : {};
    const peersMeta = isObject(metadata.peerDependenciesMeta) ? metadata.peerDependenciesMeta : {};
    const edges: Edge[] = [];
    for (const section of SNAPSHOT_SECTIONS) {
      for (const [alias, reference] of Object.entries(snapshot[section])) {
        const to = snapshotKeyOf(reference, alias);
        if (to === null) continue;
        if (!(to in lockfile.snapshots)) throw new Error(`snapshots["${snapshotKey}"]: ${alias}@${reference} is not in snapshots`);
        const peer = alias in peers;
        const optionalPeer = peer && isObject(peersMeta[alias]) && peersMeta[alias].optional === true;
        edges.push({ to, dev: false, optional: section === 'optionalDependencies' || optionalPeer, peer });
      }
    }
    edgesFrom.set(snapshotKey, edges);
  }
  return edgesFrom;
}

/** Snapshot keys reachable from `roots` through edges that `follow` accepts (roots always count). */
function reach(roots: Edge[], edgesFrom: Map<string, Edge[]>, follow: (edge: Edge) => boolean): Set<string> {
  const reached = new Set<string>();
  const queue = roots.map((edge) => edge.to);
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (reached.has(key)) continue;
    reached.add(key);
    for (const edge of edgesFrom.get(key) ?? []) if (follow(edge) && !reached.has(edge.to)) queue.push(edge.to);
  }
  return reached;
}

/**
 * pnpm's `refToRelative`: `link:` has no snapshot; a reference that names a package (aliases,
 * `@scope/x@1.0.0`) is the key; anything else is a version (maybe with a peer suffix) of `alias`.
 */
function snapshotKeyOf(reference: string, alias: string): string | null {
  if (reference.startsWith('link:')) return null;
  if (reference.startsWith('@')) return reference;
  const at = reference.indexOf('@');
  if (at === -1) return `${alias}@${reference}`;
  const colon = reference.indexOf(':');
  const paren = reference.indexOf('(');
  if ((colon === -1 || at < colon) && (paren === -1 || at < paren)) return reference;
  return `${alias}@${reference}`;
}

/** The `packages:` key of a snapshot: without its trailing, possibly nested, `(peer@x)` and `(patch_hash=…)` groups. */
function packageKeyOf(snapshotKey: string): string {
  let end = snapshotKey.length;
  while (snapshotKey[end - 1] === ')') {
    let depth = 0;
    let start = end - 1;
    for (; start >= 0; start--) {
      if (snapshotKey[start] === ')') depth++;
      else if (snapshotKey[start] === '(' && --depth === 0) break;
    }
    if (start <= 0) break;
    end = start;
  }
  return snapshotKey.slice(0, end);
}

function checkLockfile(document: unknown): Lockfile {
  if (!isObject(document)) throw new Error('not a pnpm lockfile (expected a YAML mapping)');
  const version = document.lockfileVersion;
  if (!/^9(\.\d+)?$/.test(String(version))) throw new Error(`lockfileVersion ${String(version)} is not supported (need 9.x)`);
  const importers: Lockfile['importers'] = {};
  for (const [id, importer] of Object.entries(mappingOf(document.importers, 'importers'))) {
    const importerPath = `importers["${id}"]`;
    const sections = importer === null ? {} : mappingOf(importer, importerPath);
    importers[id] = mapSections(IMPORTER_SECTIONS, (section) =>
      references(sections[section], `${importerPath}.${section}`, (dependency) => (isObject(dependency) ? dependency.version : undefined), '.version'),
    );
  }
  const packages: Lockfile['packages'] = {};
  for (const [key, metadata] of Object.entries(mappingOf(document.packages ?? {}, 'packages'))) packages[key] = mappingOf(metadata, `packages["${key}"]`);
  const snapshots: Lockfile['snapshots'] = {};
  for (const [key, snapshot] of Object.entries(mappingOf(document.snapshots ?? {}, 'snapshots'))) {
    const snapshotPath = `snapshots["${key}"]`;
    // An empty snapshot is written `{}`, but a bare `key:` reads as null.
    const sections = snapshot === null ? {} : mappingOf(snapshot, snapshotPath);
    snapshots[key] = mapSections(SNAPSHOT_SECTIONS, (section) => references(sections[section], `${snapshotPath}.${section}`, (reference) => reference, ''));
  }
  return { importers, packages, snapshots };
}

function mapSections<S extends string>(sections: readonly S[], read: (section: S) => References): Record<S, References> {
  return Object.fromEntries(sections.map((section) => [section, read(section)])) as Record<S, References>;
}

/** alias → reference. Importers write `{specifier, version}` per alias, snapshots the reference itself. */
function references(section: unknown, path: string, referenceOf: (value: unknown) => unknown, field: string): References {
  if (section === undefined || section === null) return {};
  const found: References = {};
  for (const [alias, value] of Object.entries(mappingOf(section, path))) {
    const reference = referenceOf(value);
    if (typeof reference !== 'string') throw new Error(`${path}["${alias}"]${field}: expected a string`);
    found[alias] = reference;
  }
  return found;
}

function mappingOf(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw new Error(`${path}: expected a mapping`);
  return value;
}

/** Line of each `<section>/<alias>` key of one importer. */
