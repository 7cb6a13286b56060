import { childrenOf, DERError, type DERElement } from './der-reader.js';
import type { Certificate, CertificateExtension } from './certificate.js';

/**
 * The RFC 6962 precertificate TBSCertificate that a CT log signed: the certificate's own TBS with
 * its SCT list extension taken out, the lengths around it rewritten. The rest is the signed bytes.
 */
export function precertificateTBS(certificate: Certificate, sctExtension: CertificateExtension): Buffer {
  const holder = certificate.extensionsElement;
  const list = holder ? childrenOf(holder)[0] : undefined;
  if (!holder || !list) throw new DERError('unexpected-structure', 'certificate has no extensions');
  // Without it no extension would be left: an empty list is not DER (SIZE (1..MAX)), and no CA issues this.
  if (certificate.extensions.length < 2) throw new DERError('unexpected-structure', 'the SCT list is the only extension');
  return withoutElement(certificate.der, [certificate.tbsCertificate, holder, list], sctExtension.element);
}

/** The DER of `ancestors[0]` without `removed`, a child of the last ancestor. */
function withoutElement(der: Buffer, ancestors: DERElement[], removed: DERElement): Buffer {
  // From the inside out: each ancestor's content shrinks by what its child lost, header included.
  const headers: Buffer[] = [];
  let shrink = removed.end - removed.start;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const ancestor = ancestors[i]!;
    headers[i] = header(ancestor.tag, ancestor.end - ancestor.contentStart - shrink);
    shrink += ancestor.contentStart - ancestor.start - headers[i]!.length;
  }
  const pieces: Buffer[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    pieces.push(headers[i]!, der.subarray(ancestors[i]!.contentStart, ancestors[i + 1]?.start ?? removed.start));
  }
  pieces.push(der.subarray(removed.end, ancestors[ancestors.length - 1]!.end));
  for (let i = ancestors.length - 2; i >= 0; i--) pieces.push(der.subarray(ancestors[i + 1]!.end, ancestors[i]!.end));
  return Buffer.concat(pieces);
}

/** A tag and a minimal length; a precertificate entry holds at most 16 MiB (RFC 6962 §3.2). */
function header(tag: number, contentLength: number): Buffer {
  if (contentLength >= 0x1000000) throw new DERError('length-too-large', 'TBSCertificate is too large for a precertificate entry');
  if (contentLength < 0x80) return Buffer.from([tag, contentLength]);
  if (contentLength < 0x100) return Buffer.from([tag, 0x81, contentLength]);
  if (contentLength < 0x10000) return Buffer.from([tag, 0x82, contentLength >> 8, contentLength & 0xff]);
  return Buffer.from([tag, 0x83, contentLength >> 16, (contentLength >> 8) & 0xff, contentLength & 0xff]);
}
