import { crypto as sigstoreCrypto, json } from '@sigstore/core';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { fail } from '../errors.js';
import type { TrustedLog } from '../../trust/trust.types.js';

/** Verifies the signed entry timestamp (inclusion promise) a Rekor v1 log issued for the entry. */
export function verifySignedEntryTimestamp(entry: TransparencyLogEntry, log: TrustedLog): void {
  const promise = entry.inclusionPromise;
  if (!promise) fail('TLOG_INCLUSION_PROMISE_ERROR', 'entry has no inclusion promise');
  const payload = {
    body: Buffer.from(entry.canonicalizedBody).toString('base64'),
    integratedTime: Number(entry.integratedTime),
    logIndex: Number(entry.logIndex),
    logID: Buffer.from(entry.logId!.keyId).toString('hex'),
  };
  const signed = Buffer.from(json.canonicalize(payload), 'utf8');
  if (!sigstoreCrypto.verify(signed, log.publicKey, Buffer.from(promise.signedEntryTimestamp))) {
    fail('TLOG_INCLUSION_PROMISE_ERROR', 'inclusion promise (signed entry timestamp) could not be verified');
  }
}
