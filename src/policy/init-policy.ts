import type { IdentityDocument, PackageRuleDocument, PolicyDocument } from './policy.types.js';

/** A signer seen on a package's provenance now, recorded as the expectation from here on. */
export interface ObservedSigner {
  name: string;
  issuer: string;
  /** Certificate SAN, e.g. `https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3`. */
  subject: string;
  repository?: string;
  workflow?: string;
}

export const POLICY_FILE_NAME = 'pkgseal.policy.json';

const EXAMPLE_ENTRY =
  '{"match": "@your-scope/*", "require": "provenance", "identities": [{"issuer": "https://token.actions.githubusercontent.com", "repository": "https://github.com/your-org/your-repo", "workflow": ".github/workflows/release.yml"}]}';

/** The policy `pkgseal init` writes: reports without failing until the team switches to enforce. */
export function starterPolicy(): PolicyDocument {
  return {
    $schema: './node_modules/pkgseal/policy.schema.json',
    $comment: [
      'pkgseal policy: who must have signed each dependency.',
      'mode "warn" reports problems without failing; set "enforce" once `pkgseal audit` is clean.',
      'sources: where signatures are looked for, in order ("registry": the registry\'s own attestations and signatures; also {"dir": "./evidence"} or {"url": "https://host/{name}/{version}.sigstore.json"}).',
      `packages: the first entry whose "match" (a name glob) and optional "versions" (a semver range) fit applies, e.g. ${EXAMPLE_ENTRY}.`,
      'exceptions: {"package": "left-pad@1.3.0", "reason": "vendored, reviewed", "expires": "2027-03-01"}; expired exceptions fail the run.',
    ].join(' '),
    version: 1,
    mode: 'warn',
    trust: [{ $comment: 'Sigstore public-good, embedded in pkgseal: no network needed to trust it.', name: 'public-good' }],
    sources: ['registry'],
    defaults: {
      $comment:
        'Packages no entry matches: the npm registry must have signed them, and a version must not lack evidence an earlier version of the same major line had (noDowngrade).',
      require: 'registry-signature',
      noDowngrade: true,
    },
    packages: [],
    exceptions: [],
  };
}

/**
 * Trust on first use: one `provenance` entry per package observed with a signer, pinned to its
 * issuer, repository and workflow, at any branch or tag of the kind observed; everything else
 * falls to `defaults` (registry-signature). Warn mode, so the first run teaches, not blocks.
 */
export interface ObservationSettings {
  /** Trusted root the observed evidence was verified with, relative to the policy file: trust entry "observed". */
  trustedRoot?: string;
  /** A `dir` source the evidence was observed in, relative to the policy file: listed after "registry"; the pinned entries then set noDowngrade false. */
  evidenceDir?: string;
}

/** Name of the trust entry `init --from-tree --trusted-root` writes. */
export const OBSERVED_TRUST_NAME = 'observed';

export function policyFromObservations(observations: ObservedSigner[], settings: ObservationSettings = {}): PolicyDocument {
  const identitiesByName = new Map<string, IdentityDocument[]>();
  for (const observation of observations) {
    const identities = identitiesByName.get(observation.name) ?? [];
    const identity = observedIdentity(observation);
    if (!identities.some((known) => JSON.stringify(known) === JSON.stringify(identity))) identities.push(identity);
    identitiesByName.set(observation.name, identities);
  }
  const packages = [...identitiesByName.keys()]
    .sort()
    .map(
      (name): PackageRuleDocument => ({
        match: name,
        require: 'provenance',
        identities: identitiesByName.get(name)!,
        ...(settings.trustedRoot ? { trust: OBSERVED_TRUST_NAME } : {}),
        // Evidence in a folder has no registry history to compare with, and a provenance pin already
        // requires evidence from that signer on every version: noDowngrade would add nothing but a lookup.
        ...(settings.evidenceDir ? { noDowngrade: false } : {}),
      }),
    );
  const starter = starterPolicy();
  return {
    ...starter,
    $comment: `${starter.$comment} The packages entries were recorded from the signers observed when this file was written (trust on first use): review them before switching to enforce.`,
    ...(settings.trustedRoot
      ? {
          trust: [
            ...(starter.trust ?? []),
            { $comment: 'The Sigstore root the packages entries were observed with (init --trusted-root); they name it in "trust".', name: OBSERVED_TRUST_NAME, trustedRoot: settings.trustedRoot },
          ],
        }
      : {}),
    ...(settings.evidenceDir ? { sources: [...(starter.sources ?? []), { dir: settings.evidenceDir }] } : {}),
    packages,
  };
}

/** `https://…/release.yml@refs/tags/v1.2.3` → `https://…/release.yml@refs/tags/*` (any tag, same workflow). */
const REF_IN_SUBJECT = /^(https:\/\/[^@]+@refs\/(?:heads|tags)\/).+$/;

function observedIdentity(observation: ObservedSigner): IdentityDocument {
  const refPrefix = REF_IN_SUBJECT.exec(observation.subject)?.[1];
  const literal = refPrefix ?? observation.subject;
  // Our globs have no escapes: a literal * or ? (never seen in a Fulcio SAN) falls back to an escaped regexp.
  const subject: Pick<IdentityDocument, 'subject' | 'subjectRegExp'> = /[*?]/.test(literal)
    ? { subjectRegExp: escapeRegExp(literal) + (refPrefix ? '[^/]*' : '') }
    : { subject: refPrefix ? `${refPrefix}*` : observation.subject };
  return {
    issuer: observation.issuer,
    ...subject,
    ...(observation.repository ? { repository: observation.repository } : {}),
    ...(observation.workflow ? { workflow: observation.workflow } : {}),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function renderPolicy(document: PolicyDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
