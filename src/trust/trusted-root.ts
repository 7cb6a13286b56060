import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  JsonShapeError,
  readArray,
  readBase64,
  readDate,
  readObject,
  readOptionalString,
  readString,
  type JsonObject,
} from './json-fields.js';
import { parseCertificate } from '../verify/x509/certificate.js';
import type { TrustMaterial, TrustedCertificateAuthority, TrustedLog, ValidityWindow } from './trust.types.js';

const TRUSTED_ROOT_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
] as const;

const RSA_PKCS1_KEY_DETAILS = new Set(['PKCS1_RSA_PKCS1V5', 'PKCS1_RSA_PSS']);

/**
 * A trusted root (or registry keys document) that is malformed: unknown media type, an authority
 * or key without a validity window, an unreadable key or certificate. Never silently a smaller
 * trust set.
 * @example
 * ```ts
 * import { trustMaterialFromTrustedRoot, TrustedRootError } from 'pkgseal';
 *
 * try {
 *   trustMaterialFromTrustedRoot({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' });
 * } catch (error) {
 *   if (error instanceof TrustedRootError) console.error(error.message);
 * }
 * ```
 */
export class TrustedRootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustedRootError';
  }
}

/**
 * Validates a Sigstore `trusted_root.json` document and builds trust material from it.
 * Every authority, log and key must carry a validity window; anything malformed is an error,
 * never a silently smaller trust set.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { trustMaterialFromTrustedRoot } from 'pkgseal';
 *
 * // A private Sigstore instance (`cosign trusted-root create`, or the instance's TUF repository).
 * const trust = trustMaterialFromTrustedRoot(JSON.parse(readFileSync('corp-trusted-root.json', 'utf8')));
 * console.log(`${trust.certificateAuthorities.length} Fulcio CAs, ${trust.tlogs.length} transparency logs`);
 * ```
 */
export function trustMaterialFromTrustedRoot(document: unknown, extraDigestInput = ''): TrustMaterial {
  try {
    const root = readObject(document, 'trusted root');
    const mediaType = readString(root.mediaType, 'mediaType');
    if (!(TRUSTED_ROOT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
      throw new JsonShapeError('mediaType', `"${mediaType}" is not a Sigstore trusted root`);
    }
    const tlogs = readOptionalArray(root.tlogs, 'tlogs').map((log, i) => toTrustedLog(log, `tlogs[${i}]`));
    const ctlogs = readOptionalArray(root.ctlogs, 'ctlogs').map((log, i) => toTrustedLog(log, `ctlogs[${i}]`));
    const certificateAuthorities = readOptionalArray(root.certificateAuthorities, 'certificateAuthorities').map((ca, i) =>
      toAuthority(ca, `certificateAuthorities[${i}]`),
    );
    const timestampAuthorities = readOptionalArray(root.timestampAuthorities, 'timestampAuthorities').map((ca, i) =>
      toAuthority(ca, `timestampAuthorities[${i}]`),
    );
    if (tlogs.length === 0 && timestampAuthorities.length === 0) {
      throw new JsonShapeError('trusted root', 'names no transparency log and no timestamp authority');
    }
    const digest = createHash('sha256').update(JSON.stringify(document)).update(extraDigestInput).digest('hex');
    return { digest, tlogs, ctlogs, certificateAuthorities, timestampAuthorities, publicKeys: [] };
  } catch (error) {
    if (error instanceof JsonShapeError) throw new TrustedRootError(`invalid trusted root: ${error.message}`);
    throw error;
  }
}

function readOptionalArray(value: unknown, path: string): unknown[] {
  return value === undefined ? [] : readArray(value, path);
}

function toTrustedLog(value: unknown, path: string): TrustedLog {
  const log = readObject(value, path);
  const baseURL = readString(log.baseUrl, `${path}.baseUrl`);
  const publicKeyJson = readObject(log.publicKey, `${path}.publicKey`);
  const keyDetails = readString(publicKeyJson.keyDetails, `${path}.publicKey.keyDetails`);
  const publicKey = toPublicKey(readBase64(publicKeyJson.rawBytes, `${path}.publicKey.rawBytes`), keyDetails, `${path}.publicKey`);
  const validFor = toValidity(publicKeyJson.validFor, `${path}.publicKey.validFor`);
  const logID = readBase64(readObject(log.logId, `${path}.logId`).keyId, `${path}.logId.keyId`);
  if (logID.length !== 32) throw new JsonShapeError(`${path}.logId.keyId`, 'must be 32 bytes');
  const checkpointKeyID =
    log.checkpointKeyId === undefined
      ? logID
      : readBase64(readObject(log.checkpointKeyId, `${path}.checkpointKeyId`).keyId, `${path}.checkpointKeyId.keyId`);
  return { logID, checkpointKeyID, baseURL, publicKey, validFor };
}

function toAuthority(value: unknown, path: string): TrustedCertificateAuthority {
  const authority = readObject(value, path);
  const uri = readOptionalString(authority.uri, `${path}.uri`) ?? '';
  const certificates = readArray(readObject(authority.certChain, `${path}.certChain`).certificates, `${path}.certChain.certificates`);
  if (certificates.length === 0) throw new JsonShapeError(`${path}.certChain.certificates`, 'is empty');
  const certChain = certificates.map((certificate, i) => {
    const certPath = `${path}.certChain.certificates[${i}]`;
    const der = readBase64(readObject(certificate, certPath).rawBytes, `${certPath}.rawBytes`);
    try {
      return parseCertificate(der);
    } catch (error) {
      throw new JsonShapeError(certPath, `not an X.509 certificate (${(error as Error).message})`);
    }
  });
  return { uri, certChain, validFor: toValidity(authority.validFor, `${path}.validFor`) };
}

export function toValidity(value: unknown, path: string): ValidityWindow {
  const window = readObject(value, path);
  const start = readDate(window.start, `${path}.start`);
  const end = window.end === undefined ? undefined : readDate(window.end, `${path}.end`);
  if (end !== undefined && end.getTime() < start.getTime()) throw new JsonShapeError(path, 'ends before it starts');
  return end === undefined ? { start } : { start, end };
}

export function toPublicKey(der: Buffer, keyDetails: string, path: string): KeyObject {
  try {
    return createPublicKey({ key: der, format: 'der', type: RSA_PKCS1_KEY_DETAILS.has(keyDetails) ? 'pkcs1' : 'spki' });
  } catch (error) {
    throw new JsonShapeError(path, `unreadable public key (${(error as Error).message})`);
  }
}

export type { JsonObject };
