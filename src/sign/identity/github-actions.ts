/**
 * Ambient GitHub Actions credentials: a job with `permissions: id-token: write` gets
 * ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, and trades them for an OIDC
 * token with the audience it asks for.
 */
import { SigningError } from '../sign.types.js';
import { SIGSTORE_AUDIENCE } from './token-claims.js';

const REQUEST_TIMEOUT_MS = 30_000;

/** True when this job may request an OIDC token (both variables set). */
export function hasGitHubActionsCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL) && Boolean(env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}

/**
 * Requests a token with audience `sigstore`. Neither the request token nor the response body is
 * ever quoted in an error: both are credentials.
 */
export async function fetchGitHubActionsToken(env: NodeJS.ProcessEnv, fetchImpl: typeof fetch = fetch): Promise<string> {
  const requestURL = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestURL || !requestToken) {
    throw new SigningError('GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; give the job `permissions: id-token: write`');
  }
  let url: URL;
  try {
    url = new URL(requestURL);
  } catch {
    throw new SigningError('GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  // The runner's URL already carries `?api-version=...`; the audience is added beside it.
  url.searchParams.set('audience', SIGSTORE_AUDIENCE);

  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new SigningError(`GitHub Actions: cannot reach the ID token endpoint (${networkReason(error)})`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SigningError(
      `GitHub Actions: the ID token request failed with HTTP ${response.status}; check that the job has \`permissions: id-token: write\``,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new SigningError('GitHub Actions: the ID token response is not JSON');
  }
  const value = typeof body === 'object' && body !== null ? (body as { value?: unknown }).value : undefined;
  if (typeof value !== 'string' || value === '') {
    throw new SigningError('GitHub Actions: the ID token response has no `value` string');
  }
  return value;
}

/** A short, secret-free reason for a failed fetch: the system error code, or the error's name. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'network error';
}
