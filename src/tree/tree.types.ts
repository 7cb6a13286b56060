/** Where a package entry was found, for reports that point into the lockfile (SARIF). */
export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column?: number;
}

/** Dependencies that are not registry tarballs: reported as `unsupported source`. */
export type UnsupportedSource = 'git' | 'file' | 'directory' | 'link' | 'remote' | 'workspace';

/** One package version in the dependency tree (deduplicated by name, version and integrity). */
export interface TreePackage {
  name: string;
  version: string;
  /** `sha512-…` (or older `sha1-…`) from the lockfile; undefined when it records none. */
  integrity?: string;
  /** Tarball URL when the lockfile records one. */
  resolved?: string;
  /** Registry base URL (with trailing slash) the package comes from: from `resolved`, else npm config. */
  registry: string;
  /** Every location of this version in the tree, e.g. `node_modules/a/node_modules/b`. */
  paths: string[];
  dev: boolean;
  optional: boolean;
  peer: boolean;
  /**
   * Needed only by dev dependencies and by optional ones, neither alone (Arborist's `devOptional`
   * without `dev` or `optional`): npm omits it only when both are omitted.
   */
  devOptional?: boolean;
  unsupportedSource?: UnsupportedSource;
  location?: SourceLocation;
}

export type TreeKind = 'npm-shrinkwrap' | 'npm-lockfile' | 'pnpm-lockfile' | 'node_modules';

export interface DependencyTree {
  /** Absolute project folder. */
  root: string;
  kind: TreeKind;
  /** Absolute path of the lockfile read (or of node_modules). */
  source: string;
  packages: TreePackage[];
}

export type OmitKind = 'dev' | 'optional' | 'peer';

export interface LoadTreeOptions {
  /** Read node_modules (Arborist loadActual) instead of the lockfile. */
  installed?: boolean;
  omit?: OmitKind[];
  /** Registry base URL for a package name (scoped registries), from npm configuration. */
  registryFor: (name: string) => string;
}
