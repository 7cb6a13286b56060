import { Command, Option } from 'commander';
import type { AuditFlags } from './audit-action.js';

export function auditCommand(): Command {
  return new Command('audit')
    .description("Gate a project's dependency tree on its policy: every package must be signed by the identities the policy names")
    .argument('[dir]', 'project folder (package-lock.json, npm-shrinkwrap.json or pnpm-lock.yaml)', '.')
    .option('--policy <file>', 'policy file (default: <dir>/pkgseal.policy.json)')
    .option('--installed', 'audit node_modules (after npm ci --ignore-scripts) instead of the lockfile')
    .addOption(new Option('--omit <kind...>', 'leave out dev, optional or peer dependencies').choices(['dev', 'optional', 'peer']))
    .option('--offline', 'no network at all: evidence only from dir sources')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--output <file>', 'write the report to a file (atomically) instead of stdout')
    .option('--concurrency <n>', 'packages checked at once', '16')
    .addOption(new Option('--verbose', 'also list the packages that pass').conflicts('quiet'))
    .option('--quiet', 'print nothing when nothing fails; else only violations and the summary (no progress line)')
    .option('--no-cache', 'verify every bundle again instead of reusing earlier verifications')
    .option('--cache-dir <dir>', 'verification cache folder (default: $PKGSEAL_CACHE_DIR or ~/.cache/pkgseal)')
    .addHelpText(
      'after',
      `
Examples:
  $ pkgseal audit                                  # the lockfile in this folder, before npm ci
  $ pkgseal audit --installed --omit dev           # node_modules, after npm ci --ignore-scripts
  $ pkgseal audit --format sarif --output pkgseal.sarif
  $ pkgseal audit fixtures/demo --offline
  $ pkgseal audit --quiet && npm ci                # silent unless the gate fails

When it fails, "pkgseal explain NAME" shows why one package failed and what to change.
Colour only on a terminal (never with NO_COLOR); a progress line only on a terminal outside CI.

Exit codes: 0 every package conforms (or the policy's mode is "warn"), 1 violations, 2 usage or configuration error.`,
    )
    .action(async (dir: string, flags: AuditFlags) => {
      const { runAudit } = await import('./audit-action.js');
      process.exitCode = await runAudit(dir, flags);
    });
}
