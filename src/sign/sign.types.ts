/** An OIDC identity token and where it came from (never log the token itself). */
export interface IdentityToken {
  token: string;
  /** `--identity-token`, `SIGSTORE_ID_TOKEN`, `github-actions`, `interactive`. */
  source: 'flag' | 'env' | 'github-actions' | 'interactive';
}

/** One Sigstore deployment to sign against. */
export interface SigningInstance {
  fulcioURL: string;
  rekorURL?: string;
  tsaURL?: string;
  /** OIDC issuer for the interactive flow, e.g. https://oauth2.sigstore.dev/auth. */
  oidcIssuer: string;
  oidcClientID: string;
}

/** A packed npm tarball, exactly the bytes that will be published. */
export interface PackedTarball {
  /** Absolute path of the .tgz. */
  file: string;
  name: string;
  version: string;
  /** `sha512-<base64>`, as the registry's `dist.integrity`. */
  integrity: string;
  sha512: Buffer;
}

export type PackageManager = 'npm' | 'pnpm';

/** Where bundles are kept for consumers: the same layouts the audit's dir/url sources read. */
export type BundleStore = { kind: 'dir'; dir: string } | { kind: 'url'; url: string; tokenEnv?: string };

export class SigningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningError';
  }
}
