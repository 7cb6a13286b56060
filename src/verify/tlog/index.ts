import type { TransparencyLogEntry } from '../bundle.types.js';
import { isWithin, type TrustMaterial, type TrustedLog } from '../../trust/trust.types.js';
import { fail, VerificationError } from '../errors.js';
import { verifyTLogBody, type LoggedClaim } from './body.js';
import { verifyCheckpoint } from './checkpoint.js';
import { computeInclusionRoot } from './merkle.js';
import { verifySignedEntryTimestamp } from './set.js';

/**
 * A transparency-log entry that verified: which log, its index and kind, when it was integrated,
 * and how inclusion was shown (a signed promise, an inclusion proof, or both).
 * @example
 * ```ts
 * import type { VerifiedLogEntry } from 'pkgseal';
 *
 * // Attestations carry their entries without `log`, naming it by `logURL` instead.
 * const describeEntry = (entry: Omit<VerifiedLogEntry, 'log'>): string =>
 *   `#${entry.logIndex} (${entry.kind}, ${entry.inclusion.join(' + ')}) at ${entry.integratedTime?.toISOString() ?? 'an RFC 3161 time'}`;
 * ```
 */
export interface VerifiedLogEntry {
  logIndex: string;
  logID: string;
  kind: string;
  /** Set only when a signed entry timestamp vouches for it. */
  integratedTime?: Date;
  inclusion: Array<'promise' | 'proof'>;
  log: TrustedLog;
}

/** Verifies one transparency-log entry: trusted log, body, and proof or promise of inclusion. */
export function verifyTLogEntry(entry: TransparencyLogEntry, claim: LoggedClaim, trust: TrustMaterial): VerifiedLogEntry {
  const logID = entry.logId?.keyId ?? Buffer.alloc(0);
  const log = trust.tlogs.find((candidate) => candidate.logID.equals(logID));
  if (!log) fail('TLOG_MISSING_ERROR', `tlog entry ${entry.logIndex} comes from a log the trusted root does not name`);
  try {
    verifyTLogBody(entry, claim);
  } catch (error) {
    if (error instanceof VerificationError) throw new VerificationError(error.code, `tlog entry ${entry.logIndex} does not record this signature: ${error.message}`);
    throw error;
  }
  const inclusion: VerifiedLogEntry['inclusion'] = [];
  let integratedTime: Date | undefined;
  if (entry.inclusionPromise) {
    integratedTime = new Date(Number(entry.integratedTime) * 1000);
    if (Number.isNaN(integratedTime.getTime())) fail('TLOG_INCLUSION_PROMISE_ERROR', `tlog entry ${entry.logIndex} has an impossible integrated time "${entry.integratedTime}"`);
    if (!isWithin(log.validFor, integratedTime)) fail('TLOG_INCLUSION_PROMISE_ERROR', `log ${log.baseURL} was not trusted at ${integratedTime.toISOString()}`);
    verifySignedEntryTimestamp(entry, log);
    inclusion.push('promise');
  }
  if (entry.inclusionProof) {
    verifyInclusionProof(entry, log);
    inclusion.push('proof');
  }
  if (inclusion.length === 0) fail('TLOG_MISSING_ERROR', `tlog entry ${entry.logIndex} has neither an inclusion proof nor a promise`);
  return {
    logIndex: entry.logIndex,
    logID: logID.toString('hex'),
    kind: `${entry.kindVersion?.kind}/${entry.kindVersion?.version}`,
    ...(integratedTime ? { integratedTime } : {}),
    inclusion,
    log,
  };
}

/**
 * The root computed from the proof must equal both the proof's own rootHash and the root the
 * log signed in its checkpoint (sigstore-js compares only the latter).
 */
function verifyInclusionProof(entry: TransparencyLogEntry, log: TrustedLog): void {
  const proof = entry.inclusionProof!;
  // proof.logIndex is the index within the log shard's tree; entry.logIndex is global across shards.
  if (!proof.checkpoint?.envelope) fail('TLOG_INCLUSION_PROOF_ERROR', 'inclusion proof has no checkpoint');
  const checkpoint = verifyCheckpoint(proof.checkpoint.envelope, log);
  const treeSize = BigInt(proof.treeSize);
  const proofRoot = proof.rootHash;
  if (checkpoint.treeSize !== treeSize) fail('TLOG_INCLUSION_PROOF_ERROR', 'checkpoint tree size differs from the inclusion proof');
  if (!checkpoint.rootHash.equals(proofRoot)) fail('TLOG_INCLUSION_PROOF_ERROR', 'checkpoint root hash differs from the inclusion proof');
  const computedRoot = computeInclusionRoot({
    logIndex: BigInt(proof.logIndex),
    treeSize,
    leaf: entry.canonicalizedBody,
    hashes: proof.hashes,
  });
  if (!computedRoot.equals(proofRoot)) fail('TLOG_INCLUSION_PROOF_ERROR', 'calculated root hash does not match the inclusion proof');
}
