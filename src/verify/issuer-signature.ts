import { verify as nodeVerify } from 'node:crypto';
import type { Certificate } from './x509/certificate.js';
import { BytesMemo } from './memo.js';
import { trustedKey } from './public-key.js';

const verifiedSignatures = new BytesMemo<boolean>();

/**
 * Whether the trusted `issuer`'s key signed `certificate`'s TBS, false where verifying throws or
 * the certificate names a signature algorithm pkgseal does not know.
 * With `memoize`, the answer is kept for the exact certificate and issuer key; for the trusted
 * root's own certificates (intermediate by root), which recur in every chain. A bundle's own
 * certificate is verified every time.
 */
export function isSignedBy(certificate: Certificate, issuer: Certificate, memoize: boolean): boolean {
  if (!memoize) return verifySignature(certificate, issuer.subjectPublicKeyInfo);
  // The certificate's DER holds its TBS, signature algorithm and signature: all the answer depends on.
  return verifiedSignatures.get(certificate, [certificate.der, issuer.subjectPublicKeyInfo], () => verifySignature(certificate, issuer.subjectPublicKeyInfo));
}

function verifySignature(certificate: Certificate, issuerSPKI: Buffer): boolean {
  // Without an algorithm Node picks the key's default digest: a label we do not know must not verify.
  if (certificate.signatureAlgorithm === undefined) return false;
  try {
    return nodeVerify(certificate.signatureAlgorithm, certificate.tbsCertificate.bytes, trustedKey(issuerSPKI), certificate.signatureValue);
  } catch {
    return false;
  }
}
