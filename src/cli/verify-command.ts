import { Command, Option } from 'commander';
import type { VerifyFlags } from './verify-action.js';
import { UsageError } from './usage-error.js';

/** The OIDC issuer of GitHub Actions' tokens: what `verify github` implies. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** Every SAN GitHub Actions certificates carry is a workflow URI on github.com. */
const ANY_GITHUB_WORKFLOW = 'https://github\\.com/.+';

export function verifyCommand(): Command {
  const command = new Command('verify')
    .description('Verify one artifact (a file, an npm .tgz, or a sha256:/sha512: digest) against a Sigstore bundle and an expected signer')
    .argument('<artifact>', 'a file, an npm .tgz, or a digest: sha256:<hex>, sha512:<hex>, sha512-<base64>')
    // Required, but checked in the action: commander checks a parent's required options for its subcommands too.
    .option('--bundle <file>', 'Sigstore bundle (v0.1–v0.3) or npm registry attestations document (required)')
    .addOption(new Option('--cert-identity <san>', 'expected certificate SAN, exact').conflicts('certIdentityRegexp'))
    .option('--cert-identity-regexp <regexp>', 'expected certificate SAN as a regular expression (always anchored)')
    .addOption(new Option('--cert-oidc-issuer <url>', 'expected OIDC issuer, exact').conflicts('certOidcIssuerRegexp'))
    .option('--cert-oidc-issuer-regexp <regexp>', 'expected OIDC issuer as a regular expression (always anchored)')
    .option('--repository <repo>', 'GitHub claim: source repository (owner/repo or URL)')
    .option('--workflow <path>', 'GitHub claim: workflow file, e.g. .github/workflows/release.yml')
    .option('--ref <ref>', 'GitHub claim: git ref, e.g. refs/tags/v1.2.3')
    .option('--trigger <event>', 'GitHub claim: triggering event, e.g. push')
    .option('--sha <commit>', 'GitHub claim: source commit SHA')
    .option('--key <pem>', 'verify a managed-key bundle with this PEM public key instead of an identity');
  return addArtifactOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ pkgseal verify ./a.txt --bundle a.txt.sigstore.json \\
      --cert-identity https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.0.0 \\
      --cert-oidc-issuer https://token.actions.githubusercontent.com
  $ pkgseal verify sigstore-2.3.1.tgz --bundle attestations.json \\
      --cert-identity-regexp 'https://github.com/sigstore/sigstore-js/\\.github/workflows/release\\.yml@refs/heads/main' \\
      --cert-oidc-issuer https://token.actions.githubusercontent.com
  $ pkgseal verify sha256:a0cf…01bf --bundle bundle.json --key key.pub
  $ pkgseal verify github my-lib-1.0.0.tgz --bundle my-lib-1.0.0.tgz.sigstore.json --repository org/my-lib

Exit codes: 0 verified, 1 verification failed, 2 usage error.`,
    )
    // `verify github …`: options after "github" belong to the subcommand, not to verify.
    .enablePositionalOptions()
    .helpCommand(false)
    .addCommand(verifyGithubCommand())
    .action(async (artifactArgument: string, flags: VerifyFlags) => {
      if (!flags.bundle) throw new UsageError("required option '--bundle <file>' not specified");
      const { runVerify } = await import('./verify-action.js');
      process.exitCode = await runVerify(artifactArgument, flags);
    });
  return command;
}

interface VerifyGithubFlags extends Omit<VerifyFlags, 'certOidcIssuer' | 'certOidcIssuerRegexp' | 'key'> {
  repository: string;
}

/**
 * `pkgseal verify github`: the GitHub Actions shortcut, as sigstore-python's `verify github`.
 * The issuer is implied; the repository is required, so a signature made by any other
 * repository's workflow fails even when it verifies.
 */
function verifyGithubCommand(): Command {
  const command = new Command('github')
    .description('Verify an artifact signed in GitHub Actions: the issuer is implied, the repository (and optionally workflow, ref, trigger, commit) must match')
    .argument('<artifact>', 'a file, an npm .tgz, or a digest: sha256:<hex>, sha512:<hex>, sha512-<base64>')
    .requiredOption('--bundle <file>', 'Sigstore bundle (v0.1–v0.3) or npm registry attestations document')
    .requiredOption('--repository <owner/repo>', 'the repository whose workflow must have signed (owner/repo or https://github.com/owner/repo)')
    .option('--workflow <path>', 'the workflow file that must have run, e.g. .github/workflows/release.yml')
    .option('--ref <ref>', 'the git ref it must have run on, e.g. refs/tags/v1.2.3')
    .option('--trigger <event>', 'the event that must have triggered it, e.g. push or release')
    .option('--sha <commit>', 'the source commit SHA it must have built')
    .addOption(new Option('--cert-identity <san>', 'also require this exact certificate SAN (the workflow URI with its ref)').conflicts('certIdentityRegexp'))
    .option('--cert-identity-regexp <regexp>', 'also require the certificate SAN to match this regular expression (always anchored)');
  return addArtifactOptions(command)
    .addHelpText(
      'after',
      `
The issuer is always ${GITHUB_ACTIONS_ISSUER}; every claim is read from the Fulcio certificate, never from the unsigned predicate.

Examples:
  $ pkgseal verify github my-lib-1.0.0.tgz --bundle my-lib-1.0.0.tgz.sigstore.json --repository org/my-lib
  $ pkgseal verify github sigstore-2.3.1.tgz --bundle attestations.json --repository sigstore/sigstore-js \\
      --workflow .github/workflows/release.yml --ref refs/heads/main --trigger push

Exit codes: 0 verified, 1 verification failed (including a signer from another repository, workflow or ref), 2 usage error.`,
    )
    .action(async (artifactArgument: string, flags: VerifyGithubFlags) => {
      const { runVerify } = await import('./verify-action.js');
      const { certIdentity, certIdentityRegexp } = flags;
      process.exitCode = await runVerify(artifactArgument, {
        ...flags,
        certOidcIssuer: GITHUB_ACTIONS_ISSUER,
        ...(certIdentity ? {} : { certIdentityRegexp: certIdentityRegexp ?? ANY_GITHUB_WORKFLOW }),
        repository: githubRepository(flags.repository),
      });
    });
  return command;
}

/** The options for what is verified and against which trust, shared by `verify` and `verify github`. */
function addArtifactOptions(command: Command): Command {
  return command
    .option('--package <name@version>', 'the npm package a digest artifact stands for (checked against the statement subject)')
    .option('--trusted-root <file>', 'Sigstore trusted_root.json (default: public-good, embedded)')
    .option('--registry-keys <file>', 'npm registry keys (keys.json or /-/npm/v1/keys format; default: embedded npm keys)')
    .option('--offline', 'guarantee no network I/O (verify never uses the network)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
}

const GITHUB_REPOSITORY = /^(?:https:\/\/github\.com\/)?[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

function githubRepository(repository: string): string {
  if (!GITHUB_REPOSITORY.test(repository)) {
    throw new UsageError(`--repository ${repository}: expected owner/repo or https://github.com/owner/repo`);
  }
  return repository;
}
