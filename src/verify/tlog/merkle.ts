import { hash } from 'node:crypto';
import { fail } from '../errors.js';

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

export interface InclusionProofInput {
  logIndex: bigint;
  treeSize: bigint;
  leaf: Buffer;
  hashes: Buffer[];
}

/** RFC 6962 / RFC 9162 §2.1.3.2: the root hash an inclusion proof commits to. */
export function computeInclusionRoot({ logIndex, treeSize, leaf, hashes }: InclusionProofInput): Buffer {
  if (logIndex < 0n || logIndex >= treeSize) fail('TLOG_INCLUSION_PROOF_ERROR', `log index ${logIndex} outside tree of size ${treeSize}`);
  const inner = bitLength(logIndex ^ (treeSize - 1n));
  const border = onesCount(logIndex >> BigInt(inner));
  if (hashes.length !== inner + border) {
    fail('TLOG_INCLUSION_PROOF_ERROR', `inclusion proof has ${hashes.length} hashes, expected ${inner + border}`);
  }
  let node = sha256(LEAF_PREFIX, leaf);
  hashes.forEach((sibling, i) => {
    if (sibling.length !== 32) fail('TLOG_INCLUSION_PROOF_ERROR', 'inclusion proof hash is not 32 bytes');
    const isRightChild = i < inner && ((logIndex >> BigInt(i)) & 1n) === 1n;
    node = i >= inner || isRightChild ? sha256(NODE_PREFIX, sibling, node) : sha256(NODE_PREFIX, node, sibling);
  });
  return node;
}

function sha256(...parts: Buffer[]): Buffer {
  return hash('sha256', Buffer.concat(parts), 'buffer');
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function onesCount(n: bigint): number {
  return [...n.toString(2)].filter((bit) => bit === '1').length;
}
