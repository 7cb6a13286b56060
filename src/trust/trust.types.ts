import type { KeyObject } from 'node:crypto';
import type { Certificate } from '../verify/x509/certificate.js';

/**
 * A closed interval; `end` undefined means open-ended.
 * @example
 * ```ts
 * import type { ValidityWindow } from 'pkgseal';
 *
 * const openEnded: ValidityWindow = { start: new Date('2023-03-20T00:00:00Z') };
 * const retired: ValidityWindow = { start: new Date('2021-03-07T00:00:00Z'), end: new Date('2022-04-13T00:00:00Z') };
 * ```
 */
export interface ValidityWindow {
  start: Date;
  end?: Date;
}

/**
 * A transparency log or CT log whose signatures we accept.
 * @example
 * ```ts
 * import { publicGoodTrustMaterial, type TrustedLog } from 'pkgseal';
 *
 * const acceptsEntriesAt = (log: TrustedLog, time: Date): boolean =>
 *   log.validFor.start <= time && (log.validFor.end === undefined || time <= log.validFor.end);
 * const logsNow = publicGoodTrustMaterial().tlogs.filter((log) => acceptsEntriesAt(log, new Date()));
 * ```
 */
export interface TrustedLog {
  /** SHA-256 of the log's DER public key (the log ID). */
  logID: Buffer;
  /** Key ID used in signed-note checkpoints (Rekor v2 may differ from logID). */
  checkpointKeyID: Buffer;
  baseURL: string;
  publicKey: KeyObject;
  validFor: ValidityWindow;
}

/**
 * A Fulcio CA or an RFC 3161 timestamp authority: a chain, leaf first, root last.
 * @example
 * ```ts
 * import { publicGoodTrustMaterial, type TrustedCertificateAuthority } from 'pkgseal';
 *
 * const fulcio: TrustedCertificateAuthority[] = publicGoodTrustMaterial().certificateAuthorities;
 * console.log(fulcio.map((authority) => `${authority.uri}: ${authority.certChain.length} certificates`));
 * ```
 */
export interface TrustedCertificateAuthority {
  uri: string;
  certChain: Certificate[];
  validFor: ValidityWindow;
}

/**
 * A managed public key (npm registry keys, `--key`).
 * @example
 * ```ts
 * import { publicGoodTrustMaterial, type TrustedPublicKey } from 'pkgseal';
 *
 * const npmSignatureKeys: TrustedPublicKey[] = publicGoodTrustMaterial().publicKeys.filter((key) => key.usage === 'npm:signatures');
 * ```
 */
export interface TrustedPublicKey {
  keyID: string;
  publicKey: KeyObject;
  validFor: ValidityWindow;
  /** e.g. `npm:signatures`, `npm:attestations`; undefined for a user-supplied key. */
  usage?: string;
}

/**
 * Everything verification trusts: Fulcio CAs, timestamp authorities, transparency logs, CT logs
 * and managed keys (npm's registry keys), each with its validity window. `digest` identifies the
 * set, so cached verifications are tied to it.
 * @example
 * ```ts
 * import { publicGoodTrustMaterial, type TrustMaterial } from 'pkgseal';
 *
 * const trust: TrustMaterial = publicGoodTrustMaterial();
 * const rekorURLs = trust.tlogs.map((log) => log.baseURL);
 * ```
 */
export interface TrustMaterial {
  /** Content digest (sha256 hex) of the trust inputs: keys for caches. */
  digest: string;
  certificateAuthorities: TrustedCertificateAuthority[];
  timestampAuthorities: TrustedCertificateAuthority[];
  tlogs: TrustedLog[];
  ctlogs: TrustedLog[];
  publicKeys: TrustedPublicKey[];
}

export function isWithin(window: ValidityWindow, date: Date): boolean {
  const time = date.getTime();
  return window.start.getTime() <= time && (window.end === undefined || time <= window.end.getTime());
}
