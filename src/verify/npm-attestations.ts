import { isObject } from '../trust/json-fields.js';
import { parseBundle } from './bundle.js';
import { fail, VerificationError } from './errors.js';
import { verifyParsedBundle, type VerifiedBundle, type VerifyBundleOptions } from './verify-bundle.js';


/**
 * One verified bundle of the evidence and the predicate type it attests (SLSA provenance, npm's
 * publish attestation, or `''` for a plain message signature).
 * @example
 * ```ts
 * import type { VerifiedAttestation } from 'pkgseal';
 *
 * const provenanceSigner = (attestations: VerifiedAttestation[]) =>
 *   attestations.find((attestation) => attestation.predicateType.startsWith('https://slsa.dev/provenance/'))?.signer;
 * ```
 */
export interface VerifiedAttestation extends VerifiedBundle {
  predicateType: string;
}

/**
 * Evidence as stored: one Sigstore bundle, or a registry attestations document of several.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import type { Evidence } from 'pkgseal';
 *
 * const evidence: Evidence = { kind: 'bundle', bundle: JSON.parse(readFileSync('my-lib-1.0.0.tgz.sigstore.json', 'utf8')) };
 * ```
 */
export type Evidence = { kind: 'bundle'; bundle: unknown } | { kind: 'attestations'; attestations: Array<{ predicateType: string; bundle: unknown }> };

/**
 * Tells one Sigstore bundle from an npm registry attestations document (`{"attestations": [...]}`)
 * and checks the document's shape. Nothing is verified yet; throws VerificationError.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { classifyEvidence } from 'pkgseal';
 *
 * const evidence = classifyEvidence(JSON.parse(readFileSync('attestations.json', 'utf8')));
 * console.log(evidence.kind === 'attestations' ? evidence.attestations.map((attestation) => attestation.predicateType) : 'one bundle');
 * ```
 */
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
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { classifyEvidence, publicGoodTrustMaterial, readNpmTarball, verifyEvidence } from 'pkgseal';
 *
 * const tarball = await readNpmTarball('sigstore-2.3.1.tgz');
 * const evidence = classifyEvidence(JSON.parse(readFileSync('attestations.json', 'utf8')));
 * const attestations = verifyEvidence(evidence, { trust: publicGoodTrustMaterial(), npmPackage: tarball.package });
 * ```
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
