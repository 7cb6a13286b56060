import { DERError, TAG, type DERElement } from './der-reader.js';

/** Dotted OIDs by their encoding: a certificate repeats the same few dozen. */
const decodedOIDs = new Map<string, string>();
const MAX_DECODED_OIDS = 1024;

/** The dotted form of an OBJECT IDENTIFIER, each arc in its shortest encoding. */
export function decodeOID(element: DERElement): string {
  if (element.tag !== TAG.OID) throw new DERError('unexpected-structure', `expected an OBJECT IDENTIFIER, found tag 0x${element.tag.toString(16)}`);
  const encoding = element.der.toString('latin1', element.contentStart, element.end);
  let dotted = decodedOIDs.get(encoding);
  if (dotted === undefined) {
    dotted = dottedOID(element.der, element.contentStart, element.end);
    if (decodedOIDs.size >= MAX_DECODED_OIDS) decodedOIDs.clear();
    decodedOIDs.set(encoding, dotted);
  }
  return dotted;
}

function dottedOID(der: Buffer, start: number, end: number): string {
  let dotted = '';
  let arc = 0;
  for (let i = start; i < end; i++) {
    const byte = der[i]!;
    if (arc === 0 && byte === 0x80) throw new DERError('unexpected-structure', 'OBJECT IDENTIFIER arc is not in its shortest form');
    // Arcs below 2^31 only: what @sigstore/core's 32-bit arithmetic reads correctly.
    if (arc >= 2 ** 24) throw new DERError('unexpected-structure', 'OBJECT IDENTIFIER arc is too large');
    arc = arc * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    // The first subidentifier holds the first two arcs (X.690 §8.19.4). @sigstore/core (so
    // sigstore-js) reads one above 2.39 as 3.x: such an OID means different things to different verifiers.
    if (dotted === '' && arc >= 120) throw new DERError('unexpected-structure', 'OBJECT IDENTIFIER under 2.40 or above is not read alike by every verifier');
    dotted += dotted === '' ? (arc < 40 ? `0.${arc}` : arc < 80 ? `1.${arc - 40}` : `2.${arc - 80}`) : `.${arc}`;
    arc = 0;
  }
  if (dotted === '' || der[end - 1]! & 0x80) throw new DERError('unexpected-structure', 'OBJECT IDENTIFIER is empty or truncated');
  return dotted;
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/;

/**
 * A UTCTime or GeneralizedTime, read as @sigstore/core reads it (a two-digit year below 50 is
 * 20xx, a fraction of a second is dropped). An impossible date (month 13) is an invalid Date,
 * which no validity check accepts.
 */
export function decodeTime(element: DERElement): Date {
  const utc = element.tag === TAG.UTC_TIME;
  if (!utc && element.tag !== TAG.GENERALIZED_TIME) throw new DERError('unexpected-structure', `expected a time, found tag 0x${element.tag.toString(16)}`);
  const match = (utc ? UTC_TIME : GENERALIZED_TIME).exec(element.der.toString('latin1', element.contentStart, element.end));
  if (!match) throw new DERError('unexpected-structure', 'invalid time');
  const [, year, month, day, hour, minute, second] = match as unknown as [string, string, string, string, string, string, string];
  const fullYear = utc ? (Number(year) >= 50 ? 1900 : 2000) + Number(year) : year;
  return new Date(`${fullYear}-${month}-${day}T${hour}:${minute}:${second}Z`);
}

export function decodeBoolean(element: DERElement): boolean {
  const content = element.content;
  if (element.tag !== TAG.BOOLEAN || content.length !== 1 || (content[0] !== 0x00 && content[0] !== 0xff)) {
    throw new DERError('unexpected-structure', 'expected a DER BOOLEAN');
  }
  return content[0] === 0xff;
}

/** A two's-complement INTEGER. */
export function decodeInteger(element: DERElement): bigint {
  const content = element.content;
  if (element.tag !== TAG.INTEGER || content.length === 0) throw new DERError('unexpected-structure', 'expected an INTEGER');
  const unsigned = BigInt(`0x${content.toString('hex')}`);
  return content[0]! & 0x80 ? unsigned - (1n << BigInt(content.length * 8)) : unsigned;
}

/** Bit `index` (0 = the most significant bit of the first byte) of a BIT STRING; false past its end. */
export function bitStringBit(element: DERElement, index: number): boolean {
  const content = element.content;
  const unusedBits = content[0];
  if (element.tag !== TAG.BIT_STRING || unusedBits === undefined || unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) {
    throw new DERError('unexpected-structure', 'expected a BIT STRING');
  }
  const bitCount = (content.length - 1) * 8 - unusedBits;
  if (index >= bitCount) return false;
  return ((content[1 + (index >> 3)]! >> (7 - (index & 7))) & 1) === 1;
}
