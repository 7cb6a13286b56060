import { sep } from 'node:path';
import { identityMismatches, signerClaims, type ExpectedIdentity } from '../policy/identity.js';
import { policyFromObservations } from '../policy/init-policy.js';
import type { PackageRule, Requirement } from '../policy/policy.types.js';
import { describeMatcher } from '../policy/string-matcher.js';
import { ruleIdFor } from '../report/summarize.js';
import { oneLine, OUTCOME_LABEL } from '../report/text-report.js';
import type { PackageResult } from '../report/report.types.js';
import type { VerifiedAttestation } from '../verify/npm-attestations.js';

/** The policy entry that applied to a package, where it is written, and why it won. */
export interface EntryExplanation {
  rule: PackageRule;
  /** `file:line:column` of the entry (or of `defaults`). */
  at: string;
  why: string;
  /** Earlier entries that name the package but whose `versions` range leaves this version out. */
  passedOver: string[];
}

/** One package's audit, step by step: what `pkgseal explain` prints. */
export interface Explanation {
  result: PackageResult;
  policy: { file: string; mode: 'enforce' | 'warn' };
  lockfile: string;
  /** Undefined when no entry matches and the policy has no `defaults.require`. */
  entry?: EntryExplanation;
  /** One line per evidence source tried, in the policy's order. */
  sources: string[];
  /** Registry signature and noDowngrade checks. */
  notes: string[];
  /** The evidence that verified, when the rule needed a bundle and one verified. */
  evidence?: { location: string; cached: boolean; attestations: VerifiedAttestation[] };
}

const REQUIREMENT = {
  none: 'nothing: the package is not checked',
  'registry-signature': "the registry's signature over name@version:integrity, with the lockfile's integrity",
  signed: 'a Sigstore bundle whose certificate meets one of the identities below',
  provenance: 'SLSA provenance whose Fulcio certificate meets one of the identities below',
} as const satisfies Record<Requirement, string>;


const SLSA_PROVENANCE = 'https://slsa.dev/provenance/';
/** Width of the label column (`in the tree` and a space). */
const LABEL_WIDTH = 12;

export interface ExplanationTextOptions {
  color: boolean;
  /** Paths under this folder are shown relative to it. */
  cwd: string;
}

/** The human explanation: one block per package, label column on the left, blank line between. */
export function formatExplanation(explanations: Explanation[], options: ExplanationTextOptions): string {
  const paint = (ansi: string, text: string): string => (options.color ? `\u001b[${ansi}m${text}\u001b[0m` : text);
  const shorten = (text: string): string => oneLine(text).split(`${options.cwd}${sep}`).join('');
  return `${explanations.map((explanation) => block(explanation, paint, shorten).join('\n')).join('\n\n')}\n`;
}

type Paint = (ansi: string, text: string) => string;

function block(explanation: Explanation, paint: Paint, shorten: (text: string) => string): string[] {
  const { result, entry } = explanation;
  const lines: string[] = [paint('1', shorten(`${result.name}@${result.version}`))];
  /** `prefix` is ours (colour codes allowed); every value is made one inert line. */
  const row = (label: string, values: string[], prefix = ''): void => {
    values.forEach((value, i) => lines.push(`  ${(i === 0 ? label : '').padEnd(LABEL_WIDTH)}${i === 0 ? prefix : ''}${shorten(value)}`));
  };
  const where = result.location ? ` (${result.location.file}:${result.location.line}${result.location.column ? `:${result.location.column}` : ''})` : '';
  row('in the tree', [`${result.paths.join(', ') || '(root)'}${where}`]);
  row('policy', [`${explanation.policy.file} (mode: ${explanation.policy.mode})`]);
  if (entry) {
    row('entry', [`${entry.rule.pointer} "${entry.rule.match}"${entry.rule.versions ? ` versions "${entry.rule.versions}"` : ''} at ${entry.at}`, entry.why, ...entry.passedOver.map((line) => `skipped: ${line}`)]);
    row('requires', [`${entry.rule.require}: ${REQUIREMENT[entry.rule.require]}${entry.rule.noDowngrade ? '; noDowngrade' : ''}`, ...identityLines(entry.rule)]);
  } else {
    row('entry', ['none: no entry matches and the policy sets no defaults.require']);
  }
  if (result.exception) row('exception', [`until ${result.exception.expires.toISOString().slice(0, 10)}: ${result.exception.reason}`]);
  row('sources', explanation.sources.length > 0 ? explanation.sources : [sourcesNotConsulted(explanation)]);
  if (explanation.notes.length > 0) row('checks', explanation.notes);
  if (explanation.evidence) {
    const { location, cached, attestations } = explanation.evidence;
    row('evidence', [`${location} verifies${cached ? ' (an earlier verification, from the cache)' : ''}: certificate chain, transparency log, signature, subject = the lockfile's integrity`]);
    attestations.forEach((attestation, i) => row(i === 0 ? 'signer' : '', signerLines(attestation, i, entry?.rule)));
  }
  const label = OUTCOME_LABEL[result.outcome];
  const ruleId = result.outcome === 'pass' ? '' : ` (${ruleIdFor(result)})`;
  row('verdict', [`${ruleId}: ${result.reason}`.trimStart()], `${paint(label.ansi, label.text)}${ruleId ? ' ' : ''}`);
  const fix = fixLines(explanation);
  if (fix.length > 0) row('fix', fix);
  return lines;
}

