import type { ExpectedIdentity } from './identity.js';

export type Requirement = 'none' | 'registry-signature' | 'signed' | 'provenance';

export interface PackageRule {
  /** Name glob from the entry, or `(defaults)` for the rule built from `defaults`. */
  match: string;
  versions?: string;
  require: Requirement;
  /** The entry's identities, or `defaults.identities` when the entry names none. */
  identities: ExpectedIdentity[];
  /** Name of a Sigstore trust entry. */
  trust?: string;
  /** The entry's, else `defaults.noDowngrade`, else top-level `noDowngrade`, else false. */
  noDowngrade: boolean;
  /** JSON pointer of the entry in the policy file (`/packages/2`, or `/defaults`). */
  pointer: string;
}

export type EvidenceSource =
  | { kind: 'registry' }
  | { kind: 'dir'; dir: string }
  | { kind: 'url'; url: string; tokenEnv?: string }
  /** Accepted by the schema; not implemented yet (sources skip it with a note). */
  | { kind: 'github' };

export interface TrustEntry {
  name: string;
  /** Absolute path; undefined for the embedded public-good root. */
  trustedRoot?: string;
}

/** Keys an npm registry signs `dist.signatures` with. */
export interface RegistryKeysEntry {
  /** Base URL with a trailing slash, as `TreePackage.registry`. */
  registry: string;
  /** Absolute path of a keys.json or `/-/npm/v1/keys` document. */
  keysFile: string;
}

export interface PolicyDefaults {
  /** Applies to packages no entry matches; without it such packages are violations. */
  require?: Requirement;
  /** `defaults.noDowngrade`, else top-level `noDowngrade`, else false. */
  noDowngrade: boolean;
  /** `defaults.identities` (entries without identities use them); empty when not given. */
  identities: ExpectedIdentity[];
}

export interface PolicyException {
  name: string;
  /** Exact version; undefined: every version of `name`. */
  version?: string;
  reason: string;
  /** UTC midnight of the `expires` day: from then on the exception no longer applies. */
  expires: Date;
  /** JSON pointer of the exception (`/exceptions/0`). */
  pointer: string;
}

/** A validated policy, paths resolved against the policy file's folder. */
export interface Policy {
  file: string;
  mode: 'enforce' | 'warn';
  /** Sigstore roots; never empty (public-good when the policy names none). */
  trust: TrustEntry[];
  registryKeys: RegistryKeysEntry[];
  sources: EvidenceSource[];
  defaults: PolicyDefaults;
  packages: PackageRule[];
  exceptions: PolicyException[];
}

/** The policy file as written (SPEC section 5, policy.schema.json). */
export interface PolicyDocument {
  $schema?: string;
  $comment?: string;
  version: 1;
  mode?: 'enforce' | 'warn';
  trust?: Array<SigstoreTrustDocument | RegistryKeysDocument>;
  sources?: SourceDocument[];
  noDowngrade?: boolean;
  defaults?: DefaultsDocument;
  packages?: PackageRuleDocument[];
  exceptions?: ExceptionDocument[];
}

export interface SigstoreTrustDocument {
  $comment?: string;
  name: string;
  trustedRoot?: string;
}

export interface RegistryKeysDocument {
  $comment?: string;
  registry: string;
  keys: string;
}

export type SourceDocument =
  | 'registry'
  | 'github'
  | { $comment?: string; dir: string }
  | { $comment?: string; url: string; tokenEnv?: string };

export interface DefaultsDocument {
  $comment?: string;
  require?: Requirement;
  noDowngrade?: boolean;
  identities?: IdentityDocument[];
}

export interface PackageRuleDocument {
  $comment?: string;
  match: string;
  versions?: string;
  require: Requirement;
  identities?: IdentityDocument[];
  trust?: string;
  noDowngrade?: boolean;
}

export interface IdentityDocument {
  $comment?: string;
  issuer: string;
  subject?: string;
  subjectRegExp?: string;
  repository?: string;
  workflow?: string;
  ref?: string;
  trigger?: string;
  runner?: 'github-hosted' | 'self-hosted';
}

export interface ExceptionDocument {
  $comment?: string;
  package: string;
  reason: string;
  expires: string;
}
