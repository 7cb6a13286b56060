/**
 * Checks an OIDC identity token before it is sent to Fulcio. The signature is not verified here
 * (Fulcio does that, as in every Sigstore client): the point is to fail early, with a message
 * that names where the token came from and what is wrong, instead of an opaque Fulcio 401.
 *
 * No message built here may contain the token or any part of it.
 */
import { SigningError, type IdentityToken } from '../sign.types.js';

/** The audience Fulcio requires. */
export const SIGSTORE_AUDIENCE = 'sigstore';
/** Tolerated clock skew between this machine and the token issuer. */
export const CLOCK_LEEWAY_SECONDS = 30;

/** How each source is named in messages: what the user set, or where the token came from. */
export const TOKEN_SOURCE_LABELS = {
  flag: '--identity-token',
  env: 'SIGSTORE_ID_TOKEN',
  'github-actions': 'GitHub Actions',
  interactive: 'interactive login',
} as const satisfies Record<IdentityToken['source'], string>;

/** The claims pkgseal reads from a token; everything else is Fulcio's business. */
export interface TokenClaims {
  issuer: string;
  audience: string[];
  expiresAt: Date;
  notBefore?: Date;
  /** `email` when present, else `sub`: what the certificate will name. */
  signerName?: string;
  nonce?: string;
}

/** Returns the trimmed token and its claims, or throws a SigningError naming the source and the reason. */
export function validateIdentityToken(
  rawToken: string,
  source: IdentityToken['source'],
  now: Date = new Date(),
): { token: string; claims: TokenClaims } {
  const token = rawToken.trim();
  const claims = readTokenClaims(token, source);
  const nowSeconds = now.getTime() / 1000;
  if (claims.expiresAt.getTime() / 1000 + CLOCK_LEEWAY_SECONDS <= nowSeconds) {
    throw tokenError(source, `token expired at ${claims.expiresAt.toISOString()}; get a fresh token`);
  }
  if (claims.notBefore && claims.notBefore.getTime() / 1000 - CLOCK_LEEWAY_SECONDS > nowSeconds) {
    throw tokenError(source, `token is not valid before ${claims.notBefore.toISOString()}`);
  }
  if (!claims.audience.includes(SIGSTORE_AUDIENCE)) {
    throw tokenError(
      source,
      `token audience is ${describeValue(claims.audience)}, expected "${SIGSTORE_AUDIENCE}"; request the token with audience "${SIGSTORE_AUDIENCE}"`,
    );
  }
  return { token, claims };
}

/** Decodes the claims pkgseal needs, without judging expiry or audience. */
export function readTokenClaims(token: string, source: IdentityToken['source']): TokenClaims {
  const payload = rawClaims(token, source);
  const { iss, exp, nbf, aud, email, sub, nonce } = payload;
  if (typeof iss !== 'string' || iss === '') throw tokenError(source, 'token has no `iss` claim');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw tokenError(source, 'token has no numeric `exp` claim');
  const audience = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];
  const signerName = typeof email === 'string' ? email : typeof sub === 'string' ? sub : undefined;
  return {
    issuer: iss,
    audience,
    expiresAt: new Date(exp * 1000),
    ...(typeof nbf === 'number' && Number.isFinite(nbf) && { notBefore: new Date(nbf * 1000) }),
    ...(signerName !== undefined && { signerName }),
    ...(typeof nonce === 'string' && { nonce }),
  };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function rawClaims(token: string, source: IdentityToken['source']): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw tokenError(source, `malformed token: a JWT has three base64url parts separated by ".", this has ${parts.length}`);
  }
  const names = ['header', 'payload', 'signature'] as const;
  parts.forEach((part, index) => {
    if (!BASE64URL.test(part)) throw tokenError(source, `malformed token: the JWT ${names[index]} is not base64url`);
  });
  decodeJSONObject(parts[0] ?? '', source, 'header');
  return decodeJSONObject(parts[1] ?? '', source, 'payload');
}

// The parser's own message is dropped: it quotes the input, which is part of the token.
function decodeJSONObject(part: string, source: IdentityToken['source'], name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw tokenError(source, `malformed token: the JWT ${name} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw tokenError(source, `malformed token: the JWT ${name} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function tokenError(source: IdentityToken['source'], reason: string): SigningError {
  return new SigningError(`${TOKEN_SOURCE_LABELS[source]}: ${reason}`);
}
