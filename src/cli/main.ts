#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { auditCommand } from './audit-command.js';
import { explainCommand } from './explain-command.js';
import { initCommand } from './init-command.js';
import { policyCommand } from './policy-command.js';
import { publishCommand } from './publish-command.js';
import { signCommand } from './sign-command.js';
import { SigningError } from '../sign/sign.types.js';
import { verifyCommand } from './verify-command.js';
import { EXIT, UsageError } from './usage-error.js';
import { tuneV8ForShortRuns } from './v8-tuning.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The whole command line, without running it: `main` parses with it, and the documentation
 * coverage test walks it to check that every command, argument and option is described.
 */
export function buildProgram(): Command {
  const program = new Command('pkgseal')
    .description('Prove that every npm/pnpm dependency comes from the people and pipelines it should')
    .version(version, '-v, --version', 'print the pkgseal version')
    .showSuggestionAfterError()
    // Options after a command name belong to that command (so `verify github … --bundle B` reaches github).
    .enablePositionalOptions()
    .addHelpText('after', ROOT_EXAMPLES);
  const commands = [
    signCommand(),
    publishCommand(),
    verifyCommand(),
    auditCommand(),
    explainCommand(),
    policyCommand(),
    initCommand({ observe: async (dir, options) => (await import('./observe-tree.js')).observeTreeSigners(dir, options) }),
  ];
  for (const command of commands) program.addCommand(command);
  failWithExitCodes(program);
  return program;
}

const ROOT_EXAMPLES = `
Examples:
  $ pkgseal init                      # write a starter pkgseal.policy.json (mode: warn)
  $ pkgseal audit                     # gate this project's lockfile on the policy
  $ pkgseal explain left-pad          # why one package passed or failed
  $ pkgseal verify github pkg-1.0.0.tgz --bundle pkg-1.0.0.tgz.sigstore.json --repository org/pkg
  $ pkgseal audit --help              # every flag of one command

Exit codes: 0 success, 1 a verification or policy failure, 2 a usage or configuration error.`;

/** Commander errors become exceptions (exit 2 in main), printed by us as one line. */
function failWithExitCodes(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const subcommand of command.commands) failWithExitCodes(subcommand);
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code: 0, 1 or 2. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      process.stderr.write(`pkgseal: ${error.message.replace(/^error: /, '')}\n`);
      return EXIT.usage;
    }
    if (error instanceof SigningError) {
      process.stderr.write(`pkgseal: ${error.message}\n`);
      return EXIT.violation;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`pkgseal: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`pkgseal: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
}

/**
 * Whether node was started on this file (directly, or through the `pkgseal` bin link). Importing
 * the module, as the documentation test does, must not run the CLI.
 */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  tuneV8ForShortRuns();
  // `pkgseal … | head` closes our stdout early: that is the reader's choice, not a failure to report.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
