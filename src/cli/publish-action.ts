import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confirmRegistryServes } from '../sign/confirm-published.js';
import { detectPackageManager, packageManagerCommand, packPackage, SIGNING_ENV } from '../sign/pack.js';
import { requireStore, resolveSignSettings, signWithIdentity, storeBundle, type SignFlags } from '../sign/sign-flow.js';
import { SigningError, type PackageManager } from '../sign/sign.types.js';
import { logToStderr, type PackageManagerFlag } from './signing-options.js';
import { EXIT } from './usage-error.js';

export type PublishFlags = SignFlags & PackageManagerFlag;


export async function runPublish(packageDir: string, publishArgs: string[], flags: PublishFlags): Promise<number> {
  const env = process.env;
  const settings = await resolveSignSettings(packageDir, flags, env);
  const store = requireStore(settings, packageDir);
  const pm = flags.pm ?? detectPackageManager(env);
  const pmCommand = packageManagerCommand(pm, env);
  const scratch = await mkdtemp(join(tmpdir(), 'pkgseal-publish-'));
  try {
    // Packed once, with the package's own prepack/prepare: this file is what is signed and published.
    const tarball = await packPackage(packageDir, pm, scratch, { pmCommand, runScripts: true });
    const { bundle, signer } = await signWithIdentity(tarball, settings, flags, env, logToStderr);
    await publishTarball(pm, pmCommand, tarball.file, packageDir, publishArgs, env);
    const location = await storeBundle(store, tarball, bundle, env);
    const registry = await confirmRegistryServes(tarball, packageDir, env);
    process.stdout.write(`published ${tarball.name}@${tarball.version} (${tarball.integrity}) to ${registry}, signed by ${signer}; bundle at ${location}\n`);
    return EXIT.ok;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function publishTarball(pm: PackageManager, pmCommand: string[], file: string, cwd: string, publishArgs: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [command, ...leading] = pmCommand;
  const args = [...leading, 'publish', file, ...(pm === 'pnpm' ? ['--no-git-checks'] : []), ...publishArgs];
  return new Promise((resolvePromise, reject) => {
    execFile(command!, args, { cwd, env: { ...env, [SIGNING_ENV]: '1' }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      process.stderr.write(stdout);
      if (!error) return resolvePromise();
      const reason = stderr.split('\n').map((line) => line.trim()).find((line) => /err/i.test(line)) ?? error.message.split('\n')[0];
      reject(new SigningError(`${pm} publish ${file} failed: ${reason}`));
    });
  });
}
