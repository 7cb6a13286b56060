import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { confirmRegistryServes } from '../sign/confirm-published.js';
import { assertDeterministicPack, detectPackageManager, packageManagerCommand, readTarball, SIGNING_ENV } from '../sign/pack.js';
import { clearPendingSignature, savePendingSignature, takePendingSignature } from '../sign/pending-signature.js';
import { requireStore, resolveSignSettings, signWithIdentity, storeBundle, type SignFlags } from '../sign/sign-flow.js';
import { writeBundleFile } from '../sign/sign-tarball.js';
import { readPackageManifest } from '../sign/package-manifest.js';
import { EXIT } from './usage-error.js';
import { logToStderr, type PackageManagerFlag } from './signing-options.js';

export interface SignCommandFlags extends SignFlags, PackageManagerFlag {
  hook?: boolean;
  confirm?: boolean;
  outDir?: string;
}


export async function runSign(target: string, flags: SignCommandFlags): Promise<number> {
  const env = process.env;
  // pkgseal itself is packing or publishing this package: its hooks stand aside.
  if (flags.hook && env[SIGNING_ENV]) return EXIT.ok;
  if (flags.hook) return flags.confirm ? confirmHook(resolve('.'), flags) : prepublishHook(resolve('.'), flags);
  const isFolder = (await stat(target).catch(() => undefined))?.isDirectory() === true;
  const packageDir = isFolder ? resolve(target) : dirname(resolve(target));
  const settings = await resolveSignSettings(packageDir, flags, env);
  const pm = flags.pm ?? detectPackageManager(env);
  const packed = isFolder ? await assertDeterministicPack(packageDir, pm, flags.outDir ?? packageDir, { pmCommand: packageManagerCommand(pm, env), runScripts: true }) : await readTarball(target);
  // A given .tgz stays where it is; --out-dir then only decides where its bundle goes.
  const tarball = !isFolder && flags.outDir ? { ...packed, file: join(resolve(flags.outDir), basename(packed.file)) } : packed;
  const { bundle, signer } = await signWithIdentity(tarball, settings, flags, env, logToStderr);
  const bundleFile = await writeBundleFile(tarball, bundle);
  const stored = settings.store ? ` (stored at ${await storeBundle(settings.store, tarball, bundle, env)})` : '';
  process.stdout.write(`signed ${tarball.name}@${tarball.version} (${tarball.integrity}) by ${signer}: ${bundleFile}${stored}\n`);
  return EXIT.ok;
}

/** prepublishOnly: pack as the invoking package manager will, deterministically, and sign that. */
async function prepublishHook(packageDir: string, flags: SignCommandFlags): Promise<number> {
  const env = process.env;
  const settings = await resolveSignSettings(packageDir, flags, env);
  requireStore(settings, packageDir);
  const pm = flags.pm ?? detectPackageManager(env);
  const scratch = await mkdtemp(join(tmpdir(), 'pkgseal-hook-'));
  try {
    const tarball = await assertDeterministicPack(packageDir, pm, scratch, { pmCommand: packageManagerCommand(pm, env), runScripts: true });
    const { bundle, signer } = await signWithIdentity(tarball, settings, flags, env, logToStderr);
    await savePendingSignature(packageDir, tarball, bundle);
    logToStderr(`pkgseal: signed ${tarball.name}@${tarball.version} (${tarball.integrity}) by ${signer}; postpublish will confirm and store it`);
    return EXIT.ok;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** postpublish: the registry must serve the signed digest; only then is the bundle stored. */
async function confirmHook(packageDir: string, flags: SignCommandFlags): Promise<number> {
  const env = process.env;
  const settings = await resolveSignSettings(packageDir, flags, env);
  const store = requireStore(settings, packageDir);
  const { name, version } = await readPackageManifest(packageDir);
  const pending = await takePendingSignature(packageDir, name, version);
  const registry = await confirmRegistryServes(pending, packageDir, env);
  const location = await storeBundle(store, pending, pending.bundle, env);
  await clearPendingSignature(packageDir, name, version);
  logToStderr(`pkgseal: ${registry} serves ${name}@${version} as signed (${pending.integrity}); bundle stored at ${location}`);
  return EXIT.ok;
}