function identityLines(rule: PackageRule): string[] {
  if (rule.require === 'none' || rule.require === 'registry-signature') return [];
  if (rule.identities.length === 0) return ['(no identities: every signer fails)'];
  return rule.identities.map((identity, i) => `identity ${i + 1}: ${describeIdentity(identity)}`);
}

function describeIdentity(identity: ExpectedIdentity): string {
  const parts: string[] = [];
  if (identity.issuer) parts.push(`issuer ${describeMatcher(identity.issuer)}`);
  if (identity.subject) parts.push(`subject ${describeMatcher(identity.subject)}`);
  for (const claim of ['repository', 'workflow', 'ref', 'trigger', 'sha', 'runner'] as const) {
    if (identity[claim] !== undefined) parts.push(`${claim} "${identity[claim]}"`);
  }
  return parts.join(', ');
}

function sourcesNotConsulted(explanation: Explanation): string {
  const { result, entry } = explanation;
  if (result.outcome === 'exempted') return 'none consulted: an exception applies';
  if (!entry) return 'none consulted: no rule applies';
  if (entry.rule.require === 'none') return 'none consulted: the entry requires nothing';
  if (entry.rule.require === 'registry-signature') return 'none consulted: require "registry-signature" checks the registry\'s own signature';
  return 'none consulted (see the verdict)';
}

/** Everything the certificate says (all from signed bytes), then how it compares with each expected identity. */
function signerLines(attestation: VerifiedAttestation, index: number, rule: PackageRule | undefined): string[] {
  const kind = attestation.predicateType || 'message signature';
  const header = `attestation ${index + 1}: ${kind}, bundle ${attestation.bundleVersion}${signedAt(attestation)}`;
  if (attestation.signer.kind === 'key') return [header, `  key ${attestation.signer.keyID}`];
  const { identity } = attestation.signer;
  const claims = signerClaims(identity);
  const fields: Array<[string, string | undefined]> = [
    ['issuer', identity.issuer],
    ['SAN', identity.subject],
    ['repository', claims.repository],
    ['workflow', claims.workflow],
    ['ref', claims.ref],
    ['trigger', claims.trigger],
    ['sha', claims.sha],
    ['runner', claims.runner],
  ];
  const lines = [header, ...fields.filter(([, value]) => value !== undefined).map(([name, value]) => `  ${name.padEnd(11)}${value}`)];
  if (!rule || (rule.require !== 'signed' && rule.require !== 'provenance')) return lines;
  if (rule.require === 'provenance' && !attestation.predicateType.startsWith(SLSA_PROVENANCE)) return [...lines, '  not SLSA provenance: does not count for require "provenance"'];
  rule.identities.forEach((expected, i) => {
    const problems = identityMismatches(expected, identity);
    lines.push(`  identity ${i + 1}: ${problems.length === 0 ? 'matches' : `does not match (${problems.join('; ')})`}`);
  });
  return lines;
}

function signedAt(attestation: VerifiedAttestation): string {
  const times = attestation.timestamps.map((timestamp) => new Date(timestamp.time).getTime()).filter((time) => !Number.isNaN(time));
  return times.length > 0 ? `, signed ${new Date(Math.min(...times)).toISOString()}` : '';
}

/**
 * The verdict's fix; for a signer the policy does not allow, also the exact identity to add if
 * that signer is legitimate (as `pkgseal init --from-tree` would record it).
 */
function fixLines(explanation: Explanation): string[] {
  const { result } = explanation;
  if (!result.fix) return [];
  const lines = [result.fix];
  if (ruleIdFor(result) === 'pkgseal/identity-mismatch' && result.signer) {
    const { issuer, subject, repository, workflow } = result.signer;
    const suggested = policyFromObservations([{ name: result.name, issuer, subject, ...(repository ? { repository } : {}), ...(workflow ? { workflow } : {}) }]).packages?.[0]?.identities?.[0];
    if (suggested) lines.push(`  identity to add: ${JSON.stringify(suggested)}`);
    lines.push(`otherwise do not install ${result.name}@${result.version}: it was not published by the pipeline the policy names`);
  }
  if (result.outcome === 'violation') lines.push(`then run: pkgseal audit (or pkgseal explain ${result.name}@${result.version}) again`);
  return lines;
}

/** `--format json`: the same steps as data. */
export function explanationJson(explanation: Explanation): object {
  const { result, entry, evidence } = explanation;
  return {
    name: result.name,
    version: result.version,
    paths: [...result.paths],
    location: result.location,
    policy: explanation.policy,
    entry: entry && {
      pointer: entry.rule.pointer,
      match: entry.rule.match,
      versions: entry.rule.versions,
      at: entry.at,
      why: entry.why,
      passedOver: entry.passedOver,
      require: entry.rule.require,
      noDowngrade: entry.rule.noDowngrade,
      identities: entry.rule.identities,
    },
    sources: explanation.sources,
    checks: explanation.notes,
    evidence: evidence && {
      location: evidence.location,
      cached: evidence.cached,
      attestations: evidence.attestations.map((attestation) => ({
        predicateType: attestation.predicateType || undefined,
        bundleVersion: attestation.bundleVersion,
        signer:
          attestation.signer.kind === 'certificate'
            ? { kind: 'certificate', issuer: attestation.signer.identity.issuer, subject: attestation.signer.identity.subject, ...signerClaims(attestation.signer.identity) }
            : { kind: 'key', keyID: attestation.signer.keyID },
      })),
    },
    verdict: { outcome: result.outcome, ruleId: result.outcome === 'pass' ? undefined : ruleIdFor(result), reason: result.reason, fix: result.fix },
  };
}
