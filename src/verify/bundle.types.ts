import type { Certificate } from './x509/certificate.js';

export type BundleVersion = '0.1' | '0.2' | '0.3';
/**
 * The digest algorithms a bundle or an artifact may use.
 * @example
 * ```ts
 * import type { Artifact, DigestAlgorithm } from 'pkgseal';
 *
 * const algorithm: DigestAlgorithm = 'sha512';
 * const artifact: Artifact = { kind: 'digest', algorithm, digest: Buffer.alloc(64) };
 * ```
 */
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

/** A transparency-log entry as the bundle carries it; nothing in it is verified yet. */
export interface TransparencyLogEntry {
  logIndex: string;
  logId?: { keyId: Buffer };
  kindVersion?: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: Buffer };
  inclusionProof?: InclusionProof;
  canonicalizedBody: Buffer;
}

export interface InclusionProof {
  logIndex: string;
  rootHash: Buffer;
  treeSize: string;
  hashes: Buffer[];
  checkpoint?: { envelope: string };
}

export type SigningMaterial =
  | { kind: 'certificate'; leaf: Certificate; chain: Certificate[] }
  | { kind: 'publicKey'; hint: string };

/**
 * A bundle that parsed and passed structural checks; nothing in it is trusted yet.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { parseBundle, type ParsedBundle } from 'pkgseal';
 *
 * const bundle: ParsedBundle = parseBundle(JSON.parse(readFileSync('a.txt.sigstore.json', 'utf8')));
 * const signedBy = bundle.material.kind === 'certificate' ? 'a certificate' : `the key hinted ${bundle.material.hint}`;
 * ```
 */
export interface ParsedBundle {
  version: BundleVersion;
  mediaType: string;
  content: SignedContent;
  material: SigningMaterial;
  tlogEntries: TransparencyLogEntry[];
  rfc3161Timestamps: Buffer[];
}
