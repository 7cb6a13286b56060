import type { X509Certificate } from '@sigstore/core';
import type { TransparencyLogEntry } from '@sigstore/bundle';

export type BundleVersion = '0.1' | '0.2' | '0.3';
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface MessageSignatureContent {
  kind: 'message';
  signature: Buffer;
  digestAlgorithm: DigestAlgorithm;
  digest: Buffer;
}

export interface DsseContent {
  kind: 'dsse';
  payloadType: string;
  payload: Buffer;
  signature: Buffer;
}

export type SignedContent = MessageSignatureContent | DsseContent;

export type SigningMaterial =
  | { kind: 'certificate'; leaf: X509Certificate; chain: X509Certificate[] }
  | { kind: 'publicKey'; hint: string };

/** A bundle that parsed and passed structural checks; nothing in it is trusted yet. */
export interface ParsedBundle {
  version: BundleVersion;
  mediaType: string;
  content: SignedContent;
  material: SigningMaterial;
  tlogEntries: TransparencyLogEntry[];
  rfc3161Timestamps: Buffer[];
}
