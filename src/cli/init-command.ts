import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomically } from '../report/write-output.js';
import { Command } from 'commander';
import { OBSERVED_TRUST_NAME, POLICY_FILE_NAME, policyFromObservations, renderPolicy, starterPolicy, type ObservedSigner } from '../policy/init-policy.js';
import { checkPolicyText, formatProblem } from '../policy/load-policy.js';
import type { PolicyDocument } from '../policy/policy.types.js';
import { EXIT, UsageError } from './usage-error.js';

export interface InitDependencies {
  /** Reads the project's tree and returns the signers seen now; enables `--from-tree`. */
  observe?: (dir: string, options: ObserveOptions) => Promise<ObservedSigner[]>;
  /** Replaces the file whole or not at all; default: writeFileAtomically (temporary file, fsync, rename). */
  writeFile?: (file: string, text: string) => Promise<void>;
}

/** Where `--from-tree` observes from; paths as given on the command line (relative to the working folder). */
export interface ObserveOptions {
  trustedRoot?: string;
  evidenceDir?: string;
  offline?: boolean;
}

interface InitFlags {
  force?: boolean;
  fromTree?: boolean;
  trustedRoot?: string;
  evidenceDir?: string;
  offline?: boolean;
}

export function initCommand(dependencies: InitDependencies = {}): Command {
  return new Command('init')
    .description(`Write a starter ${POLICY_FILE_NAME} (mode: warn)`)
    .argument('[dir]', 'project folder', '.')
    .option('--force', 'overwrite an existing policy file')
    .option('--from-tree', 'record the signers observed in the tree now as the expected ones (trust on first use)')
    .option('--evidence-dir <dir>', 'with --from-tree: also observe evidence in this folder (after the registry); written to "sources"')
    .option('--trusted-root <file>', 'with --from-tree: verify observed evidence with this Sigstore trusted_root.json; written to "trust" as "observed"')
    .option('--offline', 'with --from-tree: observe only from --evidence-dir (no network)')
    .addHelpText('after', `
Examples:
  $ pkgseal init
  $ pkgseal init --from-tree
  $ pkgseal init --from-tree --evidence-dir evidence --trusted-root trusted_root.json --offline

Exit codes: 0 written, 2 usage error (the file exists without --force, the folder is missing, the write failed).`)
    .action(async (dir: string, flags: InitFlags) => {
      process.exitCode = await runInit(dir, flags, dependencies);
    });
}

async function runInit(dir: string, flags: InitFlags, dependencies: InitDependencies): Promise<number> {
  const folder = await stat(dir).catch(() => undefined);
  if (!folder) throw new UsageError(`${dir}: no such folder`);
  if (!folder.isDirectory()) throw new UsageError(`${dir} is not a folder`);
  await checkObserveFlags(flags);
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
  const options: ObserveOptions = {
    ...(flags.trustedRoot ? { trustedRoot: flags.trustedRoot } : {}),
    ...(flags.evidenceDir ? { evidenceDir: flags.evidenceDir } : {}),
    ...(flags.offline ? { offline: true } : {}),
  };
  return policyFromObservations(await dependencies.observe(dir, options), {
    ...(flags.trustedRoot ? { trustedRoot: relativeToPolicy(dir, flags.trustedRoot) } : {}),
    ...(flags.evidenceDir ? { evidenceDir: relativeToPolicy(dir, flags.evidenceDir) } : {}),
  });
}

async function checkObserveFlags(flags: InitFlags): Promise<void> {
  const used = [flags.evidenceDir && '--evidence-dir', flags.trustedRoot && '--trusted-root', flags.offline && '--offline'].filter(Boolean);
  if (!flags.fromTree && used.length > 0) throw new UsageError(`${used.join(', ')} only apply with --from-tree`);
  if (flags.offline && !flags.evidenceDir) throw new UsageError('--offline needs --evidence-dir: with neither the registry nor a folder there is nothing to observe');
  if (flags.evidenceDir && !(await stat(flags.evidenceDir).catch(() => undefined))?.isDirectory()) throw new UsageError(`--evidence-dir ${flags.evidenceDir}: no such folder`);
  if (flags.trustedRoot && !(await stat(flags.trustedRoot).catch(() => undefined))?.isFile()) throw new UsageError(`--trusted-root ${flags.trustedRoot}: no such file`);
}

/** A command-line path (relative to the working folder) as the policy file names it: relative to its folder, `./…`, with `/`. */
function relativeToPolicy(dir: string, path: string): string {
  const relativePath = relative(resolve(dir), resolve(path));
  if (isAbsolute(relativePath)) return resolve(path);
  const posix = relativePath.split(sep).join('/');
  return posix.startsWith('../') ? posix : `./${posix}`;
}

/** Fail closed: never write a policy that `pkgseal policy check` would reject. */
function assertValid(text: string, file: string): void {
  const firstError = checkPolicyText(text, file).problems.find((problem) => problem.severity === 'error');
  if (firstError) throw new Error(`generated policy is invalid: ${formatProblem(file, firstError)}`);
}

function sourceDir(document: PolicyDocument): string {
  const dir = document.sources?.find((source): source is { dir: string } => typeof source === 'object' && 'dir' in source);
  return dir ? `the folder ${dir.dir}` : 'a folder';
}

function observedRoot(document: PolicyDocument): string {
  const entry = document.trust?.find((trust) => 'name' in trust && trust.name === OBSERVED_TRUST_NAME);
  return entry && 'trustedRoot' in entry && entry.trustedRoot ? entry.trustedRoot : 'its trusted root';
}

function explain(file: string, document: PolicyDocument, flags: InitFlags): string {
  const pinned = document.packages?.length ?? 0;
  return [
    `Wrote ${file} (mode: warn: violations are reported, the run does not fail).`,
    ...(flags.fromTree ? [`  - ${pinned} package(s) with provenance: require it from the repository and workflow seen now (trust on first use)`] : []),
    `  - ${flags.fromTree ? 'every other package' : 'every package'}: the registry's signature is required, and no version may lose evidence an earlier one of its major line had`,
    `  - signatures come from the registry${flags.fromTree && flags.evidenceDir ? ` (then ${sourceDir(document)})` : ''} and are checked against the Sigstore public-good root${
      flags.fromTree && flags.trustedRoot ? `; the pinned packages' against trust "${OBSERVED_TRUST_NAME}" (${observedRoot(document)})` : ''
    }`,
    'Next: run "pkgseal audit", pin who may publish your key packages under "packages" (see "$comment" in the file), then set "mode": "enforce".',
    '',
  ].join('\n');
}
