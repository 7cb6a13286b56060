/**
 * Real evidence for the hardening suites, and the means to tamper with it:
 *
 * - `realEvidenceCases()`: every passing real bundle we have (sigstore-conformance happy paths,
 *   real npm attestations documents, the demo's locally made bundles), each with the exact
 *   verification call that passes for it.
 * - `signedParts()`: what in a bundle is signed or checked against a signature (DSSE payload and
 *   signature, message digest and signature, the signing certificate, log entry bodies, inclusion
 *   proofs and signed checkpoints, SETs with the time and index they cover, RFC 3161 timestamps'
 *   signed content), decoded, by path. A mutation that changes any of these must fail
 *   verification; one that only changes what nobody signed (whitespace, a DSSE keyid, a
 *   certificate a timestamp carries, a witness cosignature) may pass.
 * - `signPayload()`: a DSSE bundle over exact payload bytes from a local Sigstore stack, for
 *   signed content JSON.stringify cannot produce (duplicate keys, deep nesting).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleToJSON } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import { DSSEBundleBuilder, FulcioSigner, RekorWitness } from '@sigstore/sign';
import type { ExpectedIdentity } from '../../src/policy/identity.js';
import { publicGoodTrustMaterial } from '../../src/trust/public-good.js';
import { trustMaterialFromTrustedRoot } from '../../src/trust/trusted-root.js';
import type { TrustMaterial } from '../../src/trust/trust.types.js';
import type { Artifact, NpmPackageVersion } from '../../src/verify/artifact.js';
import { verifyArtifact } from '../../src/verify/verify-artifact.js';
import type { LocalSigstore } from './local-sigstore.js';
import { DEMO, DEMO_PACKAGES } from './hostile-project.js';
import { provenanceCases, readRealdataJson, REALDATA, realdataSkip } from './realdata.js';

export interface RealEvidenceCase {
  id: string;
  /** The evidence file's text, as found. */
  text: string;
  /** Verifies a (possibly mutated) document exactly as the original passes. */
  verify(document: unknown): void;
}

interface ConformanceCase {
  id: string;
  expected: 'pass' | 'fail';
  bundle: string;
  artifact: string;
  trusted_root: string;
  verification: { type: 'keyless'; certificate_identity: string; certificate_oidc_issuer: string } | { type: 'key'; public_key_pem: string | null };
}

const exact = (value: string) => ({ kind: 'exact' as const, value });

function verifier(trust: TrustMaterial, request: { artifact?: Artifact; npmPackage?: NpmPackageVersion; expectedIdentity?: ExpectedIdentity; publicKey?: KeyObject }) {
  return (evidence: unknown) => void verifyArtifact({ evidence, trust, ...request });
}

