import { Command, Option } from 'commander';
import type { VerifyFlags } from './verify-action.js';

export function verifyCommand(): Command {
  return new Command('verify')
    .description('Verify one artifact (a file, an npm .tgz, or a sha256:/sha512: digest) against a Sigstore bundle and an expected signer')
    .argument('<artifact>', 'a file, an npm .tgz, or a digest: sha256:<hex>, sha512:<hex>, sha512-<base64>')
    .requiredOption('--bundle <file>', 'Sigstore bundle (v0.1–v0.3) or npm registry attestations document')
    .addOption(new Option('--cert-identity <san>', 'expected certificate SAN, exact').conflicts('certIdentityRegexp'))
    .option('--cert-identity-regexp <regexp>', 'expected certificate SAN as a regular expression (always anchored)')
    .addOption(new Option('--cert-oidc-issuer <url>', 'expected OIDC issuer, exact').conflicts('certOidcIssuerRegexp'))
    .option('--cert-oidc-issuer-regexp <regexp>', 'expected OIDC issuer as a regular expression (always anchored)')
    .option('--repository <repo>', 'GitHub claim: source repository (owner/repo or URL)')
    .option('--workflow <path>', 'GitHub claim: workflow file, e.g. .github/workflows/release.yml')
    .option('--ref <ref>', 'GitHub claim: git ref, e.g. refs/tags/v1.2.3')
    .option('--trigger <event>', 'GitHub claim: triggering event, e.g. push')
    .option('--sha <commit>', 'GitHub claim: source commit SHA')
    .option('--key <pem>', 'verify a managed-key bundle with this PEM public key instead of an identity')
    .option('--package <name@version>', 'the npm package a digest artifact stands for (checked against the statement subject)')
    .option('--trusted-root <file>', 'Sigstore trusted_root.json (default: public-good, embedded)')
    .option('--registry-keys <file>', 'npm registry keys (keys.json or /-/npm/v1/keys format; default: embedded npm keys)')
    .option('--offline', 'guarantee no network I/O (verify never uses the network)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
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

Exit codes: 0 verified, 1 verification failed, 2 usage error.`,
    )
    .action(async (artifactArgument: string, flags: VerifyFlags) => {
      const { runVerify } = await import('./verify-action.js');
      process.exitCode = await runVerify(artifactArgument, flags);
    });
}
