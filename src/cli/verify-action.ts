import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { ExpectedIdentity } from '../policy/identity.js';
import type { StringMatcher } from '../policy/string-matcher.js';
import { parseSha512Integrity, type Artifact, type NpmPackageVersion } from '../verify/artifact.js';
import { VerificationError } from '../verify/errors.js';
import { parseEvidenceJson } from '../verify/json-text.js';
import type { VerifiedAttestation } from '../verify/npm-attestations.js';
import { readNpmTarball, TarballError } from '../verify/npm-tarball.js';
import { verifyArtifact } from '../verify/verify-artifact.js';
import { signerClaims } from '../policy/identity.js';
import { loadTrust, readInputFile } from './trust-options.js';
import { EXIT, UsageError } from './usage-error.js';

export interface VerifyFlags {
  bundle: string;
  certIdentity?: string;
  certIdentityRegexp?: string;
  certOidcIssuer?: string;
  certOidcIssuerRegexp?: string;
  repository?: string;
  workflow?: string;
  ref?: string;
  trigger?: string;
  sha?: string;
  key?: string;
  package?: string;
  trustedRoot?: string;
  registryKeys?: string;
  offline?: boolean;
  format: 'text' | 'json';
}


export async function runVerify(artifactArgument: string, flags: VerifyFlags): Promise<number> {
  const expectedIdentity = expectedIdentityFrom(flags);
  const publicKey = flags.key ? await readPublicKey(flags.key) : undefined;
  if (!expectedIdentity && !publicKey) {
    throw new UsageError('give an expected signer: --cert-identity/--cert-identity-regexp with --cert-oidc-issuer/--cert-oidc-issuer-regexp, or --key');
  }
  const trust = await loadTrust(flags);
  const bundleBytes = await readInputFile(flags.bundle, 'bundle');
  const { artifact, npmPackage } = await resolveArtifact(artifactArgument, flags.package);
  try {
    const evidence = parseEvidenceJson(bundleBytes.toString('utf8'), 'bundle');
    const verified = verifyArtifact({
      evidence,
      trust,
      ...(artifact ? { artifact } : {}),
      ...(npmPackage ? { npmPackage } : {}),
      ...(expectedIdentity ? { expectedIdentity } : {}),
      ...(publicKey ? { publicKey } : {}),
    });
    print(flags.format, `OK: ${artifactArgument}`, { artifact: artifactArgument, verified: true, attestations: verified.map(describeAttestation) });
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    print(flags.format, `FAIL: ${artifactArgument}: ${error.message}`, {
      artifact: artifactArgument,
      verified: false,
      error: { code: error.code, message: error.message },
    });
    return EXIT.violation;
  }
}

function print(format: 'text' | 'json', line: string, document: object): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : `${line}\n`);
}

function describeAttestation(attestation: VerifiedAttestation) {
  const signer =
    attestation.signer.kind === 'certificate'
      ? {
          kind: 'certificate',
          issuer: attestation.signer.identity.issuer,
          subject: attestation.signer.identity.subject,
          ...signerClaims(attestation.signer.identity),
          extensions: attestation.signer.identity.claims,
        }
      : { kind: 'key', keyID: attestation.signer.keyID };
  return {
    predicateType: attestation.predicateType || undefined,
    bundleVersion: attestation.bundleVersion,
    signer,
    tlogEntries: attestation.tlogEntries.map((entry) => ({
      logURL: entry.logURL,
      logIndex: entry.logIndex,
      kind: entry.kind,
      integratedTime: entry.integratedTime?.toISOString(),
      inclusion: entry.inclusion,
    })),
    timestamps: attestation.timestamps.map((timestamp) => ({ source: timestamp.source, time: timestamp.time.toISOString() })),
  };
}

