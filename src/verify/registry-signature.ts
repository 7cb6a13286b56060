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
  const plan = planRegistrySignatureCheck(version, keys);
  for (const check of plan.checks) if (!check.keys.some((key) => verifyP256(key, plan.message, check.signature))) failCheck(plan, check);
  return { keyID: plan.keyID };
}

/**
 * The same check, with the ECDSA verifies done on libuv's thread pool instead of the calling
 * thread: an audit of thousands of packages keeps its main thread for I/O and parsing.
 */
export async function verifyRegistrySignatureInBackground(version: RegistrySignedVersion, keys: readonly TrustedPublicKey[]): Promise<{ keyID: string }> {
  const plan = planRegistrySignatureCheck(version, keys);
  for (const check of plan.checks) {
    const verdicts = await Promise.all(check.keys.map((key) => verifyP256InBackground(key, plan.message, check.signature)));
    if (!verdicts.includes(true)) failCheck(plan, check);
  }
  return { keyID: plan.keyID };
}

/** What remains to check once keys, usage and validity are settled: one ECDSA verify per signature. */
interface RegistrySignaturePlan {
  id: string;
  message: Buffer;
  integrity: string;
  keyID: string;
  checks: Array<{ keyid: string; signature: Buffer; keys: KeyObject[] }>;
}

function planRegistrySignatureCheck(version: RegistrySignedVersion, keys: readonly TrustedPublicKey[]): RegistrySignaturePlan {
  const id = `${version.name}@${version.version}`;
  if (version.signatures.length === 0) fail('REGISTRY_SIGNATURE_ERROR', `${id}: no registry signature`);
  if (!version.integrity) fail('REGISTRY_SIGNATURE_ERROR', `${id}: no integrity to check the registry signature against`);
  const checks = version.signatures.map((signature) => {
    const candidates = keysFor(id, signature.keyid, keys);
    const current = candidates.filter((key) => validAtPublish(key, version.publishedAt));
    if (current.length === 0) fail('REGISTRY_SIGNATURE_ERROR', `${id}: ${whyNotValid(signature.keyid, candidates, version.publishedAt)}`);
    const p256 = current.map((key) => key.publicKey).filter(isP256);
    if (p256.length === 0) fail('REGISTRY_SIGNATURE_ERROR', `${id}: registry key ${signature.keyid} is not an ECDSA P-256 key`);
    return { keyid: signature.keyid, signature: Buffer.from(signature.sig, 'base64'), keys: p256 };
  });
  return { id, message: Buffer.from(`${id}:${version.integrity}`, 'utf8'), integrity: version.integrity, keyID: version.signatures[0]!.keyid, checks };
}

function failCheck(plan: RegistrySignaturePlan, check: RegistrySignaturePlan['checks'][number]): never {
  fail('REGISTRY_SIGNATURE_ERROR', `${plan.id}: registry signature by ${check.keyid} does not verify over "${plan.id}:${plan.integrity}"`);
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

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** ECDSA P-256 with SHA-256, DER-encoded signature; anything malformed is simply "does not verify". */
function verifyP256(key: KeyObject, message: Buffer, signature: Buffer): boolean {
  if (!isP256(key)) return false;
  try {
    return nodeVerify('sha256', message, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

function verifyP256InBackground(key: KeyObject, message: Buffer, signature: Buffer): Promise<boolean> {
  if (!isP256(key)) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      nodeVerify('sha256', message, { key, dsaEncoding: 'der' }, signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}
