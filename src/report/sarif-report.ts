import { createHash } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactLocation, Location, Log, ReportingDescriptor, Result } from 'sarif';
import { formatDay } from '../policy/exceptions.js';
import { comparePackages, PROBLEM_OUTCOMES, ruleIdFor } from './summarize.js';
import { describeProblem, oneLine } from './text-report.js';
import type { AuditReport, PackageResult, RuleId } from './report.types.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const PKGSEAL_INFORMATION_URI = 'https://www.npmjs.com/package/pkgseal';
/** The key of our partial fingerprint; bump the suffix only if the fingerprint input changes. */
const FINGERPRINT_KEY = 'pkgseal/v1';
const SRCROOT = '%SRCROOT%';

interface RuleText {
  name: string;
  short: string;
  full: string;
  help: string;
  /** GitHub code scanning's 0.0–10.0 severity for security alerts. */
  severity: string;
  level: 'error' | 'warning';
}

/** Every rule is always listed, in this order, so `ruleIndex` means the same in every log. */
const RULES = {
  'pkgseal/identity-mismatch': {
    name: 'IdentityMismatch',
    short: 'Signed by an identity the policy does not allow',
    full: "The package's evidence verifies, but the certificate's issuer, subject or CI claims meet none of the identities the policy lists for it: a compromised account or another repository's workflow published it.",
    help: 'If the signer is legitimate, add it to the identities of the policy entry that matches the package; otherwise remove or pin the package.',
    severity: '9.0',
    level: 'error',
  },
  'pkgseal/missing-evidence': {
    name: 'MissingEvidence',
    short: 'No signature or provenance where the policy requires one',
    full: 'No bundle (or no SLSA provenance) for the package was found in any source the policy lists, although its entry requires one. Versions published with a stolen token look like this.',
    help: 'Publish the version with pkgseal or npm --provenance, add its bundle to a source, or add a dated exception.',
    severity: '8.0',
    level: 'error',
  },
  'pkgseal/verification-failed': {
    name: 'VerificationFailed',
    short: 'Evidence does not verify',
    full: 'A bundle was found but fails verification: certificate chain, transparency log, signature, or its subject is not the lockfile integrity of this package.',
    help: 'Re-sign the version or remove the bad evidence; a subject that does not match the lockfile integrity means the tarball is not the one signed.',
    severity: '9.0',
    level: 'error',
  },
  'pkgseal/evidence-downgrade': {
    name: 'EvidenceDowngrade',
    short: 'Less evidence than an earlier version of the same major line',
    full: 'An earlier version in the same major line carried evidence this version lacks (noDowngrade), which is how a hijacked publish usually shows.',
    help: 'Check who published this version; if the change is intended, add a dated exception.',
    severity: '8.0',
    level: 'error',
  },
  'pkgseal/unsupported-source': {
    name: 'UnsupportedSource',
    short: 'Dependency that is not a registry tarball',
    full: 'Workspaces, links, git, file and remote-tarball dependencies carry no signature to check; they fail under any requirement other than "none".',
    help: 'If the source is intended, set require "none" in a policy entry that matches it.',
    severity: '5.0',
    level: 'warning',
  },
  'pkgseal/no-policy-entry': {
    name: 'NoPolicyEntry',
    short: 'No policy entry covers the package',
    full: 'No entry of the policy matches the package name (and version), so nothing says who may publish it.',
    help: 'Add a policy entry whose "match" covers the package.',
    severity: '5.0',
    level: 'error',
  },
  'pkgseal/policy': {
    name: 'PolicyProblem',
    short: 'Problem with the policy itself',
    full: 'The policy file needs attention, for example an exception that has expired; expired exceptions fail the run.',
    help: 'Renew or remove the exception, or fix the entry the message names.',
    severity: '5.0',
    level: 'error',
  },
  'pkgseal/violation': {
    name: 'PolicyViolation',
    short: 'Package does not meet the policy',
    full: 'The package does not meet its policy entry; the message says why.',
    help: 'The message ends with the fix.',
    severity: '7.0',
    level: 'error',
  },
} as const satisfies Record<RuleId, RuleText>;

const RULE_IDS = Object.keys(RULES) as RuleId[];

/**
 * `--format sarif`: SARIF 2.1.0 for code scanning. One result per violation, unsupported and
 * exempted package, located at its entry in the lockfile, and one per policy problem, located
 * in the policy file.
 */
export function formatSarif(report: AuditReport): string {
  const sorted = [...report.results].sort(comparePackages);
  const results = [
    ...PROBLEM_OUTCOMES.flatMap((outcome) => sorted.filter((result) => result.outcome === outcome).map((result) => packageResult(result, report))),
    ...report.policyProblems.map((problem) => policyResult(problem, report)),
  ];
  const log: Log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pkgseal',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: PKGSEAL_INFORMATION_URI,
            rules: RULE_IDS.map(ruleDescriptor),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(report.project) } },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function packageResult(result: PackageResult, report: AuditReport): Result {
  const ruleId = ruleIdFor(result);
  const region = result.location && { startLine: result.location.line, ...(result.location.column ? { startColumn: result.location.column } : {}) };
  const location: Location = {
    physicalLocation: { artifactLocation: artifactLocation(result.location?.file ?? report.lockfile, report.project), ...(region ? { region } : {}) },
  };
  return {
    ruleId,
    ruleIndex: RULE_IDS.indexOf(ruleId),
    level: result.outcome === 'exempted' ? 'note' : result.outcome === 'unsupported' || report.mode === 'warn' ? 'warning' : 'error',
    message: { text: describeProblem(result) },
    locations: [location],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(ruleId, `${result.name}@${result.version}`) },
    properties: {
      package: result.name,
      version: result.version,
      outcome: result.outcome,
      paths: [...result.paths],
      ...(result.exception ? { exception: { reason: result.exception.reason, expires: formatDay(result.exception.expires) } } : {}),
    },
  };
}

function policyResult(problem: string, report: AuditReport): Result {
  const ruleId: RuleId = 'pkgseal/policy';
  return {
    ruleId,
    ruleIndex: RULE_IDS.indexOf(ruleId),
    level: report.mode === 'warn' ? 'warning' : 'error',
    message: { text: oneLine(problem) },
    locations: [{ physicalLocation: { artifactLocation: artifactLocation(report.policy, report.project) } }],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(ruleId, oneLine(problem)) },
  };
}

function ruleDescriptor(id: RuleId): ReportingDescriptor {
  const rule: RuleText = RULES[id];
  return {
    id,
    name: rule.name,
    shortDescription: { text: rule.short },
    fullDescription: { text: rule.full },
    help: { text: rule.help },
    defaultConfiguration: { level: rule.level },
    properties: { tags: ['security', 'supply-chain'], 'security-severity': rule.severity },
  };
}

/** Relative to the project root when the file is inside it (code scanning needs that), else a file URI. */
function artifactLocation(file: string, project: string): ArtifactLocation {
  const absolute = resolve(project, file);
  const fromRoot = relative(project, absolute);
  if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)) return { uri: pathToFileURL(absolute).href };
  return { uri: fromRoot.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function directoryUri(folder: string): string {
  const uri = pathToFileURL(resolve(folder)).href;
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** Stable across runs and machines: code scanning matches alerts on it, not on line numbers. */
function fingerprint(ruleId: RuleId, subject: string): string {
  return createHash('sha256').update(`${ruleId}\u0000${subject}`).digest('hex');
}
