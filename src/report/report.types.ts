import type { SourceLocation } from '../tree/tree.types.js';

export type Outcome = 'pass' | 'violation' | 'exempted' | 'unsupported';

/** The kinds of problem, as SARIF rule ids (code scanning groups alerts by them). */
export type RuleId =
  | 'pkgseal/identity-mismatch'
  | 'pkgseal/missing-evidence'
  | 'pkgseal/verification-failed'
  | 'pkgseal/evidence-downgrade'
  | 'pkgseal/unsupported-source'
  | 'pkgseal/no-policy-entry'
  | 'pkgseal/policy'
  | 'pkgseal/violation';

/** The verdict for one package version, as every report format shows it. */
export interface PackageResult {
  name: string;
  version: string;
  /** Locations in the tree (`node_modules/a/node_modules/b`); the first is shown in text. */
  paths: string[];
  location?: SourceLocation;
  outcome: Outcome;
  /** One line: why (for a violation, naming the expected and the actual identity). */
  reason: string;
  /** One line: what to do (the policy entry to add, the command to run). */
  fix?: string;
  /** The policy entry (its `match`) that applied. */
  rule?: string;
  /** The verified signer, when there was one. */
  signer?: { issuer: string; subject: string; repository?: string; workflow?: string; ref?: string };
  /** The kind of problem, when the audit knows it; otherwise reports derive it from `outcome` and `reason`. */
  ruleId?: RuleId;
  /** For `exempted`: the policy exception that applied (`expires`: UTC midnight of its day, as `PolicyException`). */
  exception?: { reason: string; expires: Date };
}

export interface AuditSummary {
  packages: number;
  passed: number;
  violations: number;
  exempted: number;
  unsupported: number;
}

export interface AuditReport {
  tool: { name: 'pkgseal'; version: string };
  /** Absolute project folder, lockfile and policy file. */
  project: string;
  lockfile: string;
  policy: string;
  mode: 'enforce' | 'warn';
  /** When the audit ran; omitted from output when unset, so reports of the same tree compare equal. */
  generatedAt?: Date;
  summary: AuditSummary;
  results: PackageResult[];
  /** Problems with the policy itself found during the run (e.g. an expired exception). */
  policyProblems: string[];
}
