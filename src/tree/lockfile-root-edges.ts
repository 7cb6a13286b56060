import { isObject, type JsonObject } from '../trust/json-fields.js';

type EdgeType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional';
type Edges = Map<string, { type: EdgeType; spec: string }>;

/** Root fields that make Arborist read the tree otherwise than the lockfile's flags say. */
const ROOT_FIELDS_ARBORIST_ACTS_ON = ['workspaces', 'overrides', 'bundleDependencies', 'bundledDependencies'] as const;
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'acceptDependencies'] as const;

/**
 * Whether Arborist's loadVirtual keeps every dev/optional/peer flag the lockfile records: the
 * project's package.json declares exactly the dependencies the lockfile's root entry lists (else
 * load-virtual.js `#checkRootEdges` marks the flags suspect and recalculates them all from the
 * tree), and neither has workspaces, overrides or bundled dependencies. Arborist takes the root
 * package from package.json, or from the lockfile's root entry when package.json does not
 * normalize: both are checked, so the answer holds either way.
 */
export function rootKeepsLockfileFlags(manifest: JsonObject, lockRoot: JsonObject): boolean {
  return agreesWithLockfile(manifest, lockRoot) && agreesWithLockfile(lockRoot, lockRoot);
}

function agreesWithLockfile(rootPackage: JsonObject, lockRoot: JsonObject): boolean {
  if ([rootPackage, lockRoot].some((root) => ROOT_FIELDS_ARBORIST_ACTS_ON.some((field) => root[field] !== undefined))) return false;
  if (![rootPackage, lockRoot].every(hasWellFormedDependencies)) return false;
  const declared = declaredEdges(rootPackage);
  const locked = lockedEdges(lockRoot);
  if (!locked || locked.size !== declared.size || hasNamesEqualButForCase([...declared.keys(), ...locked.keys()])) return false;
  for (const [name, edge] of locked) {
    const declaredEdge = declared.get(name);
    if (declaredEdge?.type !== edge.type || declaredEdge.spec !== edge.spec) return false;
  }
  return true;
}

/**
 * The root node's edges as Arborist's Node#_loadDeps makes them: peer (optional ones as
 * peerOptional), then prod, optional and dev, a later type replacing an earlier one by name.
 */
function declaredEdges(rootPackage: JsonObject): Edges {
  const edges: Edges = new Map();
  const peerMeta = (rootPackage.peerDependenciesMeta ?? {}) as JsonObject;
  for (const [name, spec] of stringEntries(rootPackage.peerDependencies)) edges.set(name, { type: isOptionalPeer(peerMeta[name]) ? 'peerOptional' : 'peer', spec });
  for (const [name, spec] of stringEntries(rootPackage.dependencies)) edges.set(name, { type: 'prod', spec });
  for (const [name, spec] of stringEntries(rootPackage.optionalDependencies)) edges.set(name, { type: 'optional', spec });
  for (const [name, spec] of stringEntries(rootPackage.devDependencies)) edges.set(name, { type: 'dev', spec });
  return edges;
}

/**
 * The edges `#checkRootEdges` expects from the lockfile's root entry: an optional dependency is
 * not also prod, an optional peer is peerOptional. Undefined when a name is listed under two
 * types, which no edge can match.
 */
function lockedEdges(lockRoot: JsonObject): Edges | undefined {
  const optional = new Map(stringEntries(lockRoot.optionalDependencies));
  const peerMeta = (lockRoot.peerDependenciesMeta ?? {}) as JsonObject;
  const byType: [EdgeType, [string, string][]][] = [
    ['dev', stringEntries(lockRoot.devDependencies)],
    ['optional', [...optional]],
    ['peer', stringEntries(lockRoot.peerDependencies).filter(([name]) => !isOptionalPeer(peerMeta[name]))],
    ['peerOptional', stringEntries(lockRoot.peerDependencies).filter(([name]) => isOptionalPeer(peerMeta[name]))],
    ['prod', stringEntries(lockRoot.dependencies).filter(([name]) => !optional.has(name))],
  ];
  const edges: Edges = new Map();
  for (const [type, entries] of byType) {
    for (const [name, spec] of entries) {
      if (edges.has(name)) return undefined;
      edges.set(name, { type, spec });
    }
  }
  return edges;
}

/**
 * Dependency maps of strings, peerDependenciesMeta of objects: Arborist throws on other shapes
 * (Edge wants a string spec; `#checkRootEdges` reads `meta.optional`) or reads them unlike JSON.
 */
function hasWellFormedDependencies(root: JsonObject): boolean {
  const meta = root.peerDependenciesMeta;
  if (meta !== undefined && !(isObject(meta) && Object.values(meta).every(isObject))) return false;
  return DEPENDENCY_FIELDS.every((field) => isStringMap(root[field]));
}

export function isStringMap(value: unknown): boolean {
  return value === undefined || (isObject(value) && Object.values(value).every((spec) => typeof spec === 'string'));
}

function stringEntries(value: unknown): [string, string][] {
  return Object.entries((value ?? {}) as Record<string, string>);
}

function isOptionalPeer(meta: unknown): boolean {
  return isObject(meta) && Boolean(meta.optional);
}

/** Arborist keys edges case- and Unicode-insensitively (CaseInsensitiveMap): names that differ only so are not compared here. */
function hasNamesEqualButForCase(names: string[]): boolean {
  const distinct = new Set(names);
  return new Set([...distinct].map((name) => name.normalize('NFKD').toLowerCase())).size !== distinct.size;
}
