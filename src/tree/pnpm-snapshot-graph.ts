/**
 * The dependency graph of a pnpm lockfile v9: its `snapshots:` (the installed packages, by key with
 * peer suffix) and their dependencies as numbered edges, read once, so that the dev, optional and
 * peer flags of every package are four walks over arrays rather than over the lockfile's objects.
 */
import { isObject, type JsonObject } from '../trust/json-fields.js';

const SNAPSHOT_SECTIONS = ['dependencies', 'optionalDependencies'] as const;
const NONE: JsonObject = Object.freeze({});

/** Kinds of dependency edge, as bits: from an importer's devDependencies, to an optional (or optional peer) dependency, to a peer. */
export const OPTIONAL = 1;
export const PEER = 2;
export const DEV = 4;

/** The snapshots in order, the dependency edges between them, and their `link:` dependencies. */
export interface SnapshotGraph {
  keys: string[];
  /** The `packages:` key of each. */
  packageKeys: string[];
  indexOf: Map<string, number>;
  edges: Edges;
  /** In order of snapshot, then of dependency. */
  links: Array<{ snapshot: number; alias: string; reference: string }>;
}

/** Dependency edges (snapshot index, kind bits), from the importers. */
export interface Roots {
  to: number[];
  kind: number[];
}

/** Dependency edges from each snapshot: snapshot i's are `start[i]` up to `start[i + 1]`. */
export interface Edges extends Roots {
  start: number[];
}

/** Which snapshots are reached, by snapshot index (1: reached), for each flag Arborist's calcDepFlags sets. */
export interface Reachability {
  nonDev: Uint8Array;
  nonOptional: Uint8Array;
  production: Uint8Array;
  nonPeer: Uint8Array;
}

/** Arborist's calcDepFlags as reachability: a flag holds unless some path from an importer avoids it. */
export function reachability(roots: Roots, edges: Edges): Reachability {
  return {
    nonDev: reach(roots, edges, DEV, 0),
    nonOptional: reach(roots, edges, OPTIONAL, OPTIONAL),
    production: reach(roots, edges, DEV | OPTIONAL, OPTIONAL),
    nonPeer: reach(roots, edges, 0, PEER),
  };
}

/**
 * The snapshots and the edges between them, checked as readPnpmLockfile always has: every reference
 * a string before any is found to name no snapshot. A dependency named in the package's
 * peerDependencies is a peer. A `__proto__` key is refused here too (readPnpmLockfile refuses it
 * first): an object built from the lockfile would take it as its prototype and hide the entry.
 */
export function readSnapshotGraph(mapping: JsonObject, packages: Record<string, JsonObject>): SnapshotGraph {
  const keys = Object.keys(mapping);
  const values = keys.map((key) => mapping[key]);
  const graph: SnapshotGraph = { keys: [], packageKeys: [], indexOf: new Map(), edges: { start: [], to: [], kind: [] }, links: [] };
  for (const key of keys) {
    if (key === '__proto__') throw new Error('snapshots has a "__proto__" key, which pnpm never writes');
    graph.indexOf.set(key, graph.keys.length);
    graph.keys.push(key);
    graph.packageKeys.push(packageKeyOf(key));
  }
  const { edges } = graph;
  let unknownTarget: string | undefined;
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    const snapshot = values[index];
    // An empty snapshot is written `{}`, but a bare `key:` reads as null.
    if (snapshot !== null && !isObject(snapshot)) throw new Error(`snapshots["${key}"]: expected a mapping`);
    const from = edges.start.push(edges.to.length) - 1;
    const metadata = packages[graph.packageKeys[from]!] ?? NONE;
    const peers = isObject(metadata.peerDependencies) ? metadata.peerDependencies : NONE;
    const peersMeta = isObject(metadata.peerDependenciesMeta) ? metadata.peerDependenciesMeta : NONE;
    for (const section of SNAPSHOT_SECTIONS) {
      const references = (snapshot ?? NONE)[section];
      if (references === undefined || references === null) continue;
      if (!isObject(references)) throw new Error(`snapshots["${key}"].${section}: expected a mapping`);
      const aliases = Object.keys(references);
      for (let position = 0; position < aliases.length; position++) {
        const alias = aliases[position]!;
        const reference = references[alias];
        if (typeof reference !== 'string') throw new Error(`snapshots["${key}"].${section}["${alias}"]: expected a string`);
        if (alias === '__proto__') throw new Error(`snapshots["${key}"].${section} has a "__proto__" key, which pnpm never writes`);
        const to = snapshotKeyOf(reference, alias);
        if (to === null) {
          graph.links.push({ snapshot: from, alias, reference });
          continue;
        }
        const target = graph.indexOf.get(to);
        if (target === undefined) {
          unknownTarget ??= `snapshots["${key}"]: ${alias}@${reference} is not in snapshots`;
          continue;
        }
        const peer = Object.hasOwn(peers, alias);
        const optionalPeer = peer && isObject(peersMeta[alias]) && peersMeta[alias].optional === true;
        edges.to.push(target);
        edges.kind.push((section === 'optionalDependencies' || optionalPeer ? OPTIONAL : 0) | (peer ? PEER : 0));
      }
    }
  }
  edges.start.push(edges.to.length);
  if (unknownTarget !== undefined) throw new Error(unknownTarget);
  return graph;
}

/** Which snapshots are reachable from the roots not of a `skipRoots` kind through edges not of a `skipEdges` kind (1: reached). */
function reach(roots: Roots, edges: Edges, skipRoots: number, skipEdges: number): Uint8Array {
  const reached = new Uint8Array(edges.start.length - 1);
  const queue: number[] = [];
  for (let root = 0; root < roots.to.length; root++) if ((roots.kind[root]! & skipRoots) === 0) queue.push(roots.to[root]!);
  for (let index = queue.pop(); index !== undefined; index = queue.pop()) {
    if (reached[index] === 1) continue;
    reached[index] = 1;
    for (let edge = edges.start[index]!; edge < edges.start[index + 1]!; edge++) {
      if ((edges.kind[edge]! & skipEdges) === 0 && reached[edges.to[edge]!] === 0) queue.push(edges.to[edge]!);
    }
  }
  return reached;
}

/**
 * pnpm's `refToRelative`: `link:` has no snapshot; a reference that names a package (aliases,
 * `@scope/x@1.0.0`) is the key; anything else is a version (maybe with a peer suffix) of `alias`.
 */
export function snapshotKeyOf(reference: string, alias: string): string | null {
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
export function packageKeyOf(snapshotKey: string): string {
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

