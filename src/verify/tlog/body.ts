import { hash } from 'node:crypto';
import { dsse } from '@sigstore/core';
import type { TransparencyLogEntry } from '../bundle.types.js';
import { isObject, type JsonObject } from '../../trust/json-fields.js';
import { fail } from '../errors.js';
import type { SignedContent, SigningMaterial } from '../bundle.types.js';

/** What the bundle claims was logged: the content and who signed it. */
export interface LoggedClaim {
  content: SignedContent;
  material: SigningMaterial;
  /** DER of the signing certificate, or SPKI DER of the managed key when known. */
  signerDER?: Buffer;
}

type BodyCheck = (spec: JsonObject, claim: LoggedClaim) => void;

const BODY_CHECKS: Readonly<Record<string, BodyCheck>> = {
  'hashedrekord/0.0.1': checkHashedRekordV001,
  'hashedrekord/0.0.2': (spec, claim) => checkHashedRekordV002(field(spec, 'hashedRekordV002'), claim),
  'dsse/0.0.1': checkDsseV001,
  'dsse/0.0.2': (spec, claim) => checkDsseV002(field(spec, 'dsseV002'), claim),
  'intoto/0.0.2': checkIntotoV002,
};

/** Checks that the log entry's body records exactly this signature, digest and signer. */
export function verifyTLogBody(entry: TransparencyLogEntry, claim: LoggedClaim): void {
  const { kind, version } = entry.kindVersion ?? { kind: '', version: '' };
  let body: unknown;
  try {
    body = JSON.parse(entry.canonicalizedBody.toString('utf8'));
  } catch {
    fail('TLOG_BODY_ERROR', 'tlog entry body is not JSON');
  }
  if (!isObject(body) || body.kind !== kind || body.apiVersion !== version) {
    fail('TLOG_BODY_ERROR', `tlog entry body does not match its kind/version ${kind}/${version}`);
  }
  const check = BODY_CHECKS[`${kind}/${version}`];
  if (!check) fail('TLOG_BODY_ERROR', `unsupported tlog entry kind ${kind}/${version}`);
  check(field(body, 'spec'), claim);
}

function checkHashedRekordV001(spec: JsonObject, claim: LoggedClaim): void {
  if (claim.content.kind !== 'message') fail('TLOG_BODY_ERROR', 'hashedrekord 0.0.1 entry cannot log a DSSE envelope');
  const signature = field(spec, 'signature');
  expectEqual(decode(signature.content), claim.content.signature, 'signature mismatch');
  const loggedHash = field(field(spec, 'data'), 'hash');
  if (loggedHash.algorithm !== claim.content.digestAlgorithm) fail('TLOG_BODY_ERROR', 'digest algorithm mismatch');
  expectEqual(Buffer.from(String(loggedHash.value), 'hex'), claim.content.digest, 'digest mismatch');
  expectSigner(pemOrDer(field(signature, 'publicKey').content), claim);
}

function checkHashedRekordV002(spec: JsonObject, claim: LoggedClaim): void {
  const signature = field(spec, 'signature');
  expectEqual(decode(signature.content), claim.content.signature, 'signature mismatch');
  // Rekor v2 logs a DSSE envelope as a hashedrekord over the envelope's pre-authentication encoding.
  const expectedDigest =
    claim.content.kind === 'message'
      ? claim.content.digest
      : hash('sha256', dsse.preAuthEncoding(claim.content.payloadType, claim.content.payload), 'buffer');
  expectEqual(decode(field(spec, 'data').digest), expectedDigest, 'digest mismatch');
  expectSigner(verifierDER(field(signature, 'verifier')), claim);
}

function checkDsseV001(spec: JsonObject, claim: LoggedClaim): void {
  const content = dsseClaim(claim);
  const logged = onlySignature(spec);
  expectEqual(decode(logged.signature), content.signature, 'tlog entry signature mismatch');
  expectPayloadHash(field(spec, 'payloadHash'), content.payload);
  expectSigner(pemOrDer(logged.verifier), claim);
}

