import { Command, Option } from 'commander';
import type { PackageManager } from '../sign/sign.types.js';

/** The identity, instance and store flags `sign` and `publish` share. */
export function addSigningOptions(command: Command): Command {
  return command
    .addOption(new Option('--pm <manager>', 'package manager that packs (default: the one that invoked pkgseal)').choices(['npm', 'pnpm']))
    .option('--identity-token <token>', 'OIDC identity token (else SIGSTORE_ID_TOKEN, GitHub Actions, or a browser login)')
    .option('--oob', 'browser login without a local redirect: paste the code')
    .option('--staging', "use Sigstore's staging instance")
    .option('--fulcio-url <url>', 'a private Fulcio (with --rekor-url and/or --tsa-url)')
    .option('--rekor-url <url>', 'a private Rekor')
    .option('--tsa-url <url>', 'a private RFC 3161 timestamp authority')
    .option('--tsa', 'also get an RFC 3161 timestamp')
    .option('--signing-config <file>', 'Sigstore signing_config.json naming the services')
    .option('--store-dir <dir>', 'keep the bundle in this folder (<dir>/<name>@<version>.sigstore.json)')
    .option('--store-url <template>', 'HTTP PUT the bundle to this URL template ({name}, {version}, {integrity})')
    .option('--store-token-env <var>', 'environment variable holding a bearer token for --store-url');
}

export interface PackageManagerFlag {
  pm?: PackageManager;
}

/** Writes progress for people to stderr, keeping stdout for the result line. */
export function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}
