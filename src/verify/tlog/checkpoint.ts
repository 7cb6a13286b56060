import { createHash } from 'node:crypto';
import { crypto as sigstoreCrypto } from '@sigstore/core';
import { fail } from '../errors.js';
import type { TrustedLog } from '../../trust/trust.types.js';

/** A parsed C2SP signed-note checkpoint body. */
export interface Checkpoint {
  origin: string;
  treeSize: bigint;
  rootHash: Buffer;
}

interface NoteSignature {
  name: string;
  keyHint: Buffer;
  signature: Buffer;
}

const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/;
const ED25519_SIGNATURE_TYPE = 0x01;

/**
 * Verifies that `log` signed the checkpoint (other signatures, e.g. witness cosignatures, are
 * ignored) and returns its parsed body. The signer must use the checkpoint's origin as its name
 * and the origin must belong to the log's base URL.
 */
export function verifyCheckpoint(envelope: string, log: TrustedLog): Checkpoint {
  const separator = envelope.indexOf('\n\n');
  if (separator < 0) fail('TLOG_CHECKPOINT_ERROR', 'checkpoint has no signature block');
  const note = envelope.slice(0, separator + 1);
  const checkpoint = parseCheckpointBody(note);
  const signatures = parseSignatures(envelope.slice(separator + 2));
  if (signatures.length === 0) fail('TLOG_CHECKPOINT_ERROR', 'no signatures found in checkpoint');
  if (!originBelongsToLog(checkpoint.origin, log)) {
    fail('TLOG_CHECKPOINT_ERROR', `checkpoint origin "${checkpoint.origin}" does not belong to log ${log.baseURL}`);
  }
  const acceptedHints = keyHintsFor(log, checkpoint.origin);
  const logHost = hostOf(log);
  const signedByLog = signatures.some(
    (sig) =>
      // C2SP notes sign with the origin as key name; Rekor v1 signs with its host name.
      (sig.name === checkpoint.origin || sig.name === logHost) &&
      acceptedHints.some((hint) => hint.equals(sig.keyHint)) &&
      sigstoreCrypto.verify(Buffer.from(note, 'utf8'), log.publicKey, sig.signature),
  );
  if (!signedByLog) fail('TLOG_CHECKPOINT_ERROR', 'invalid checkpoint signature: not signed by the log that holds the entry');
  return checkpoint;
}

function parseCheckpointBody(note: string): Checkpoint {
  const lines = note.slice(0, -1).split('\n');
  const [origin, size, root] = lines;
  if (!origin || !size || !root) fail('TLOG_CHECKPOINT_ERROR', 'too few lines in checkpoint header');
  if (!/^\d+$/.test(size)) fail('TLOG_CHECKPOINT_ERROR', `invalid checkpoint tree size "${size}"`);
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root) fail('TLOG_CHECKPOINT_ERROR', 'invalid checkpoint root hash');
  return { origin, treeSize: BigInt(size), rootHash };
}

function parseSignatures(block: string): NoteSignature[] {
  return block
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const match = SIGNATURE_LINE.exec(line);
      if (!match) fail('TLOG_CHECKPOINT_ERROR', 'malformed checkpoint signature line');
      const bytes = Buffer.from(match[2] ?? '', 'base64');
      // Strictly: the lenient decoder reads `…A=` and `…A=Xn` as the same signature.
      if (bytes.length < 5 || bytes.toString('base64') !== match[2]) fail('TLOG_CHECKPOINT_ERROR', 'malformed checkpoint signature');
      return { name: match[1] ?? '', keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
    });
}

function originBelongsToLog(origin: string, log: TrustedLog): boolean {
  const host = hostOf(log);
  if (host === undefined) return false;
  const originHost = origin.split(' ')[0] ?? '';
  return originHost === host || originHost.startsWith(`${host}/`);
}

const hosts = new WeakMap<TrustedLog, string | undefined>();

/** The host of a trusted log's base URL, undefined when it is not a URL; parsed once per log. */
function hostOf(log: TrustedLog): string | undefined {
  if (!hosts.has(log)) {
    let host: string | undefined;
    try {
      host = new URL(log.baseURL).host;
    } catch {
      host = undefined;
    }
    hosts.set(log, host);
  }
  return hosts.get(log);
}

/** Rekor v1 uses the log ID's first 4 bytes; C2SP Ed25519 notes hash name, type and key. */
function keyHintsFor(log: TrustedLog, origin: string): Buffer[] {
  const hints = [log.checkpointKeyID.subarray(0, 4), log.logID.subarray(0, 4)];
  if (log.publicKey.asymmetricKeyType === 'ed25519') {
    const rawKey = log.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const c2spKeyID = createHash('sha256')
      .update(origin)
      .update(Buffer.from([0x0a, ED25519_SIGNATURE_TYPE]))
      .update(rawKey)
      .digest();
    hints.push(c2spKeyID.subarray(0, 4));
  }
  return hints;
}
