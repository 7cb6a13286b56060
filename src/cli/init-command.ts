import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../report/write-output.js';
import { Command } from 'commander';
import { POLICY_FILE_NAME, policyFromObservations, renderPolicy, starterPolicy, type ObservedSigner } from '../policy/init-policy.js';
import { checkPolicyText, formatProblem } from '../policy/load-policy.js';
import type { PolicyDocument } from '../policy/policy.types.js';
import { EXIT, UsageError } from './usage-error.js';

export interface InitDependencies {
  /** Reads the project's tree and returns the signers seen now; enables `--from-tree`. */
  observe?: (dir: string) => Promise<ObservedSigner[]>;
  /** Replaces the file whole or not at all; default: writeFileAtomically (temporary file, fsync, rename). */
  writeFile?: (file: string, text: string) => Promise<void>;
}

interface InitFlags {
  force?: boolean;
  fromTree?: boolean;
}

export function initCommand(dependencies: InitDependencies = {}): Command {
  return new Command('init')
    .description(`Write a starter ${POLICY_FILE_NAME} (mode: warn)`)
    .argument('[dir]', 'project folder', '.')
    .option('--force', 'overwrite an existing policy file')
    .option('--from-tree', 'record the signers observed in the tree now as the expected ones (trust on first use)')
    .addHelpText('after', `
Examples:
  $ pkgseal init
  $ pkgseal init --from-tree

Exit codes: 0 written, 2 usage error (the file exists without --force, the folder is missing, the write failed).`)
    .action(async (dir: string, flags: InitFlags) => {
      process.exitCode = await runInit(dir, flags, dependencies);
    });
}

async function runInit(dir: string, flags: InitFlags, dependencies: InitDependencies): Promise<number> {
  const folder = await stat(dir).catch(() => undefined);
  if (!folder) throw new UsageError(`${dir}: no such folder`);
  if (!folder.isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const file = join(dir, POLICY_FILE_NAME);
  if (!flags.force && (await stat(file).catch(() => undefined))) throw new UsageError(`${file} already exists; use --force to overwrite it`);
  const document = await documentFor(dir, flags, dependencies);
  const text = renderPolicy(document);
  assertValid(text, file);
  const write = dependencies.writeFile ?? writeFileAtomically;
  await write(file, text).catch((error: unknown) => {
    throw new UsageError(`cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was changed`);
  });
  process.stdout.write(explain(file, document, flags));
  return EXIT.ok;
}

async function documentFor(dir: string, flags: InitFlags, dependencies: InitDependencies): Promise<PolicyDocument> {
  if (!flags.fromTree) return starterPolicy();
  if (!dependencies.observe) throw new UsageError('--from-tree is not available in this build');
  return policyFromObservations(await dependencies.observe(dir));
}

/** Fail closed: never write a policy that `pkgseal policy check` would reject. */
function assertValid(text: string, file: string): void {
  const firstError = checkPolicyText(text, file).problems.find((problem) => problem.severity === 'error');
  if (firstError) throw new Error(`generated policy is invalid: ${formatProblem(file, firstError)}`);
}

function explain(file: string, document: PolicyDocument, flags: InitFlags): string {
  const pinned = document.packages?.length ?? 0;
  return [
    `Wrote ${file} (mode: warn: violations are reported, the run does not fail).`,
    ...(flags.fromTree ? [`  - ${pinned} package(s) with provenance: require it from the repository and workflow seen now (trust on first use)`] : []),
    `  - ${flags.fromTree ? 'every other package' : 'every package'}: the registry's signature is required, and no version may lose evidence an earlier one of its major line had`,
    '  - signatures come from the registry and are checked against the Sigstore public-good root',
    'Next: run "pkgseal audit", pin who may publish your key packages under "packages" (see "$comment" in the file), then set "mode": "enforce".',
    '',
  ].join('\n');
}
