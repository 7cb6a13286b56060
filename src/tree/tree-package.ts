import { packageOrigin } from './npm-registry-config.js';
import type { TreePackage } from './tree.types.js';

type DependencyFlags = Pick<TreePackage, 'dev' | 'optional' | 'peer' | 'devOptional'>;
/** Arborist's node flags, where devOptional is set beside dev or optional too. */
export type ArboristFlags = Required<DependencyFlags>;

/** One installed package as npm's lockfile records it (or Arborist's node for that entry). */
export interface LockedPackage {
  name: string;
  version: string;
  integrity: string | null | undefined;
  resolved: string | null | undefined;
  /** Arborist location: `node_modules/a/node_modules/b`. */
  location: string;
  flags: ArboristFlags;
}

/** The TreePackage of a package installed from where `resolved` says (a registry unless it says otherwise). */
export function lockedTreePackage(locked: LockedPackage, registryFor: (name: string) => string): TreePackage {
  const { name, integrity, location } = locked;
  const resolved = locked.resolved ?? undefined;
  const { registry, unsupportedSource } = packageOrigin(name, resolved, registryFor);
  return {
    name,
    version: locked.version,
    ...(integrity ? { integrity } : {}),
    ...(resolved ? { resolved } : {}),
    registry,
    paths: [location],
    ...dependencyFlags(locked.flags),
    ...(unsupportedSource ? { unsupportedSource } : {}),
  };
}

/**
 * Arborist sets devOptional beside dev or optional too when it reads a lockfile; it only adds
 * information when neither is set: needed by dev and by optional dependencies, by nothing else.
 */
export function dependencyFlags(flags: ArboristFlags): DependencyFlags {
  return { dev: flags.dev, optional: flags.optional, peer: flags.peer, devOptional: flags.devOptional && !flags.dev && !flags.optional };
}

export const NO_DEPENDENCY_FLAGS: ArboristFlags = { dev: false, optional: false, peer: false, devOptional: false };
