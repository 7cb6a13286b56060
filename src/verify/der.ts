import type { ASN1Obj } from '@sigstore/core';

/**
 * The DER encoding of a parsed ASN.1 node: byte for byte what `node.toDER()` returns, written
 * into one buffer. The library's encoder allocates two 1 KiB buffers per node and copies each
 * subtree once per level, which was most of the CPU time of verifying a bundle.
 *
 * `omit` leaves one descendant out, as if it had been removed from its parent's `subs` (an
 * RFC 6962 precertificate is the certificate without its SCT extension). Like `toDER()`, a node
 * left with no children is written with its original content bytes.
 */
export function encodeDER(node: ASN1Obj, omit?: ASN1Obj): Buffer {
  // Content lengths in pre-order, so the write pass knows each length before its content.
  const contentLengths: number[] = [];
  const out = Buffer.allocUnsafe(measure(node, omit, contentLengths));
  const end = write(node, omit, contentLengths, { next: 0 }, out, 0);
  if (end !== out.length) throw new Error(`DER encoder wrote ${end} of ${out.length} bytes`);
  return out;
}

function children(node: ASN1Obj, omit: ASN1Obj | undefined): ASN1Obj[] {
  return omit !== undefined && node.subs.includes(omit) ? node.subs.filter((sub) => sub !== omit) : node.subs;
}

function measure(node: ASN1Obj, omit: ASN1Obj | undefined, contentLengths: number[]): number {
  const index = contentLengths.push(0) - 1;
  const subs = children(node, omit);
  let length = 0;
  if (subs.length > 0) for (const sub of subs) length += measure(sub, omit, contentLengths);
  else length = node.value.length;
  contentLengths[index] = length;
  return 1 + lengthOfLength(length) + length;
}

function write(node: ASN1Obj, omit: ASN1Obj | undefined, contentLengths: number[], cursor: { next: number }, out: Buffer, offset: number): number {
  const length = contentLengths[cursor.next++]!;
  out[offset++] = node.tag.toDER();
  offset = writeLength(length, out, offset);
  const subs = children(node, omit);
  if (subs.length > 0) {
    for (const sub of subs) offset = write(sub, omit, contentLengths, cursor, out, offset);
  } else {
    out.set(node.value, offset);
    offset += node.value.length;
  }
  return offset;
}

function lengthOfLength(length: number): number {
  if (length < 0x80) return 1;
  let bytes = 0;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes++;
  return 1 + bytes;
}

/** Short form below 128, else the minimal big-endian long form (as the library's encodeLength). */
function writeLength(length: number, out: Buffer, offset: number): number {
  const size = lengthOfLength(length);
  if (size === 1) {
    out[offset] = length;
    return offset + 1;
  }
  out[offset] = 0x80 | (size - 1);
  for (let i = size - 1, rest = length; i >= 1; i--, rest = Math.floor(rest / 256)) out[offset + i] = rest % 256;
  return offset + size;
}

/**
 * Runs a @sigstore/core parser. It tries every OCTET STRING as nested DER and throws and catches
 * an error for each that is not (a certificate has several); capturing their stack traces was
 * as costly as the rest of the parse. Errors that escape carry their message, as before.
 */
export function parseWithoutStackTraces<T>(parse: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return parse();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