/** Passing real evidence: conformance happy paths, real npm attestations, the demo bundles. */
export function realEvidenceCases(): RealEvidenceCase[] {
  const cases: RealEvidenceCase[] = [];
  const demoTrust = trustMaterialFromTrustedRoot(JSON.parse(readFileSync(join(DEMO, 'trusted_root.json'), 'utf8')));
  for (const pkg of DEMO_PACKAGES) {
    const sha512 = Buffer.from(pkg.integrity.slice('sha512-'.length), 'base64');
    cases.push({
      id: `demo ${pkg.name}`,
      text: readFileSync(pkg.bundleFile, 'utf8'),
      verify: verifier(demoTrust, { npmPackage: { name: pkg.name, version: pkg.version, sha512 }, expectedIdentity: { issuer: exact(pkg.identity.issuer), repository: pkg.identity.repository } }),
    });
  }
  if (realdataSkip) return cases;
  const folder = join(REALDATA, 'conformance');
  const publicGoodRoot = readRealdataJson<unknown>('trust/public-good.trusted_root.json');
  for (const testCase of readRealdataJson<{ cases: ConformanceCase[] }>('conformance/cases.json').cases.filter((candidate) => candidate.expected === 'pass')) {
    const root = testCase.trusted_root === 'public-good' ? publicGoodRoot : JSON.parse(readFileSync(join(folder, testCase.trusted_root), 'utf8'));
    const { verification } = testCase;
    const artifact: Artifact = { kind: 'bytes', data: readFileSync(join(folder, testCase.artifact)) };
    cases.push({
      id: `conformance ${testCase.id}`,
      text: readFileSync(join(folder, testCase.bundle), 'utf8'),
      verify: verifier(
        trustMaterialFromTrustedRoot(root),
        verification.type === 'key'
          ? { artifact, publicKey: createPublicKey(readFileSync(join(folder, verification.public_key_pem!))) }
          : { artifact, expectedIdentity: { subject: exact(verification.certificate_identity), issuer: exact(verification.certificate_oidc_issuer) } },
      ),
    });
  }
  const npmTrust = publicGoodTrustMaterial();
  for (const testCase of provenanceCases().filter((candidate) => candidate.expected === 'pass')) {
    const sha512 = Buffer.from(testCase.integrity.slice('sha512-'.length), 'base64');
    cases.push({
      id: `npm ${testCase.id}`,
      text: readFileSync(join(REALDATA, 'npm-provenance', testCase.file), 'utf8'),
      verify: verifier(npmTrust, {
        npmPackage: { ...testCase.package, sha512 },
        expectedIdentity: { subject: exact(testCase.expected_provenance_signer.san), issuer: exact(testCase.expected_provenance_signer.issuer) },
      }),
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------
// What is signed

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const at = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Bytes as a verifier that decodes strictly must read them; `!invalid` otherwise. */
function bytes(value: unknown): string {
  if (typeof value !== 'string') return `!${typeof value}`;
  const text = value.replace(/\r?\n/g, '');
  if (BASE64.test(text)) return Buffer.from(text, 'base64').toString('hex');
  if (BASE64URL.test(text)) return Buffer.from(text, 'base64url').toString('hex');
  return '!invalid';
}

/**
 * The signed (or signature-checked) parts of an evidence document, by path, decoded. Absent parts
 * are absent: removing redundant evidence is not forging it.
 */
export function signedParts(document: unknown): Map<string, string> {
  const parts = new Map<string, string>();
  const put = (path: string, value: unknown) => {
    if (value !== undefined) parts.set(path, typeof value === 'string' ? value : JSON.stringify(value));
  };
  const attestations = at(document, 'attestations');
  if (attestations !== undefined) {
    list(attestations).forEach((attestation, i) => {
      put(`attestations[${i}].predicateType`, at(attestation, 'predicateType'));
      bundleParts(at(attestation, 'bundle'), `attestations[${i}].bundle`, put);
    });
  } else {
    bundleParts(document, 'bundle', put);
  }
  return parts;
}

function bundleParts(bundle: unknown, path: string, put: (path: string, value: unknown) => void): void {
  const envelope = at(bundle, 'dsseEnvelope');
  if (envelope !== undefined) {
    put(`${path}.dsse.payloadType`, at(envelope, 'payloadType'));
    put(`${path}.dsse.payload`, bytes(at(envelope, 'payload')));
    list(at(envelope, 'signatures')).forEach((signature, i) => put(`${path}.dsse.signatures[${i}]`, bytes(at(signature, 'sig'))));
    put(`${path}.dsse.signatures.length`, list(at(envelope, 'signatures')).length);
  }
  const message = at(bundle, 'messageSignature');
  if (message !== undefined) {
    put(`${path}.message.algorithm`, at(at(message, 'messageDigest'), 'algorithm'));
    put(`${path}.message.digest`, bytes(at(at(message, 'messageDigest'), 'digest')));
    put(`${path}.message.signature`, bytes(at(message, 'signature')));
  }
  const material = at(bundle, 'verificationMaterial');
  put(`${path}.certificate`, at(material, 'certificate') === undefined ? undefined : bytes(at(at(material, 'certificate'), 'rawBytes')));
  const [leaf] = list(at(at(material, 'x509CertificateChain'), 'certificates'));
  put(`${path}.certificate`, leaf === undefined ? undefined : bytes(at(leaf, 'rawBytes')));
  list(at(material, 'tlogEntries')).forEach((entry, i) => {
    const entryPath = `${path}.tlog[${i}]`;
    put(`${entryPath}.logId`, bytes(at(at(entry, 'logId'), 'keyId')));
    put(`${entryPath}.kindVersion`, at(entry, 'kindVersion'));
    put(`${entryPath}.body`, bytes(at(entry, 'canonicalizedBody')));
    const promise = at(entry, 'inclusionPromise');
    if (promise !== undefined) {
      // The SET covers the body, the integrated time, the index and the log ID.
      put(`${entryPath}.set`, bytes(at(promise, 'signedEntryTimestamp')));
      put(`${entryPath}.integratedTime`, at(entry, 'integratedTime'));
      put(`${entryPath}.logIndex`, at(entry, 'logIndex'));
    }
    const proof = at(entry, 'inclusionProof');
    if (proof !== undefined) {
      put(`${entryPath}.proof.logIndex`, at(proof, 'logIndex'));
      put(`${entryPath}.proof.treeSize`, at(proof, 'treeSize'));
      put(`${entryPath}.proof.rootHash`, bytes(at(proof, 'rootHash')));
      put(`${entryPath}.proof.hashes`, list(at(proof, 'hashes')).map(bytes));
      put(`${entryPath}.proof.checkpoint`, checkpointParts(at(at(proof, 'checkpoint'), 'envelope')));
    }
  });
  list(at(at(material, 'timestampVerificationData'), 'rfc3161Timestamps')).forEach((timestamp, i) =>
    put(`${path}.rfc3161[${i}]`, timestampParts(bytes(at(timestamp, 'signedTimestamp')))),
  );
}

/** The note and the signatures by the log (named for the origin or its host); witness cosignatures are not the log's. */
function checkpointParts(envelope: unknown): string {
  if (typeof envelope !== 'string') return `!${typeof envelope}`;
  const separator = envelope.indexOf('\n\n');
  if (separator < 0) return `!${envelope}`;
  const note = envelope.slice(0, separator + 1);
  const origin = note.split('\n')[0] ?? '';
  const names = new Set([origin, origin.split(' ')[0]]);
  const logSignatures = envelope
    .slice(separator + 2)
    .split('\n')
    .filter((line) => names.has(/^\u2014 (\S+) /.exec(line)?.[1] ?? '\0'));
  return JSON.stringify({ note, logSignatures });
}

/** A checkpoint is forged when its note changed, or when none of the log's signatures survived intact. */
function checkpointChanged(before: string | undefined, after: string): boolean {
  if (before === undefined || before.startsWith('!') || after.startsWith('!')) return before !== after;
  const original = JSON.parse(before) as { note: string; logSignatures: string[] };
  const mutated = JSON.parse(after) as { note: string; logSignatures: string[] };
  return original.note !== mutated.note || !mutated.logSignatures.some((line) => original.logSignatures.includes(line));
}

/** What a timestamp authority signs (TSTInfo, signed attributes, signature, signer); not the certificates it carries. */
function timestampParts(hex: string): string {
  if (hex.startsWith('!')) return hex;
  try {
    const timestamp = RFC3161Timestamp.parse(Buffer.from(hex, 'hex') as Buffer<ArrayBuffer>);
    const signedAttributes = (timestamp as unknown as { signedAttrsObj: { toDER(): Buffer } }).signedAttrsObj.toDER();
    return JSON.stringify([
      timestamp.tstInfo.raw.toString('hex'),
      signedAttributes.toString('hex'),
      timestamp.signatureValue.toString('hex'),
      timestamp.signerSerialNumber.toString('hex'),
      timestamp.signerIssuer.toString('hex'),
    ]);
  } catch {
    return '!unparseable timestamp';
  }
}

/** Paths whose signed value differs between the two documents (present in the mutated one). */
export function changedSignedParts(original: unknown, mutated: unknown): string[] {
  const before = signedParts(original);
  const after = signedParts(mutated);
  return [...after]
    .filter(([path, value]) => (path.endsWith('.proof.checkpoint') ? checkpointChanged(before.get(path), value) : before.get(path) !== value))
    .map(([path]) => path);
}

// ---------------------------------------------------------------------------
// Signing exact bytes

/** A DSSE bundle (v0.3 JSON) over exactly `payload`, signed through the local Sigstore stack. */
export async function signPayload(ls: LocalSigstore, payload: string, claims: Record<string, unknown>, payloadType = 'application/vnd.in-toto+json'): Promise<Json> {
  const token = await ls.mintToken(claims);
  const fetchOptions = { retry: 0, timeout: 10_000 };
  const signer = new FulcioSigner({ fulcioBaseURL: ls.fulcioURL, identityProvider: { getToken: () => Promise.resolve(token) }, ...fetchOptions });
  const witnesses = [new RekorWitness({ rekorBaseURL: ls.rekorURL, entryType: 'dsse', fetchOnConflict: false, ...fetchOptions })];
  const bundle = await new DSSEBundleBuilder({ signer, witnesses, certificateChain: false }).create({ data: Buffer.from(payload, 'utf8'), type: payloadType });
  return bundleToJSON(bundle) as unknown as Json;
}