function checkDsseV002(spec: JsonObject, claim: LoggedClaim): void {
  const content = dsseClaim(claim);
  const logged = onlySignature(spec);
  expectEqual(decode(logged.content), content.signature, 'tlog entry signature mismatch');
  const payloadHash = field(spec, 'payloadHash');
  expectEqual(decode(payloadHash.digest), hash('sha256', content.payload, 'buffer'), 'DSSE payload hash mismatch');
  expectSigner(verifierDER(field(logged, 'verifier')), claim);
}

function checkIntotoV002(spec: JsonObject, claim: LoggedClaim): void {
  const content = dsseClaim(claim);
  const envelope = field(field(spec, 'content'), 'envelope');
  const logged = onlySignature(envelope);
  // intoto 0.0.2 stores the signature base64-encoded twice.
  expectEqual(Buffer.from(decode(logged.sig).toString('utf8'), 'base64'), content.signature, 'tlog entry signature mismatch');
  if (envelope.payloadType !== undefined && envelope.payloadType !== content.payloadType) {
    fail('TLOG_BODY_ERROR', 'DSSE payload type mismatch');
  }
  expectPayloadHash(field(field(spec, 'content'), 'payloadHash'), content.payload);
  if (logged.publicKey !== undefined) expectSigner(pemOrDer(decode(logged.publicKey).toString('utf8')), claim);
}

function dsseClaim(claim: LoggedClaim) {
  if (claim.content.kind !== 'dsse') fail('TLOG_BODY_ERROR', 'tlog entry records a DSSE envelope but the bundle holds a message signature');
  return claim.content;
}

function expectPayloadHash(payloadHash: JsonObject, payload: Buffer): void {
  if (payloadHash.algorithm !== 'sha256') fail('TLOG_BODY_ERROR', 'unsupported DSSE payload hash algorithm');
  expectEqual(Buffer.from(String(payloadHash.value), 'hex'), hash('sha256', payload, 'buffer'), 'DSSE payload hash mismatch');
}

/** The signer the log recorded must be the signer the bundle presents; a signer it cannot read is none. */
function expectSigner(loggedDER: Buffer | undefined, claim: LoggedClaim): void {
  if (claim.signerDER === undefined) return;
  if (loggedDER === undefined) fail('TLOG_BODY_ERROR', 'tlog entry does not record the key or certificate that signed it');
  if (!loggedDER.equals(claim.signerDER)) fail('TLOG_BODY_ERROR', 'tlog entry was signed by a different key or certificate');
}

function verifierDER(verifier: JsonObject): Buffer | undefined {
  if (isObject(verifier.x509Certificate)) return decode(verifier.x509Certificate.rawBytes);
  if (isObject(verifier.publicKey)) return decode(verifier.publicKey.rawBytes);
  return undefined;
}

/** hashedrekord/dsse v1 store the signer as base64 of a PEM certificate or public key. */
function pemOrDer(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
  const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!match) return undefined;
  // Node's base64 decoder skips the line breaks.
  return Buffer.from(match[2] ?? '', 'base64');
}

function field(value: JsonObject, key: string): JsonObject {
  const child = value[key];
  if (!isObject(child)) fail('TLOG_BODY_ERROR', `tlog entry body lacks "${key}"`);
  return child;
}

/** DSSE entries must record exactly one signature, the bundle's. */
function onlySignature(holder: JsonObject): JsonObject {
  const signatures = Array.isArray(holder.signatures) ? holder.signatures : [];
  const [signature] = signatures;
  if (signatures.length !== 1 || !isObject(signature)) fail('TLOG_BODY_ERROR', 'tlog entry must record exactly one DSSE signature');
  return signature;
}

function decode(value: unknown): Buffer {
  if (typeof value !== 'string') fail('TLOG_BODY_ERROR', 'tlog entry body has a missing or non-text field');
  return Buffer.from(value, 'base64');
}

function expectEqual(actual: Buffer, expected: Buffer, reason: string): void {
  if (!actual.equals(expected)) fail('TLOG_BODY_ERROR', reason);
}
