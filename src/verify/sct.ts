import { hash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { isWithin, type TrustedLog } from '../trust/trust.types.js';
import { fail } from './errors.js';
import { findExtension, type Certificate } from './x509/certificate.js';
import { precertificateTBS } from './x509/precertificate.js';
import { readSCTList, type SignedCertificateTimestamp } from './x509/sct-list.js';

const SCT_LIST_OID = '1.3.6.1.4.1.11129.2.4.2';

/**
 * RFC 5246 §7.4.1.4.1 hash algorithms, as `crypto.verify` names them. RFC 6962 logs sign with
 * SHA-256; MD5, SHA-1 and SHA-224 (1–3) are refused even from a trusted log.
 */
const SCT_DIGESTS: Readonly<Record<number, string>> = { 4: 'sha256', 5: 'sha384', 6: 'sha512' };

/**
 * Verifies the leaf's embedded SCTs against the trusted CT logs (RFC 6962 precertificate form).
 * Returns how many verified; an SCT from a trusted log that fails to verify is an error.
 */
export function verifySCTs(leaf: Certificate, issuer: Certificate, ctlogs: TrustedLog[]): number {
  const extension = findExtension(leaf, SCT_LIST_OID);
  if (!extension) return 0;
  let scts: SignedCertificateTimestamp[];
  let precertificate: Buffer;
  try {
    scts = readSCTList(extension.value);
    precertificate = precertificateTBS(leaf, extension);
  } catch (error) {
    fail('SCT_ERROR', `malformed SCT list extension (${(error as Error).message})`);
  }
  const issuerKeyHash = hash('sha256', issuer.subjectPublicKeyInfo, 'buffer');
  let verified = 0;
  for (const sct of scts) {
    const logs = ctlogs.filter((log) => log.logID.equals(sct.logID));
    if (logs.length === 0) continue;
    const time = new Date(Number(sct.timestamp.readBigInt64BE()));
    const ok = logs.some((log) => isWithin(log.validFor, time) && verifySCT(sct, issuerKeyHash, precertificate, log.publicKey));
    if (!ok) fail('SCT_ERROR', 'SCT verification failed: a trusted CT log did not sign this certificate at that time');
    verified++;
  }
  return verified;
}

/** RFC 6962 §3.2: the log signed a certificate_timestamp over the precert_entry (issuer key hash, TBS). */
function verifySCT(sct: SignedCertificateTimestamp, issuerKeyHash: Buffer, precertificate: Buffer, key: KeyObject): boolean {
  const digest = SCT_DIGESTS[sct.hashAlgorithm];
  if (digest === undefined) return false;
  try {
    const signed = Buffer.concat([
      Buffer.from([sct.version, CERTIFICATE_TIMESTAMP]),
      sct.timestamp,
      uint(PRECERT_ENTRY, 2),
      issuerKeyHash,
      uint(precertificate.length, 3),
      precertificate,
      uint(sct.extensions.length, 2),
      sct.extensions,
    ]);
    return nodeVerify(digest, signed, key, sct.signature);
  } catch {
    return false;
  }
}

const CERTIFICATE_TIMESTAMP = 0;
const PRECERT_ENTRY = 1;

function uint(value: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}
