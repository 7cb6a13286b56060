import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import { isWithin, type TrustedPublicKey } from '../trust/trust.types.js';
import { fail } from './errors.js';

/** What the registry signed for one version: `dist.signatures` over `${name}@${version}:${integrity}`. */
export interface RegistrySignedVersion {
  name: string;
  version: string;
  /** The integrity being checked: the lockfile's, so a packument that disagrees fails here. */
  integrity: string | undefined;
  signatures: ReadonlyArray<{ keyid: string; sig: string }>;
  /** `time[version]` from the packument; undefined when the registry gave none. */
  publishedAt?: Date;
}

const SIGNATURE_USAGE = 'npm:signatures';

/**
 * Checks npm registry ECDSA signatures as npm and pacote do: every signature must verify with a
 * trusted `npm:signatures` key of the same keyid that was valid when the version was published.
 * Without a publish time, only a key with no end date is accepted (fail closed).
 */
export function verifyRegistrySignature(version: RegistrySignedVersion, keys: readonly TrustedPublicKey[]): { keyID: string } {
  const id = `${version.name}@${version.version}`;
  if (version.signatures.length === 0) fail('REGISTRY_SIGNATURE_ERROR', `${id}: no registry signature`);
  if (!version.integrity) fail('REGISTRY_SIGNATURE_ERROR', `${id}: no integrity to check the registry signature against`);
  const message = Buffer.from(`${id}:${version.integrity}`, 'utf8');
  for (const signature of version.signatures) {
    const candidates = keysFor(id, signature.keyid, keys);
    const current = candidates.filter((key) => validAtPublish(key, version.publishedAt));
    if (current.length === 0) fail('REGISTRY_SIGNATURE_ERROR', `${id}: ${whyNotValid(signature.keyid, candidates, version.publishedAt)}`);
    if (!current.some((key) => isP256(key.publicKey))) fail('REGISTRY_SIGNATURE_ERROR', `${id}: registry key ${signature.keyid} is not an ECDSA P-256 key`);
    const signatureBytes = Buffer.from(signature.sig, 'base64');
    if (!current.some((key) => verifyP256(key.publicKey, message, signatureBytes))) {
      fail('REGISTRY_SIGNATURE_ERROR', `${id}: registry signature by ${signature.keyid} does not verify over "${id}:${version.integrity}"`);
    }
  }
  return { keyID: version.signatures[0]!.keyid };
}

/** The trusted signature keys with that keyid; an unknown keyid or a key for another use is an error. */
function keysFor(id: string, keyid: string, keys: readonly TrustedPublicKey[]): TrustedPublicKey[] {
  const sameID = keys.filter((key) => key.keyID === keyid);
  if (sameID.length === 0) fail('REGISTRY_SIGNATURE_ERROR', `${id}: registry signature keyid ${keyid} is not a trusted registry key`);
  const forSignatures = sameID.filter((key) => key.usage === SIGNATURE_USAGE);
  if (forSignatures.length === 0) {
    const usages = sameID.map((key) => key.usage ?? 'no usage').join(', ');
    fail('REGISTRY_SIGNATURE_ERROR', `${id}: registry key ${keyid} is trusted for ${usages}, not ${SIGNATURE_USAGE}`);
  }
  return forSignatures;
}

function validAtPublish(key: TrustedPublicKey, publishedAt: Date | undefined): boolean {
  if (publishedAt === undefined) return key.validFor.end === undefined;
  return isWithin(key.validFor, publishedAt);
}

function whyNotValid(keyid: string, candidates: TrustedPublicKey[], publishedAt: Date | undefined): string {
  const window = candidates[0]!.validFor;
  if (publishedAt === undefined) {
    return `the publish time is unknown and registry key ${keyid} is only valid until ${window.end?.toISOString()}`;
  }
  const published = publishedAt.toISOString();
  if (publishedAt < window.start) return `registry key ${keyid} is only valid from ${window.start.toISOString()}, after the version was published (${published})`;
  return `registry key ${keyid} expired ${window.end?.toISOString()}, before the version was published (${published})`;
}

/** Node builds a new details object on every read: asked once per key. */
const p256Keys = new WeakMap<KeyObject, boolean>();

function isP256(key: KeyObject): boolean {
  let p256 = p256Keys.get(key);
  if (p256 === undefined) p256Keys.set(key, (p256 = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'));
  return p256;
}

/** ECDSA P-256 with SHA-256, DER-encoded signature; anything malformed is simply "does not verify". */
function verifyP256(key: KeyObject, message: Buffer, signature: Buffer): boolean {
  if (!isP256(key)) return false;
  try {
    // A KeyObject alone: DER is the default signature encoding for EC keys.
    return nodeVerify('sha256', message, key, signature);
  } catch {
    return false;
  }
}
