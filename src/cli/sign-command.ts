import { Command } from 'commander';
import { addSigningOptions } from './signing-options.js';
import type { SignCommandFlags } from './sign-action.js';

export function signCommand(): Command {
  const command = new Command('sign')
    .description('Sign the exact tarball that will be published (a .tgz, or a package folder packed as npm/pnpm packs it)')
    .argument('[target]', 'a .tgz file or a package folder', '.')
    .option('--hook', 'run as the "prepublishOnly" lifecycle script: sign what the invoking package manager will publish')
    .option('--confirm', 'with --hook, as "postpublish": check the registry serves the signed bytes, then store the bundle')
    .option('--out-dir <dir>', 'where the tarball and <file>.sigstore.json are written (default: beside the tarball, or the package folder)');
  return addSigningOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ pkgseal sign                              # pack this package, sign, write <name>-<version>.tgz.sigstore.json
  $ pkgseal sign my-lib-1.2.3.tgz --store-dir ../bundles
  In package.json:  "prepublishOnly": "pkgseal sign --hook",  "postpublish": "pkgseal sign --hook --confirm"

Exit codes: 0 signed, 1 signing failed, 2 usage error.`,
    )
    .action(async (target: string, flags: SignCommandFlags) => {
      const { runSign } = await import('./sign-action.js');
      process.exitCode = await runSign(target, flags);
    });
}
