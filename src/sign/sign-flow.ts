import { readFileSync } from 'node:fs';
import { parseBundle } from '../verify/bundle.js';
import { signerIdentityFromCertificate } from '../verify/signer.js';
import { resolveIdentityToken } from './identity/resolve-identity.js';
import { resolveSigningInstance } from './instances.js';
import { readPackageSigningConfig } from './package-config.js';
import { buildPredicate } from './provenance.js';
import { signTarball } from './sign-tarball.js';
import { loadSigningConfig } from './signing-config.js';
import { SigningError, type BundleStore, type PackedTarball, type SigningInstance } from './sign.types.js';
import { storeBundleInDir } from './stores/dir-store.js';
import { storeBundleAtUrl } from './stores/url-store.js';

const { version: PKGSEAL_VERSION } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Signing options as given on the command line (each overrides the package's `pkgseal` config). */
export interface SignFlags {
  identityToken?: string;
  oob?: boolean;
  staging?: boolean;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
  tsa?: boolean;
  signingConfig?: string;
  storeDir?: string;
  storeUrl?: string;
  storeTokenEnv?: string;
}

export interface SignSettings {
  instance: SigningInstance;
  tsa: boolean;
  store?: BundleStore;
}

/** Flags, then `PKGSEAL_*_URL` environment, then the package.json `pkgseal` section, then public-good. */
export async function resolveSignSettings(packageDir: string, flags: SignFlags, env: NodeJS.ProcessEnv): Promise<SignSettings> {
  const config = await readPackageSigningConfig(packageDir);
  const configured = typeof config.instance === 'object' ? config.instance : undefined;
  const signingConfigFile = flags.signingConfig ?? config.signingConfig;
  const fulcioURL = flags.fulcioUrl ?? env.PKGSEAL_FULCIO_URL ?? configured?.fulcioURL;
  const rekorURL = flags.rekorUrl ?? env.PKGSEAL_REKOR_URL ?? configured?.rekorURL;
  const tsaURL = flags.tsaUrl ?? env.PKGSEAL_TSA_URL ?? configured?.tsaURL;
  const instance = resolveSigningInstance({
    staging: flags.staging === true || config.instance === 'staging',
    ...(signingConfigFile ? { signingConfig: await loadSigningConfig(signingConfigFile) } : {}),
    ...(fulcioURL ? { fulcioURL } : {}),
    ...(rekorURL ? { rekorURL } : {}),
    ...(tsaURL ? { tsaURL } : {}),
  });
  const store: BundleStore | undefined = flags.storeDir
    ? { kind: 'dir', dir: flags.storeDir }
    : flags.storeUrl
      ? { kind: 'url', url: flags.storeUrl, ...(flags.storeTokenEnv ? { tokenEnv: flags.storeTokenEnv } : {}) }
      : config.store;
  return { instance, tsa: flags.tsa ?? config.tsa ?? false, ...(store ? { store } : {}) };
}

export interface SignedTarball {
  bundle: object;
  /** The SAN Fulcio certified, as read back from the bundle. */
  signer: string;
}

/** Gets an identity token and signs the tarball's exact bytes. */
export async function signWithIdentity(tarball: PackedTarball, settings: SignSettings, flags: SignFlags, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<SignedTarball> {
  const token = await resolveIdentityToken({
    ...(flags.identityToken ? { identityToken: flags.identityToken } : {}),
    env,
    instance: settings.instance,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    ...(flags.oob ? { oob: true } : {}),
    log,
  });
  const bundle = await signTarball(tarball, {
    instance: settings.instance,
    identityToken: token.token,
    predicate: buildPredicate(env, { version: PKGSEAL_VERSION }, new Date()),
    tsa: settings.tsa,
  });
  return { bundle, signer: certifiedSubject(bundle) };
}

function certifiedSubject(bundle: object): string {
  const parsed = parseBundle(bundle);
  return parsed.material.kind === 'certificate' ? signerIdentityFromCertificate(parsed.material.leaf).subject : parsed.material.hint;
}

/** Puts the bundle where consumers' `dir`/`url` sources will look; returns where. */
export async function storeBundle(store: BundleStore, tarball: Pick<PackedTarball, 'name' | 'version' | 'integrity'>, bundle: object, env: NodeJS.ProcessEnv): Promise<string> {
  return store.kind === 'dir'
    ? storeBundleInDir(store.dir, tarball, bundle)
    : storeBundleAtUrl(store.url, tarball, bundle, { ...(store.tokenEnv ? { tokenEnv: store.tokenEnv } : {}), env });
}

/** Stops before anything is published when there is nowhere to keep the bundle. */
export function requireStore(settings: SignSettings, packageDir: string): BundleStore {
  if (!settings.store) {
    throw new SigningError(`no bundle store configured for ${packageDir}: add "pkgseal": { "store": { "dir": … } } (or "url") to its package.json, or pass --store-dir/--store-url`);
  }
  return settings.store;
}
