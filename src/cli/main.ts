#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { auditCommand } from './audit-command.js';
import { initCommand } from './init-command.js';
import { policyCommand } from './policy-command.js';
import { publishCommand } from './publish-command.js';
import { signCommand } from './sign-command.js';
import { SigningError } from '../sign/sign.types.js';
import { verifyCommand } from './verify-command.js';
import { EXIT, UsageError } from './usage-error.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('pkgseal')
    .description('Prove that every npm/pnpm dependency comes from the people and pipelines it should')
    .version(version, '-v, --version', 'print the pkgseal version')
    .showSuggestionAfterError();
  for (const command of [signCommand(), publishCommand(), verifyCommand(), auditCommand(), policyCommand(), initCommand({ observe: async (dir) => (await import('./observe-tree.js')).observeTreeSigners(dir) })]) program.addCommand(command);
  failWithExitCodes(program);
  return program;
}

/** Commander errors become exceptions (exit 2 in main), printed by us as one line. */
function failWithExitCodes(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const subcommand of command.commands) failWithExitCodes(subcommand);
}

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

// `pkgseal … | head` closes our stdout early: that is the reader's choice, not a failure to report.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
