import type { SignerIdentity } from '../verify/signer.js';
import { compileMatcher, describeMatcher, type StringMatcher } from './string-matcher.js';

/**
 * Claims derived from the Fulcio certificate, in the names policies use.
 * @example
 * ```ts
 * import type { SignerClaims } from 'pkgseal';
 *
 * const claims: SignerClaims = { repository: 'https://github.com/o/r', workflow: '.github/workflows/release.yml', ref: 'refs/tags/v1.0.0' };
 * ```
 */
export interface SignerClaims {
  /** `owner/repo` or `https://github.com/owner/repo` when expected; always a URL when derived. */
  repository?: string;
  /** Workflow path in the repository (`.github/workflows/release.yml`); when expected, also its full URI. */
  workflow?: string;
  ref?: string;
  trigger?: string;
  sha?: string;
  /** `github-hosted` or `self-hosted`. */
  runner?: string;
}

/**
 * The signer a policy or a `verify` command expects. Every field given must match.
 * @example
 * ```ts
 * import type { ExpectedIdentity } from 'pkgseal';
 *
 * // Only sigstore-js's release workflow, run on a tag.
 * const expected: ExpectedIdentity = {
 *   issuer: { kind: 'exact', value: 'https://token.actions.githubusercontent.com' },
 *   subject: { kind: 'glob', pattern: 'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/tags/v*' },
 *   repository: 'sigstore/sigstore-js',
 *   runner: 'github-hosted',
 * };
 * ```
 */
export interface ExpectedIdentity extends SignerClaims {
  subject?: StringMatcher;
  issuer?: StringMatcher;
}

const GITHUB = 'https://github.com/';

/**
 * The claims a policy names (repository, workflow, ref, trigger, sha, runner), derived from the
 * certificate's Fulcio extensions only, never from the unsigned predicate. The workflow is the
 * path of the build config in the source repository.
 * @example
 * ```ts
 * import { signerClaims } from 'pkgseal';
 *
 * signerClaims({
 *   subject: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0',
 *   issuer: 'https://token.actions.githubusercontent.com',
 *   claims: {
 *     sourceRepositoryURI: 'https://github.com/o/r',
 *     buildConfigURI: 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0',
 *     sourceRepositoryRef: 'refs/tags/v1.0.0',
 *     runnerEnvironment: 'github-hosted',
 *   },
 * });
 * // { repository: 'https://github.com/o/r', workflow: '.github/workflows/release.yml', ref: 'refs/tags/v1.0.0', runner: 'github-hosted' }
 * ```
 */
export function signerClaims(identity: SignerIdentity): SignerClaims {
  const { claims } = identity;
  const repository = claims.sourceRepositoryURI ?? (claims.githubWorkflowRepository ? GITHUB + claims.githubWorkflowRepository : undefined);
  const workflowURI = workflowURIOf(identity);
  const workflow = workflowURI && repository && workflowURI.startsWith(`${repository}/`) ? workflowURI.slice(repository.length + 1).replace(/@.*$/, '') : undefined;
  const result: SignerClaims = {};
  const set = (key: keyof SignerClaims, value: string | undefined) => {
    if (value !== undefined) result[key] = value;
  };
  set('repository', repository);
  set('workflow', workflow);
  set('ref', claims.sourceRepositoryRef ?? claims.githubWorkflowRef);
  set('trigger', claims.buildTrigger ?? claims.githubWorkflowTrigger);
  set('sha', claims.sourceRepositoryDigest ?? claims.githubWorkflowSHA);
  set('runner', claims.runnerEnvironment);
  return result;
}

/**
 * Returns why the signer does not match, or an empty list when it does.
 * @example
 * ```ts
 * import { identityMismatches, type ExpectedIdentity, type SignerIdentity } from 'pkgseal';
 *
 * const expected: ExpectedIdentity = {
 *   issuer: { kind: 'exact', value: 'https://token.actions.githubusercontent.com' },
 *   repository: 'sigstore/sigstore-js',
 *   workflow: '.github/workflows/release.yml',
 * };
 * const signer: SignerIdentity = {
 *   subject: 'https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main',
 *   issuer: 'https://token.actions.githubusercontent.com',
 *   claims: { sourceRepositoryURI: 'https://github.com/attacker/fork', buildConfigURI: 'https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main' },
 * };
 * identityMismatches(expected, signer);
 * // ['repository: expected "https://github.com/sigstore/sigstore-js", got "https://github.com/attacker/fork"']
 * ```
 */
export function identityMismatches(expected: ExpectedIdentity, signer: SignerIdentity): string[] {
  const problems: string[] = [];
  if (expected.issuer && !compileMatcher(expected.issuer)(signer.issuer)) {
    problems.push(`issuer: expected ${describeMatcher(expected.issuer)}, got "${signer.issuer}"`);
  }
  if (expected.subject && !compileMatcher(expected.subject)(signer.subject)) {
    problems.push(`subject: expected ${describeMatcher(expected.subject)}, got "${signer.subject}"`);
  }
  const actual = signerClaims(signer);
  const claimChecks: Array<[keyof SignerClaims, string | undefined, (value: string) => string]> = [
    ['repository', expected.repository, (value) => (value.includes('://') ? value : GITHUB + value)],
    ['ref', expected.ref, (value) => value],
    ['trigger', expected.trigger, (value) => value],
    ['sha', expected.sha, (value) => value.toLowerCase()],
    ['runner', expected.runner, (value) => value],
  ];
  if (expected.workflow !== undefined) {
    const problem = workflowMismatch(expected.workflow, signer, actual);
    if (problem) problems.push(problem);
  }
  for (const [claim, expectedValue, normalize] of claimChecks) {
    if (expectedValue === undefined) continue;
    const want = normalize(expectedValue);
    if (actual[claim] !== want) problems.push(`${claim}: expected "${want}", got ${actual[claim] === undefined ? 'none' : `"${actual[claim]}"`}`);
  }
  return problems;
}

/**
 * A workflow is expected either as a path in the signer's repository (`.github/workflows/x.yml`)
 * or as a full URI (`https://github.com/o/r/.github/workflows/x.yml`, optionally `@ref`), which
 * must then match the certificate's build config URI in full — repository and ref included.
 */
function workflowMismatch(expected: string, signer: SignerIdentity, actual: SignerClaims): string | undefined {
  const workflowURI = workflowURIOf(signer);
  if (!expected.startsWith(GITHUB)) {
    return actual.workflow === expected ? undefined : `workflow: expected "${expected}", got ${actual.workflow === undefined ? 'none' : `"${actual.workflow}"`}`;
  }
  const comparable = expected.includes('@') ? workflowURI : workflowURI?.replace(/@.*$/, '');
  return comparable === expected ? undefined : `workflow: expected "${expected}", got ${comparable === undefined ? 'none' : `"${comparable}"`}`;
}

/** The workflow that ran the build: Fulcio's build config URI, else a GitHub workflow SAN. */
function workflowURIOf(identity: SignerIdentity): string | undefined {
  return identity.claims.buildConfigURI ?? (identity.subject.startsWith(GITHUB) ? identity.subject : undefined);
}
