import { createHash } from 'node:crypto';
import type { DigestAlgorithm } from './bundle.types.js';

/**
 * What a bundle must be about: the bytes themselves, or only their digest.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import type { Artifact } from 'pkgseal';
 *
 * const wholeFile: Artifact = { kind: 'bytes', data: readFileSync('a.txt') };
 * const digestOnly: Artifact = { kind: 'digest', algorithm: 'sha256', digest: Buffer.from('a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf', 'hex') };
 * ```
 */
export type Artifact =
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'digest'; algorithm: DigestAlgorithm; digest: Buffer };

/**
 * An npm package version, identified by its registry integrity (sha512).
 * @example
 * ```ts
 * import { parseSha512Integrity, type NpmPackageVersion } from 'pkgseal';
 *
 * // The integrity as package-lock.json records it.
 * const integrity = 'sha512-' + 'A'.repeat(86) + '==';
 * const pkg: NpmPackageVersion = { name: 'left-pad', version: '1.3.0', sha512: parseSha512Integrity(integrity)! };
 * ```
 */
export interface NpmPackageVersion {
  name: string;
  version: string;
  sha512: Buffer;
}

export function artifactDigest(artifact: Artifact, algorithm: DigestAlgorithm): Buffer | undefined {
  if (artifact.kind === 'bytes') return createHash(algorithm).update(artifact.data).digest();
  return artifact.algorithm === algorithm ? artifact.digest : undefined;
}

/**
 * `pkg:npm/<name>@<version>` with the scope's `@` percent-encoded, as npm writes it.
 * @example
 * ```ts
 * import { npmPurl } from 'pkgseal';
 *
 * npmPurl('@sigstore/core', '3.2.1'); // 'pkg:npm/%40sigstore/core@3.2.1'
 * ```
 */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

const INTEGRITY = /^sha512-([A-Za-z0-9+/]{86}==)$/;

/**
 * Parses an npm `sha512-<base64>` integrity; undefined when it is anything else.
 * @example
 * ```ts
 * import { parseSha512Integrity } from 'pkgseal';
 *
 * parseSha512Integrity('sha512-' + 'A'.repeat(86) + '==')?.length; // 64
 * parseSha512Integrity('sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk='); // undefined: not sha512
 * ```
 */
export function parseSha512Integrity(integrity: string): Buffer | undefined {
  const match = INTEGRITY.exec(integrity.trim());
  return match ? Buffer.from(match[1]!, 'base64') : undefined;
}
