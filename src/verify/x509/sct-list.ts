import { DERError, readDER, TAG } from './der-reader.js';

/** One RFC 6962 §3.2 SignedCertificateTimestamp, its fields as the log wrote them. */
export interface SignedCertificateTimestamp {
  version: number;
  logID: Buffer;
  /** Milliseconds since the epoch, as 8 big-endian bytes. */
  timestamp: Buffer;
  extensions: Buffer;
  hashAlgorithm: number;
  signatureAlgorithm: number;
  signature: Buffer;
}

/**
 * The SCTs of an SCT list extension's value (an OCTET STRING holding a TLS-encoded list). Every
 * length must be consistent and no byte left over. Throws DERError.
 */
export function readSCTList(extensionValue: Buffer): SignedCertificateTimestamp[] {
  const list = readDER(extensionValue);
  if (list.tag !== TAG.OCTET_STRING) throw new DERError('unexpected-structure', 'SCT list extension does not hold an OCTET STRING');
  const reader = new TLSReader(list.content);
  const listLength = reader.uint16();
  if (listLength !== reader.remaining) throw new DERError('unexpected-structure', `SCT list claims ${listLength} bytes, holds ${reader.remaining}`);
  const scts: SignedCertificateTimestamp[] = [];
  while (reader.remaining > 0) scts.push(readSCT(new TLSReader(reader.bytes(reader.uint16()))));
  return scts;
}

function readSCT(reader: TLSReader): SignedCertificateTimestamp {
  const sct = {
    version: reader.uint8(),
    logID: reader.bytes(32),
    timestamp: reader.bytes(8),
    extensions: reader.bytes(reader.uint16()),
    hashAlgorithm: reader.uint8(),
    signatureAlgorithm: reader.uint8(),
    signature: reader.bytes(reader.uint16()),
  };
  if (reader.remaining !== 0) throw new DERError('unexpected-structure', `SCT has ${reader.remaining} bytes after its signature`);
  return sct;
}

class TLSReader {
  #offset = 0;
  constructor(readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.#offset;
  }

  bytes(length: number): Buffer {
    if (length > this.remaining) throw new DERError('truncated', 'SCT list is truncated');
    this.#offset += length;
    return this.data.subarray(this.#offset - length, this.#offset);
  }

  uint8(): number {
    return this.bytes(1)[0]!;
  }

  uint16(): number {
    return this.bytes(2).readUInt16BE(0);
  }
}
