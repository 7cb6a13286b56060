import semver from 'semver';
import type { VerifiedAttestation } from '../verify/npm-attestations.js';
import { identityMismatches } from './identity.js';
import type { PackageRule, Policy } from './policy.types.js';
import { compileMatcher } from './string-matcher.js';

export type Verdict =
  | { outcome: 'pass'; reason: string }
  | { outcome: 'violation'; reason: string; fix: string };

/** First matching entry wins: name glob, then optional semver range. */
export function findRule(policy: Policy, name: string, version: string): PackageRule | undefined {
  const index = ruleIndexOf(policy.packages);
  // Candidates in policy order: the entries naming exactly this package, merged with the patterns.
  const exact = index.byName.get(name) ?? [];
  let e = 0;
  let p = 0;
  while (e < exact.length || p < index.patterns.length) {
    const takeExact = p >= index.patterns.length || (e < exact.length && exact[e]! < index.patterns[p]!.position);
    const position = takeExact ? exact[e++]! : index.patterns[p]!.position;
    if (!takeExact && !index.patterns[p++]!.matches(name)) continue;
    const rule = policy.packages[position]!;
    if (rule.versions === undefined || semver.satisfies(version, rule.versions, { includePrerelease: true })) return rule;
  }
  return undefined;
}

interface RuleIndex {
  /** Positions of the entries whose match is a plain name, by that name, ascending. */
  byName: Map<string, number[]>;
  /** The entries whose match is a glob, in policy order. */
  patterns: Array<{ position: number; matches: (name: string) => boolean }>;
}

const ruleIndexes = new WeakMap<readonly PackageRule[], RuleIndex>();

/** Built once per policy: a policy with an entry per package is looked up once per package. */
function ruleIndexOf(rules: readonly PackageRule[]): RuleIndex {
  let index = ruleIndexes.get(rules);
  if (index) return index;
  index = { byName: new Map(), patterns: [] };
  for (const [position, rule] of rules.entries()) {
    if (/[*?]/.test(rule.match)) {
      index.patterns.push({ position, matches: compileMatcher({ kind: 'glob', pattern: rule.match }) });
    } else {
      const positions = index.byName.get(rule.match) ?? [];
      positions.push(position);
      index.byName.set(rule.match, positions);
    }
  }
  ruleIndexes.set(rules, index);
  return index;
}

/**
 * The rule for name@version: the first matching entry, else one built from `defaults` (match
 * `(defaults)`) when `defaults.require` is set; undefined means no rule applies, a violation.
 */
export function effectiveRule(policy: Policy, name: string, version: string): PackageRule | undefined {
  const rule = findRule(policy, name, version);
  if (rule) return rule.identities.length > 0 ? rule : { ...rule, identities: policy.defaults.identities };
  const { require, noDowngrade, identities } = policy.defaults;
  return require === undefined ? undefined : { match: '(defaults)', require, identities, noDowngrade, pointer: '/defaults' };
}

/** What a policy reads of a verified attestation: who signed, and what kind of statement. */
export type SignerRecord = Pick<VerifiedAttestation, 'signer' | 'predicateType'>;

/** Applies a rule to verified evidence. Pure: the caller has already verified every bundle. */
export function evaluateSignedRule(rule: PackageRule, spec: string, attestations: readonly SignerRecord[]): Verdict {
  const candidates = attestations.filter(
    (attestation) => attestation.signer.kind === 'certificate' && (rule.require !== 'provenance' || attestation.predicateType.startsWith('https://slsa.dev/provenance/')),
  );
  if (candidates.length === 0) {
    return {
      outcome: 'violation',
      reason: rule.require === 'provenance' ? 'no SLSA provenance signed by a Fulcio certificate' : 'no bundle signed by a Fulcio certificate',
      fix: `publish ${spec} with pkgseal sign or npm --provenance`,
    };
  }
  if (rule.identities.length === 0) {
    return { outcome: 'violation', reason: `the policy entry "${rule.match}" names no identities`, fix: `add the expected signers to the identities of "${rule.match}" or to defaults.identities` };
  }
  const reasons: string[] = [];
  for (const attestation of candidates) {
    if (attestation.signer.kind !== 'certificate') continue;
    const signer = attestation.signer.identity;
    for (const expected of rule.identities) {
      const problems = identityMismatches(expected, signer);
      if (problems.length === 0) return { outcome: 'pass', reason: `signed by ${signer.subject} (${signer.issuer})` };
      reasons.push(problems.join('; '));
    }
  }
  const actual = candidates[0]!.signer.kind === 'certificate' ? candidates[0]!.signer.identity.subject : '';
  return {
    outcome: 'violation',
    reason: `signed by ${actual}, which the policy does not allow (${reasons[0]})`,
    fix: `if this signer is legitimate, add it to the identities of the entry matching "${rule.match}"`,
  };
}
