/** One installed package version as the lockfile records it. */
export interface TreePackage {
  name: string;
  version: string;
  /** `sha512-…` from the lockfile; undefined when the lockfile has none. */
  integrity?: string;
  /** Location in the tree, e.g. `node_modules/@demo/good-lib`. */
  path: string;
  /** Why this entry cannot be checked (git, file, link…); undefined for registry packages. */
  unsupportedSource?: string;
}
