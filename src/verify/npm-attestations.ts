import { isObject } from '../trust/json-fields.js';
import { parseBundle } from './bundle.js';
import { fail, VerificationError } from './errors.js';
import { verifyParsedBundle, type VerifiedBundle, type VerifyBundleOptions } from './verify-bundle.js';


export interface VerifiedAttestation extends VerifiedBundle {
  predicateType: string;
}

/** Evidence as stored: one Sigstore bundle, or a registry attestations document of several. */
export type Evidence = { kind: 'bundle'; bundle: unknown } | { kind: 'attestations'; attestations: Array<{ predicateType: string; bundle: unknown }> };

export function classifyEvidence(document: unknown): Evidence {
  if (!isObject(document)) fail('BUNDLE_PARSE_ERROR', 'evidence is not a JSON object');
  if (!('attestations' in document)) return { kind: 'bundle', bundle: document };
  if (!Array.isArray(document.attestations) || document.attestations.length === 0) {
    fail('ATTESTATION_ERROR', 'attestations document has no attestations');
  }
  return {
    kind: 'attestations',
    attestations: document.attestations.map((attestation, i) => {
      if (!isObject(attestation) || typeof attestation.predicateType !== 'string' || !isObject(attestation.bundle)) {
        fail('ATTESTATION_ERROR', `attestation ${i} lacks a predicateType or a bundle`);
      }
      return { predicateType: attestation.predicateType, bundle: attestation.bundle };
    }),
  };
}

/**
 * Verifies every bundle in the evidence. Registry attestations are additionally bound to their
 * unsigned wrapper: the wrapper's predicateType must equal the signed statement's.
 */
export function verifyEvidence(evidence: Evidence, options: VerifyBundleOptions): VerifiedAttestation[] {
  if (evidence.kind === 'bundle') {
    const verified = verifyParsedBundle(parseBundle(evidence.bundle), options);
    return [{ ...verified, predicateType: verified.statement?.predicateType ?? '' }];
  }
  return evidence.attestations.map(({ predicateType, bundle }, i) => {
    try {
      const verified = verifyParsedBundle(parseBundle(bundle), options);
      if (!verified.statement) fail('ATTESTATION_ERROR', 'registry attestation is not an in-toto statement');
      if (verified.statement.predicateType !== predicateType) {
        fail('ATTESTATION_ERROR', `wrapper predicateType "${predicateType}" differs from the signed "${verified.statement.predicateType}"`);
      }
      return { ...verified, predicateType };
    } catch (error) {
      if (error instanceof VerificationError) throw new VerificationError(error.code, `attestation ${i} (${predicateType}): ${error.message}`);
      throw error;
    }
  });
}