function expectedIdentityFrom(flags: VerifyFlags): ExpectedIdentity | undefined {
  const subject: StringMatcher | undefined = flags.certIdentity
    ? { kind: 'exact', value: flags.certIdentity }
    : flags.certIdentityRegexp
      ? { kind: 'regexp', pattern: flags.certIdentityRegexp }
      : undefined;
  const issuer: StringMatcher | undefined = flags.certOidcIssuer
    ? { kind: 'exact', value: flags.certOidcIssuer }
    : flags.certOidcIssuerRegexp
      ? { kind: 'regexp', pattern: flags.certOidcIssuerRegexp }
      : undefined;
  const claims = { repository: flags.repository, workflow: flags.workflow, ref: flags.ref, trigger: flags.trigger, sha: flags.sha };
  const anyClaim = Object.values(claims).some((value) => value !== undefined);
  if (!subject && !issuer && !anyClaim) return undefined;
  if (!subject || !issuer) throw new UsageError('an identity needs both a subject (--cert-identity or --cert-identity-regexp) and an issuer (--cert-oidc-issuer or --cert-oidc-issuer-regexp)');
  for (const matcher of [subject, issuer]) {
    if (matcher.kind === 'regexp') {
      try {
        new RegExp(matcher.pattern);
      } catch (error) {
        throw new UsageError(`invalid regular expression ${JSON.stringify(matcher.pattern)}: ${(error as Error).message}`);
      }
    }
  }
  const identity: ExpectedIdentity = { subject, issuer };
  for (const [name, value] of Object.entries(claims)) if (value !== undefined) identity[name as keyof typeof claims] = value;
  return identity;
}

async function readPublicKey(path: string): Promise<KeyObject> {
  const pem = await readInputFile(path, 'key');
  try {
    return createPublicKey(pem);
  } catch (error) {
    throw new UsageError(`key ${path} is not a PEM public key (${(error as Error).message})`);
  }
}

const DIGEST_ARGUMENT = /^(sha256|sha512):([0-9a-fA-F]+)$/;
const DIGEST_LENGTHS = { sha256: 64, sha512: 128 } as const;

async function resolveArtifact(argument: string, packageFlag: string | undefined): Promise<{ artifact?: Artifact; npmPackage?: NpmPackageVersion }> {
  const named = packageFlag ? parsePackageSpec(packageFlag) : undefined;
  const digestMatch = DIGEST_ARGUMENT.exec(argument);
  const integrity = argument.startsWith('sha512-') ? parseSha512Integrity(argument) : undefined;
  if (digestMatch || integrity) {
    const algorithm = (digestMatch?.[1] ?? 'sha512') as 'sha256' | 'sha512';
    const hex = digestMatch?.[2] ?? integrity!.toString('hex');
    if (hex.length !== DIGEST_LENGTHS[algorithm]) throw new UsageError(`${argument}: a ${algorithm} digest has ${DIGEST_LENGTHS[algorithm]} hex digits`);
    const digest = Buffer.from(hex, 'hex');
    const artifact: Artifact = { kind: 'digest', algorithm, digest };
    if (!named) return { artifact };
    if (algorithm !== 'sha512') throw new UsageError('--package needs the package\'s sha512 digest or integrity');
    return { artifact, npmPackage: { ...named, sha512: digest } };
  }
  if (argument.startsWith('sha512-')) throw new UsageError(`${argument}: not a valid sha512 integrity`);
  const info = await stat(argument).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`cannot read artifact ${argument}: no such file`);
  if (argument.endsWith('.tgz')) {
    try {
      const tarball = await readNpmTarball(argument);
      if (named && (named.name !== tarball.package.name || named.version !== tarball.package.version)) {
        throw new UsageError(`--package ${packageFlag} does not match the tarball's package.json (${tarball.package.name}@${tarball.package.version})`);
      }
      return { artifact: { kind: 'bytes', data: tarball.data }, npmPackage: tarball.package };
    } catch (error) {
      if (error instanceof TarballError) throw new UsageError(`${argument}: ${error.message}`);
      throw error;
    }
  }
  const data = await readInputFile(argument, 'artifact');
  return named ? { artifact: { kind: 'bytes', data }, npmPackage: { ...named, sha512: sha512Of(data) } } : { artifact: { kind: 'bytes', data } };
}

function sha512Of(data: Buffer): Buffer {
  return createHash('sha512').update(data).digest();
}

function parsePackageSpec(spec: string): { name: string; version: string } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new UsageError(`--package ${spec}: expected name@version`);
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}
