/**
 * A strict DER reader that works on the original bytes: an element is where its header and
 * content lie in the input, so the signed parts of a certificate are `subarray`s of what was
 * signed, never a re-encoding of what a parser understood.
 */

export type DERProblem =
  | 'truncated'
  | 'indefinite-length'
  | 'non-minimal-length'
  | 'length-too-large'
  | 'trailing-bytes'
  | 'unsupported-tag'
  | 'too-deep'
  | 'unexpected-structure';

/** Input that is not DER, or not the DER structure that was expected. */
export class DERError extends Error {
  constructor(
    readonly problem: DERProblem,
    message: string,
  ) {
    super(message);
    this.name = 'DERError';
  }
}

/** One element (tag, length, content) inside `der`. */
export class DERElement {
  constructor(
    readonly der: Buffer,
    /** The identifier octet: class, constructed bit and a tag number below 31. */
    readonly tag: number,
    readonly start: number,
    readonly contentStart: number,
    readonly end: number,
  ) {}

  /** The whole element: header and content. */
  get bytes(): Buffer {
    return this.der.subarray(this.start, this.end);
  }

  get content(): Buffer {
    return this.der.subarray(this.contentStart, this.end);
  }

  get constructed(): boolean {
    return (this.tag & CONSTRUCTED) !== 0;
  }
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const satisfies Record<string, number>;

const CONSTRUCTED = 0x20;
const CLASS_MASK = 0xc0;
const HIGH_TAG_NUMBER = 0x1f;
/** Four length bytes reach 4 GiB; nothing pkgseal reads comes close. */
const MAX_LENGTH_BYTES = 4;
/** A certificate nests about ten levels; far deeper is an attack on the reader, not a certificate. */
const MAX_DEPTH = 64;

/**
 * Reads `der` as exactly one DER element and checks every element inside it: definite, minimal
 * lengths that stay within their parent, no bytes after the element. Throws DERError.
 */
export function readDER(der: Buffer): DERElement {
  const end = checkHeader(der, 0, der.length);
  if (end !== der.length) throw new DERError('trailing-bytes', `${der.length - end} bytes follow the DER element`);
  checkElements(der, 0, end, 0);
  return new DERElement(der, der[0]!, 0, contentStart(der, 0), end);
}

/** The elements a constructed element holds, in order. */
export function childrenOf(element: DERElement): DERElement[] {
  const { der, end } = element;
  const children: DERElement[] = [];
  for (let offset = element.contentStart; offset < end; ) {
    const childEnd = checkHeader(der, offset, end);
    children.push(new DERElement(der, der[offset]!, offset, contentStart(der, offset), childEnd));
    offset = childEnd;
  }
  return children;
}

/** `element` if it has `tag`; otherwise a DERError naming `what`. */
export function expectTag(element: DERElement | undefined, tag: number, what: string): DERElement {
  if (element === undefined) throw new DERError('unexpected-structure', `${what} is missing`);
  if (element.tag !== tag) throw new DERError('unexpected-structure', `${what} has tag 0x${element.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return element;
}

/** Checks the header of the element at `offset`, which must end by `limit`; returns where it ends. */
function checkHeader(der: Buffer, offset: number, limit: number): number {
  if (offset >= limit) throw new DERError('truncated', 'DER element is truncated (no tag)');
  const tag = der[offset]!;
  if ((tag & HIGH_TAG_NUMBER) === HIGH_TAG_NUMBER) throw new DERError('unsupported-tag', `multi-byte tag 0x${tag.toString(16)} at byte ${offset}`);
  if (isEndOfContents(tag)) throw new DERError('unsupported-tag', `tag 0 (end-of-contents) at byte ${offset}`);
  if (offset + 1 >= limit) throw new DERError('truncated', `DER element at byte ${offset} is truncated (no length)`);
  const first = der[offset + 1]!;
  let length = first;
  if (first & 0x80) {
    const lengthBytes = first & 0x7f;
    if (lengthBytes === 0) throw new DERError('indefinite-length', `indefinite length at byte ${offset}`);
    if (lengthBytes > MAX_LENGTH_BYTES) throw new DERError('length-too-large', `${lengthBytes}-byte length at byte ${offset}`);
    if (offset + 2 + lengthBytes > limit) throw new DERError('truncated', `DER element at byte ${offset} is truncated (in its length)`);
    length = 0;
    for (let i = offset + 2; i < offset + 2 + lengthBytes; i++) length = length * 256 + der[i]!;
    if (der[offset + 2] === 0 || length < 0x80) throw new DERError('non-minimal-length', `length ${length} at byte ${offset} is not in its shortest form`);
  }
  const start = contentStart(der, offset);
  if (start + length > limit) throw new DERError('truncated', `DER element at byte ${offset} claims ${length} bytes, ${limit - start} remain`);
  return start + length;
}

/** Where the content of the element at `offset` starts; its header must have been checked. */
function contentStart(der: Buffer, offset: number): number {
  const first = der[offset + 1]!;
  return offset + 2 + (first & 0x80 ? first & 0x7f : 0);
}

/** Universal tag 0 only ends indefinite-length content, which DER does not have. */
function isEndOfContents(tag: number): boolean {
  return (tag & CLASS_MASK) === 0 && (tag & HIGH_TAG_NUMBER) === 0;
}

/** Checks the elements that fill der[start, end) exactly, and everything inside them. */
function checkElements(der: Buffer, start: number, end: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new DERError('too-deep', `DER nests deeper than ${MAX_DEPTH} levels`);
  for (let offset = start; offset < end; ) {
    const elementEnd = checkHeader(der, offset, end);
    const tag = der[offset]!;
    if (tag & CONSTRUCTED) checkElements(der, contentStart(der, offset), elementEnd, depth + 1);
    else if (tag === TAG.OCTET_STRING && heldDER(der, contentStart(der, offset), elementEnd, depth + 1) === 'ber') {
      throw new DERError('non-minimal-length', `the OCTET STRING at byte ${offset} holds DER with a length not in its shortest form`);
    }
    offset = elementEnd;
  }
}

/**
 * How an OCTET STRING's content reads as elements: not at all, as DER, or only with BER lengths.
 * @sigstore/core (so sigstore-js) reads any OCTET STRING whose content parses as elements (long
 * lengths allowed) as holding them, and re-encodes them to verify a signature; BER held there
 * would make it verify other bytes than the ones we verify, so such an encoding is refused.
 * The rules here are that parser's: up to six length bytes, no zero long-form length.
 */
function heldDER(der: Buffer, start: number, end: number, depth: number): 'none' | 'der' | 'ber' {
  if (depth > MAX_DEPTH) throw new DERError('too-deep', `DER nests deeper than ${MAX_DEPTH} levels`);
  let minimal = true;
  for (let offset = start; offset < end; ) {
    const tag = der[offset]!;
    if ((tag & HIGH_TAG_NUMBER) === HIGH_TAG_NUMBER || isEndOfContents(tag)) return 'none';
    if (offset + 1 >= end) return 'none';
    const first = der[offset + 1]!;
    let valueStart = offset + 2;
    let length = first;
    if (first & 0x80) {
      const lengthBytes = first & 0x7f;
      if (lengthBytes > 6 || valueStart + lengthBytes > end) return 'none';
      length = 0;
      for (let i = 0; i < lengthBytes; i++) length = length * 256 + der[valueStart + i]!;
      if (length === 0) return 'none';
      if (der[valueStart] === 0 || length < 0x80) minimal = false;
      valueStart += lengthBytes;
    }
    const elementEnd = valueStart + length;
    if (elementEnd > end) return 'none';
    if (tag & CONSTRUCTED) {
      const inner = heldDER(der, valueStart, elementEnd, depth + 1);
      if (inner === 'none' && elementEnd > valueStart) return 'none';
      if (inner === 'ber') minimal = false;
    } else if (tag === TAG.OCTET_STRING && heldDER(der, valueStart, elementEnd, depth + 1) === 'ber') {
      minimal = false;
    }
    offset = elementEnd;
  }
  return start === end ? 'none' : minimal ? 'der' : 'ber';
}
