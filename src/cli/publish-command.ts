import { resolve } from 'node:path';
import { Command } from 'commander';
import { addSigningOptions } from './signing-options.js';
import type { PublishFlags } from './publish-action.js';

export function publishCommand(): Command {
  const command = new Command('publish')
    .description('Pack once, sign that tarball, publish exactly it, store the bundle, and confirm the registry serves the signed bytes')
    .argument('[dir]', 'the package folder', '.')
    .argument('[args...]', 'after --: arguments for npm/pnpm publish (e.g. --tag next --access public)');
  return addSigningOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ pkgseal publish
  $ pkgseal publish packages/lib --pm pnpm -- --tag next --access public

Exit codes: 0 published and confirmed, 1 a step failed (nothing is published when packing or signing fails), 2 usage error.`,
    )
    .action(async (dir: string, publishArgs: string[], flags: PublishFlags) => {
      const { runPublish } = await import('./publish-action.js');
      process.exitCode = await runPublish(resolve(dir), publishArgs, flags);
    });
}
