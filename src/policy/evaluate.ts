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
  return policy.packages.find(
    (rule) =>
      compileMatcher({ kind: 'glob', pattern: rule.match })(name) &&
      (rule.versions === undefined || semver.satisfies(version, rule.versions, { includePrerelease: true })),
  );
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

/** Applies a rule to verified evidence. Pure: the caller has already verified every bundle. */
export function evaluateSignedRule(rule: PackageRule, spec: string, attestations: VerifiedAttestation[]): Verdict {
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
