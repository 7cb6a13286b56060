import { SigningError, type SigningInstance } from './sign.types.js';

/** Sigstore's public-good deployment, the one npm provenance uses. */
export const PUBLIC_GOOD_INSTANCE = {
  fulcioURL: 'https://fulcio.sigstore.dev',
  rekorURL: 'https://rekor.sigstore.dev',
  tsaURL: 'https://timestamp.sigstore.dev/api/v1/timestamp',
  oidcIssuer: 'https://oauth2.sigstore.dev/auth',
  oidcClientID: 'sigstore',
} as const satisfies SigningInstance;

/** Sigstore's staging deployment: same software, a separate trust root; for trying things out. */
export const STAGING_INSTANCE = {
  fulcioURL: 'https://fulcio.sigstage.dev',
  rekorURL: 'https://rekor.sigstage.dev',
  tsaURL: 'https://timestamp.sigstage.dev/api/v1/timestamp',
  oidcIssuer: 'https://oauth2.sigstage.dev/auth',
  oidcClientID: 'sigstore',
} as const satisfies SigningInstance;

/** `--staging`, `--fulcio-url`, `--rekor-url`, `--tsa-url`, `--oidc-issuer`, `--oidc-client-id`, or a parsed `signing_config.json`. */
export interface InstanceFlags {
  staging?: boolean;
  signingConfig?: SigningInstance;
  fulcioURL?: string;
  rekorURL?: string;
  tsaURL?: string;
  oidcIssuer?: string;
  oidcClientID?: string;
}

/**
 * The instance to sign against. Public-good unless told otherwise; URL flags override single
 * services of the chosen instance. A `--fulcio-url` without `--staging` or a signing config names a
 * private instance: its signatures are not sent to the public Rekor, so it needs its own
 * `--rekor-url` or `--tsa-url`.
 */
export function resolveSigningInstance(flags: InstanceFlags): SigningInstance {
  if (flags.staging && flags.signingConfig) throw new SigningError('--staging and a signing config name different instances; give one');
  const base: SigningInstance | undefined = flags.signingConfig ?? (flags.staging ? STAGING_INSTANCE : flags.fulcioURL ? undefined : PUBLIC_GOOD_INSTANCE);
  const instance: SigningInstance = base
    ? { ...base }
    : { fulcioURL: flags.fulcioURL!, oidcIssuer: PUBLIC_GOOD_INSTANCE.oidcIssuer, oidcClientID: PUBLIC_GOOD_INSTANCE.oidcClientID };
  if (flags.fulcioURL !== undefined) instance.fulcioURL = serviceURL(flags.fulcioURL, '--fulcio-url');
  if (flags.rekorURL !== undefined) instance.rekorURL = serviceURL(flags.rekorURL, '--rekor-url');
  if (flags.tsaURL !== undefined) instance.tsaURL = serviceURL(flags.tsaURL, '--tsa-url');
  if (flags.oidcIssuer !== undefined) instance.oidcIssuer = serviceURL(flags.oidcIssuer, '--oidc-issuer');
  if (flags.oidcClientID !== undefined) instance.oidcClientID = flags.oidcClientID;
  if (!instance.rekorURL && !instance.tsaURL) {
    throw new SigningError('a private Fulcio needs --rekor-url or --tsa-url: a signature must be logged or timestamped to verify');
  }
  return instance;
}

/** An http(s) base URL without a trailing slash (clients append `/api/...`); `what` names the flag or field. */
export function serviceURL(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SigningError(`${what}: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new SigningError(`${what}: ${value} is not an http(s) URL`);
  if (url.username || url.password || url.search || url.hash) throw new SigningError(`${what}: ${url.origin}${url.pathname} must not carry credentials, a query or a fragment`);
  return value.replace(/\/+$/, '');
}
