import type { ExpectedIdentity } from './identity.js';

export type Requirement = 'none' | 'registry-signature' | 'signed' | 'provenance';

export interface PackageRule {
  match: string;
  versions?: string;
  require: Requirement;
  identities: ExpectedIdentity[];
  trust?: string;
}

export type EvidenceSource = { kind: 'registry' } | { kind: 'dir'; dir: string } | { kind: 'url'; url: string; tokenEnv?: string };

export interface TrustEntry {
  name: string;
  /** Absolute path; undefined for the embedded public-good root. */
  trustedRoot?: string;
}

/** A validated policy, paths resolved against the policy file's folder. */
export interface Policy {
  file: string;
  mode: 'enforce' | 'warn';
  trust: TrustEntry[];
  sources: EvidenceSource[];
  packages: PackageRule[];
}
