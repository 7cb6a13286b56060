import { Command } from 'commander';
import { checkPolicyText, formatProblem, PolicyError, readPolicyText } from '../policy/load-policy.js';
import { EXIT, UsageError } from './usage-error.js';

export function policyCommand(): Command {
  const check = new Command('check')
    .description('Validate a policy against policy.schema.json and pkgseal\'s rules; every problem as FILE:LINE:COL: /pointer: reason')
    .argument('[file]', 'policy file', './pkgseal.policy.json')
    .addHelpText('after', `
Examples:
  $ pkgseal policy check
  $ pkgseal policy check ci/pkgseal.policy.json

Exit codes: 0 valid (warnings allowed), 2 invalid or unreadable.`)
    .action(async (file: string) => {
      process.exitCode = await runCheck(file);
    });
  // main.ts configures the commands it registers; a nested command needs the same, or commander exits the process itself.
  check.exitOverride().configureOutput({ outputError: () => undefined });
  return new Command('policy')
    .description('Work with pkgseal policy files')
    .addHelpText('after', `
Examples:
  $ pkgseal policy check                  # ./pkgseal.policy.json
  $ pkgseal policy check ci/pkgseal.policy.json

Writing a policy, with recipes: docs/writing-a-policy.md.`)
    .addCommand(check);
}

async function runCheck(file: string): Promise<number> {
  const text = await readPolicyText(file).catch((error: unknown) => {
    throw error instanceof PolicyError ? new UsageError(error.message) : error;
  });
  const { problems } = checkPolicyText(text, file, { today: new Date() });
  const lines = problems.map((problem) => formatProblem(file, problem));
  const failed = problems.some((problem) => problem.severity === 'error');
  process.stdout.write(`${[...lines, ...(failed ? [] : [`OK: ${file}`])].join('\n')}\n`);
  return failed ? EXIT.usage : EXIT.ok;
}
