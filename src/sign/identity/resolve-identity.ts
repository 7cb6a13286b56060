/**
 * Where the signing identity comes from, first found wins (the order of sigstore-python and cosign):
 *
 *   1. `--identity-token <jwt>`
 *   2. `SIGSTORE_ID_TOKEN`. GitLab CI has no ambient credential to fetch: a job asks for a token
 *      with `id_tokens:` and names it SIGSTORE_ID_TOKEN, e.g.
 *
 *          publish:
 *            id_tokens:
 *              SIGSTORE_ID_TOKEN:
 *                aud: sigstore
 *            script: npx pkgseal publish
 *
 *      (Buildkite, CircleCI and other CI systems that mint OIDC tokens work the same way.)
 *   3. GitHub Actions ambient credentials (the job needs `permissions: id-token: write`).
 *   4. The interactive browser login, only on a terminal and never in CI.
 *
 * A token that is given but unusable is an error, never a reason to fall through to the next source:
 * signing as someone other than the user asked for would be worse than stopping.
 */
import { SigningError, type IdentityToken, type SigningInstance } from '../sign.types.js';
import { fetchGitHubActionsToken, hasGitHubActionsCredentials } from './github-actions.js';
import { interactiveIdentityToken, openSystemBrowser, promptOnTerminal } from './interactive-oauth.js';
import { validateIdentityToken } from './token-claims.js';

export interface ResolveIdentityOptions {
  /** The `--identity-token` value. */
  identityToken?: string;
  env: NodeJS.ProcessEnv;
  instance: SigningInstance;
  /** stdin and stderr are a TTY: a person could complete a browser login. */
  interactive: boolean;
  /** `--oob`: skip the browser and the local listener, paste the code instead. */
  oob?: boolean;
  /** Default: the platform's opener (see openSystemBrowser). */
  openBrowser?: (url: string) => Promise<boolean>;
  /** Default: a line from stdin. The signal aborts when the login times out. */
  prompt?: (question: string, signal?: AbortSignal) => Promise<string>;
  log: (line: string) => void;
  fetch?: typeof fetch;
  /** How long the interactive login waits for the user. Default 5 minutes. */
  interactiveTimeoutMs?: number;
}

export const NO_IDENTITY_MESSAGE =
  'no identity available: pass --identity-token, set SIGSTORE_ID_TOKEN, run in GitHub Actions with id-token: write, or run interactively';

/** Finds, fetches or asks for an OIDC token, checks it, and says where it came from (never the token). */
export async function resolveIdentityToken(options: ResolveIdentityOptions): Promise<IdentityToken> {
  const { env, log } = options;
  const fetchImpl = options.fetch ?? fetch;

  if (options.identityToken !== undefined) return accept(options.identityToken, 'flag');
  if (env.SIGSTORE_ID_TOKEN) return accept(env.SIGSTORE_ID_TOKEN, 'env');
  if (hasGitHubActionsCredentials(env)) {
    return accept(await fetchGitHubActionsToken(env, fetchImpl), 'github-actions');
  }
  if (options.interactive && !isCI(env)) {
    const token = await interactiveIdentityToken({
      issuer: options.instance.oidcIssuer,
      clientID: options.instance.oidcClientID,
      openBrowser: options.openBrowser ?? ((url) => openSystemBrowser(url, env)),
      prompt: options.prompt ?? promptOnTerminal,
      log,
      fetch: fetchImpl,
      oob: options.oob ?? false,
      ...(options.interactiveTimeoutMs !== undefined && { timeoutMs: options.interactiveTimeoutMs }),
    });
    return accept(token, 'interactive');
  }
  throw new SigningError(NO_IDENTITY_MESSAGE);
}

/** `CI` set to anything but an explicit no, as GitHub Actions, GitLab and most CI systems set it. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

/** Validated before use; nothing is printed, so a failure later is still the only line on stderr. */
function accept(rawToken: string, source: IdentityToken['source']): IdentityToken {
  const { token } = validateIdentityToken(rawToken, source);
  return { token, source };
}
