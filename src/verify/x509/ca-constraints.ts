import { childrenOf, DERError, expectTag, readDER, TAG } from './der-reader.js';
import { bitStringBit, decodeBoolean, decodeInteger } from './der-values.js';
import { findExtension, type Certificate } from './certificate.js';

const BASIC_CONSTRAINTS_OID = '2.5.29.19';
const KEY_USAGE_OID = '2.5.29.15';
const KEY_CERT_SIGN_BIT = 5;

export interface CAConstraints {
  /** basicConstraints cA, and keyCertSign when the certificate has a keyUsage extension. */
  isCA: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  pathLength?: bigint;
}

/**
 * What a certificate may do as an issuer (RFC 5280 §4.2.1.3, §4.2.1.9). Throws DERError when
 * either extension is malformed.
 */
export function caConstraints(certificate: Certificate): CAConstraints {
  const basicConstraints = findExtension(certificate, BASIC_CONSTRAINTS_OID);
  if (!basicConstraints) return { isCA: false };
  const keyUsage = findExtension(certificate, KEY_USAGE_OID);
  const [cA, pathLength, ...extra] = childrenOf(expectTag(readDER(basicConstraints.value), TAG.SEQUENCE, 'basicConstraints'));
  // A pathLenConstraint without cA bounds nothing; @sigstore/core also refuses it.
  if (extra.length > 0 || (cA && cA.tag !== TAG.BOOLEAN)) throw new DERError('unexpected-structure', 'basicConstraints is malformed');
  const isCA = cA ? decodeBoolean(cA) : false;
  return {
    isCA: isCA && (keyUsage ? bitStringBit(readDER(keyUsage.value), KEY_CERT_SIGN_BIT) : true),
    ...(pathLength ? { pathLength: decodeInteger(expectTag(pathLength, TAG.INTEGER, 'pathLenConstraint')) } : {}),
  };
}
