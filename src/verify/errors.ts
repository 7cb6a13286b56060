/**
 * Why a piece of evidence failed verification. Callers branch on `code`; users read `message`.
 * @example
 * ```ts
 * import { VerificationError, type VerificationErrorCode } from 'pkgseal';
 *
 * const WRONG_SIGNER_OR_ARTIFACT: VerificationErrorCode[] = ['IDENTITY_MISMATCH', 'SUBJECT_MISMATCH', 'ARTIFACT_MISMATCH'];
 * const isWrongSignerOrArtifact = (error: unknown): boolean => error instanceof VerificationError && WRONG_SIGNER_OR_ARTIFACT.includes(error.code);
 * ```
 */
export type VerificationErrorCode =
  | 'BUNDLE_PARSE_ERROR'
  | 'BUNDLE_UNSUPPORTED'
  | 'TRUST_ERROR'
  | 'CERTIFICATE_ERROR'
  | 'SCT_ERROR'
  | 'PUBLIC_KEY_ERROR'
  | 'TIMESTAMP_ERROR'
  | 'TLOG_BODY_ERROR'
  | 'TLOG_INCLUSION_PROOF_ERROR'
  | 'TLOG_INCLUSION_PROMISE_ERROR'
  | 'TLOG_CHECKPOINT_ERROR'
  | 'TLOG_MISSING_ERROR'
  | 'SIGNATURE_ERROR'
  | 'STATEMENT_ERROR'
  | 'SUBJECT_MISMATCH'
  | 'ARTIFACT_MISMATCH'
  | 'IDENTITY_MISMATCH'
  | 'ATTESTATION_ERROR'
  | 'REGISTRY_SIGNATURE_ERROR';

/**
 * Evidence that does not verify. Programs branch on `code` (a VerificationErrorCode); people
 * read `message`, one line that names the rule that failed.
 * @example
 * ```ts
 * import { parseBundle, VerificationError } from 'pkgseal';
 *
 * try {
 *   parseBundle({ mediaType: 'application/json' });
 * } catch (error) {
 *   if (error instanceof VerificationError) console.error(`${error.code}: ${error.message}`);
 * }
 * ```
 */
export class VerificationError extends Error {
  readonly code: VerificationErrorCode;
  constructor(code: VerificationErrorCode, message: string) {
    super(message);
    this.name = 'VerificationError';
    this.code = code;
  }
}

export function fail(code: VerificationErrorCode, message: string): never {
  throw new VerificationError(code, message);
}

/** Turns anything thrown by a parser or a library into a VerificationError with our code. */
export function asVerificationError(error: unknown, code: VerificationErrorCode, context: string): VerificationError {
  if (error instanceof VerificationError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new VerificationError(code, `${context}: ${detail}`);
}
