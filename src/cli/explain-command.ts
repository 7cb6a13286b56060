import { Command, Option } from 'commander';
import type { ExplainFlags } from './explain-action.js';

export function explainCommand(): Command {
  return new Command('explain')
    .description('Show why one package of the tree passes or fails: the policy entry that matched, the sources tried, the verified signer, the verdict and the fix')
    .argument('<package>', 'NAME or NAME@VERSION of a package in the tree (every version in the tree when VERSION is left out)')
    .argument('[dir]', 'project folder (package-lock.json, npm-shrinkwrap.json or pnpm-lock.yaml)', '.')
    .option('--policy <file>', 'policy file (default: <dir>/pkgseal.policy.json)')
    .option('--installed', 'look the package up in node_modules instead of the lockfile')
    .option('--offline', 'no network at all: evidence only from dir sources')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-cache', 'verify the evidence again instead of reusing an earlier verification')
    .option('--cache-dir <dir>', 'verification cache folder (default: $PKGSEAL_CACHE_DIR or ~/.cache/pkgseal)')
    .addHelpText(
      'after',
      `
Run it when "pkgseal audit" fails: it applies the same policy to one package, step by step.

Examples:
  $ pkgseal explain @demo/evil-lib                 # every version of it in ./package-lock.json
  $ pkgseal explain left-pad@1.3.0 packages/app
  $ pkgseal explain sigstore --format json

Exit codes: 0 the package conforms (passes, is exempted, or needs nothing), 1 it is a violation, 2 usage or configuration error (e.g. the package is not in the tree).`,
    )
    .action(async (spec: string, dir: string, flags: ExplainFlags) => {
      const { runExplain } = await import('./explain-action.js');
      process.exitCode = await runExplain(spec, dir, flags);
    });
}
