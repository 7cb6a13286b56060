import type { TreePackage } from '../tree/tree.types.js';

/** One ECDSA registry signature from `dist.signatures`. */
export interface RegistrySignature {
  keyid: string;
  sig: string;
}

/** What the registry says about one version (from the full packument). */
export interface RegistryVersion {
  name: string;
  version: string;
  integrity?: string;
  signatures: RegistrySignature[];
  /** `dist.attestations`: where the attestations document is, and whether it has provenance. */
  attestations?: { url: string; provenancePredicateType?: string };
  /** `time[version]`: when the version was published. */
  publishedAt?: Date;
}

export interface Packument {
  name: string;
  /** By version string. */
  versions: Map<string, RegistryVersion>;
}

/** Where evidence came from and what it was, before verification. */
export type EvidenceLookup =
  | { found: true; source: string; location: string; document: unknown }
  | { found: false; source: string; reason: string };

/** Network and file access for the audit, so the core can be tested with fakes. */
export interface EvidenceFetcher {
  /** Full packument; throws SourceError (with a one-line reason) on any failure. */
  packument(name: string, registry: string): Promise<Packument>;
  /** GET a JSON document (attestations, url sources); undefined on 404. Throws SourceError otherwise. */
  getJson(url: string, options?: { bearerToken?: string }): Promise<unknown | undefined>;
  /** The caller is done with this packument: a later call fetches it again. */
  release?(name: string, registry: string): void;
}

export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

export type { TreePackage };
