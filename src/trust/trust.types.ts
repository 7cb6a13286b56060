import type { KeyObject } from 'node:crypto';
import type { X509Certificate } from '@sigstore/core';

/** A closed interval; `end` undefined means open-ended. */
export interface ValidityWindow {
  start: Date;
  end?: Date;
}

/** A transparency log or CT log whose signatures we accept. */
export interface TrustedLog {
  /** SHA-256 of the log's DER public key (the log ID). */
  logID: Buffer;
  /** Key ID used in signed-note checkpoints (Rekor v2 may differ from logID). */
  checkpointKeyID: Buffer;
  baseURL: string;
  publicKey: KeyObject;
  validFor: ValidityWindow;
}

/** A Fulcio CA or an RFC 3161 timestamp authority: a chain, leaf first, root last. */
export interface TrustedCertificateAuthority {
  uri: string;
  certChain: X509Certificate[];
  validFor: ValidityWindow;
}

/** A managed public key (npm registry keys, `--key`). */
export interface TrustedPublicKey {
  keyID: string;
  publicKey: KeyObject;
  validFor: ValidityWindow;
  /** e.g. `npm:signatures`, `npm:attestations`; undefined for a user-supplied key. */
  usage?: string;
}

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
