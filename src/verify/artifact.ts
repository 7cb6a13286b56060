import { createHash } from 'node:crypto';
import type { DigestAlgorithm } from './bundle.types.js';

/** What a bundle must be about: the bytes themselves, or only their digest. */
export type Artifact =
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'digest'; algorithm: DigestAlgorithm; digest: Buffer };

/** An npm package version, identified by its registry integrity (sha512). */
export interface NpmPackageVersion {
  name: string;
  version: string;
  sha512: Buffer;
}

export function artifactDigest(artifact: Artifact, algorithm: DigestAlgorithm): Buffer | undefined {
  if (artifact.kind === 'bytes') return createHash(algorithm).update(artifact.data).digest();
  return artifact.algorithm === algorithm ? artifact.digest : undefined;
}

/** `pkg:npm/<name>@<version>` with the scope's `@` percent-encoded, as npm writes it. */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
}

const INTEGRITY = /^sha512-([A-Za-z0-9+/]{86}==)$/;

/** Parses an npm `sha512-<base64>` integrity; undefined when it is anything else. */
export function parseSha512Integrity(integrity: string): Buffer | undefined {
  const match = INTEGRITY.exec(integrity.trim());
  return match ? Buffer.from(match[1]!, 'base64') : undefined;
}
