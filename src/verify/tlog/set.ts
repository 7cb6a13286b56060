import { crypto as sigstoreCrypto } from '@sigstore/core';
import { fail } from '../errors.js';
import type { TransparencyLogEntry } from '../bundle.types.js';
import type { TrustedLog } from '../../trust/trust.types.js';

/** Verifies the signed entry timestamp (inclusion promise) a Rekor v1 log issued for the entry. */
export function verifySignedEntryTimestamp(entry: TransparencyLogEntry, log: TrustedLog): void {
  const promise = entry.inclusionPromise;
  if (!promise) fail('TLOG_INCLUSION_PROMISE_ERROR', 'entry has no inclusion promise');
  if (!sigstoreCrypto.verify(signedEntry(entry), log.publicKey, promise.signedEntryTimestamp)) {
    fail('TLOG_INCLUSION_PROMISE_ERROR', 'inclusion promise (signed entry timestamp) could not be verified');
  }
}

/**
 * What Rekor signs: the canonical JSON (RFC 8785, keys sorted) of body, integratedTime, logID and
 * logIndex. Base64 and hex need no escaping, so each value is written as JSON.stringify writes it.
 */
function signedEntry(entry: TransparencyLogEntry): Buffer {
  const body = entry.canonicalizedBody.toString('base64');
  const integratedTime = JSON.stringify(Number(entry.integratedTime));
  const logID = entry.logId!.keyId.toString('hex');
  const logIndex = JSON.stringify(Number(entry.logIndex));
  return Buffer.from(`{"body":"${body}","integratedTime":${integratedTime},"logID":"${logID}","logIndex":${logIndex}}`, 'latin1');
}
