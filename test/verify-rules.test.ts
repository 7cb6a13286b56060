/**
 * One passing and one failing case per verification rule of src/verify, against bundles signed by a
 * real (local, in-process) Sigstore stack: see test/support/local-sigstore.ts.
 *
 * Every distinct bundle is signed once in `before`; each test deep-copies (structuredClone) what it
 * tampers with.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import type { SerializedBundle } from '@sigstore/bundle';

import type { ExpectedIdentity } from '../src/policy/identity.js';
import type { StringMatcher } from '../src/policy/string-matcher.js';
import { trustMaterialFromTrustedRoot, TrustedRootError } from '../src/trust/trusted-root.js';
import type { TrustMaterial } from '../src/trust/trust.types.js';
import type { Artifact, NpmPackageVersion } from '../src/verify/artifact.js';
import { parseBundle } from '../src/verify/bundle.js';
import { VerificationError, type VerificationErrorCode } from '../src/verify/errors.js';
import type { VerifiedAttestation } from '../src/verify/npm-attestations.js';
import { computeInclusionRoot } from '../src/verify/tlog/merkle.js';
import { verifyArtifact } from '../src/verify/verify-artifact.js';
import { verifyParsedBundle, type VerifiedBundle, type VerifyBundleOptions } from '../src/verify/verify-bundle.js';
import { DEFAULT_SUBJECT, startLocalSigstore, type LocalSigstore } from './support/local-sigstore.js';

// ---------------------------------------------------------------------------
// Fixtures

const sha = (algorithm: 'sha256' | 'sha512', data: crypto.BinaryLike): Buffer => crypto.createHash(algorithm).update(data).digest();

const tarball = Buffer.from('pretend this is demo-1.0.0.tgz\n');
const otherTarball = Buffer.from('pretend this is evil-1.0.0.tgz\n');
const demoPackage: NpmPackageVersion = { name: 'demo', version: '1.0.0', sha512: sha('sha512', tarball) };
const scopedPackage: NpmPackageVersion = { name: '@acme/demo', version: '1.0.0', sha512: sha('sha512', tarball) };

const appBinary = Buffer.from('app binary v1\n');
const otherBinary = Buffer.from('some other binary\n');

const GH_ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW_REF = 'acme/demo/.github/workflows/release.yml@refs/tags/v1.0.0';
const SAN = `https://github.com/${WORKFLOW_REF}`;
const SHA = '0123456789abcdef0123456789abcdef01234567';

const ghClaims = {
  iss: GH_ISSUER,
  repository: 'acme/demo',
  repository_owner: 'acme',
  workflow_ref: WORKFLOW_REF,
  job_workflow_ref: WORKFLOW_REF,
  ref: 'refs/tags/v1.0.0',
  sha: SHA,
  event_name: 'push',
  runner_environment: 'github-hosted',
};

/** A signer from another repository whose name has the same length as acme/demo. */
const EVIL_WORKFLOW_REF = 'evil/demo/.github/workflows/release.yml@refs/tags/v1.0.0';
const evilClaims = {
  ...ghClaims,
  repository: 'evil/demo',
  repository_owner: 'evil',
  workflow_ref: EVIL_WORKFLOW_REF,
  job_workflow_ref: EVIL_WORKFLOW_REF,
};

const exact = (value: string): StringMatcher => ({ kind: 'exact', value });
const regexp = (pattern: string): StringMatcher => ({ kind: 'regexp', pattern });
const glob = (pattern: string): StringMatcher => ({ kind: 'glob', pattern });

/** Everything the main bundle's certificate says, as a policy would pin it. */
const fullIdentity: ExpectedIdentity = {
  issuer: exact(GH_ISSUER),
  subject: glob('https://github.com/acme/demo/**'),
  repository: 'acme/demo',
  workflow: '.github/workflows/release.yml',
  ref: 'refs/tags/v1.0.0',
  trigger: 'push',
  sha: SHA,
  runner: 'github-hosted',
};

function statement(subject: Array<{ name: string; digest: Record<string, string> }>, predicate: object = {}): object {
  return { _type: 'https://in-toto.io/Statement/v1', subject, predicateType: 'https://example.com/publish/v1', predicate };
}

const demoSubject = { name: 'pkg:npm/demo@1.0.0', digest: { sha512: demoPackage.sha512.toString('hex') } };
const demoStatement = statement([demoSubject]);

/** SLSA-like provenance predicate: unsigned-by-Fulcio claims that must never influence identity. */
const provenanceClaiming = (repository: string) => ({
  buildDefinition: {
    buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
    externalParameters: { workflow: { ref: 'refs/tags/v1.0.0', repository, path: '.github/workflows/release.yml' } },
    internalParameters: { github: { event_name: 'push', repository_id: '1', repository_owner_id: '1', runner_environment: 'github-hosted' } },
    resolvedDependencies: [{ uri: `git+${repository}@refs/tags/v1.0.0`, digest: { gitCommit: SHA } }],
  },
  runDetails: { builder: { id: `${repository}/.github/workflows/release.yml@refs/tags/v1.0.0` } },
});

// ---------------------------------------------------------------------------
// Helpers

// Bundles are plain JSON; tampering walks them loosely.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function tamper(bundle: SerializedBundle, edit: (copy: Json) => void): SerializedBundle {
  const copy = structuredClone(bundle) as Json;
  edit(copy);
  return copy as SerializedBundle;
}

/** Flips one bit of the byte at `index` (negative counts from the end) of a base64 field. */
function flipBase64(value: string, index = -1): string {
  const bytes = Buffer.from(value, 'base64');
  const i = index < 0 ? bytes.length + index : index;
  bytes[i] = bytes[i]! ^ 0x01;
  return bytes.toString('base64');
}

function editBody(entry: Json, edit: (body: Json) => void): void {
  const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8'));
  edit(body);
  entry.canonicalizedBody = Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}

function editStatement(bundle: Json, edit: (statement: Json) => void): void {
  const parsed = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  edit(parsed);
  bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(parsed), 'utf8').toString('base64');
}

function editRoot(root: Record<string, unknown>, edit: (copy: Json) => void): Json {
  const copy = structuredClone(root) as Json;
  edit(copy);
  return copy;
}

/** Asserts that `run` throws a VerificationError with this code and a message matching `phrase`. */
function assertFails(run: () => unknown, code: VerificationErrorCode, phrase: RegExp): VerificationError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `expected ${code}, but verification passed`);
  assert.ok(thrown instanceof VerificationError, `expected a VerificationError, got ${String(thrown)}`);
  assert.equal(thrown.code, code, `wrong code; message: ${thrown.message}`);
  assert.match(thrown.message, phrase);
  return thrown;
}

function assertCertificateSigner(result: VerifiedAttestation[] | VerifiedBundle, subject: string, issuer: string) {
  const verified = Array.isArray(result) ? result : [result];
  assert.equal(verified.length, 1);
  const signer = verified[0]!.signer;
  assert.equal(signer.kind, 'certificate');
  if (signer.kind !== 'certificate') throw new Error('unreachable');
  assert.equal(signer.identity.subject, subject);
  assert.equal(signer.identity.issuer, issuer);
  return signer.identity;
}

/** verifyParsedBundle directly: the only way to set thresholds (e.g. TSA-only bundles). */
function verifyBundle(bundle: unknown, options: VerifyBundleOptions): VerifiedBundle {
  return verifyParsedBundle(parseBundle(bundle), options);
}

// ---------------------------------------------------------------------------

describe('verification rules', () => {
  let ls: LocalSigstore;
  let foreign: LocalSigstore;
  let trust: TrustMaterial;

  const b = {} as Record<
    | 'main'
    | 'mainTsa'
    | 'intoto'
    | 'predicateOther'
    | 'evil'
    | 'twoSubjects'
    | 'scopedEncoded'
    | 'scopedRaw'
    | 'artifactStatement'
    | 'plainIdentity'
    | 'blob'
    | 'blobTsaOnly'
    | 'statementTsaOnly'
    | 'foreignMain'
    | 'expiredCert'
    | 'lateTsaOnly'
    | 'lateTsaWithTlog',
    SerializedBundle
  >;

  const verifyMain = (expectedIdentity: ExpectedIdentity, bundle: SerializedBundle = b.main) =>
    verifyArtifact({ evidence: bundle, trust, npmPackage: demoPackage, expectedIdentity });

  before(async () => {
    [ls, foreign] = await Promise.all([startLocalSigstore(), startLocalSigstore()]);
    trust = trustMaterialFromTrustedRoot(ls.trustedRoot);
    const withClaims = { claims: ghClaims };
    const batch = {
      main: ls.signStatement(demoStatement, withClaims),
      mainTsa: ls.signStatement(demoStatement, { ...withClaims, tsa: true }),
      intoto: ls.signStatement(demoStatement, { ...withClaims, tlogEntryType: 'intoto' }),
      predicateOther: ls.signStatement(statement([demoSubject], provenanceClaiming('https://github.com/evil/other')), withClaims),
      evil: ls.signStatement(statement([demoSubject], provenanceClaiming('https://github.com/acme/demo')), { claims: evilClaims }),
      twoSubjects: ls.signStatement(
        statement([demoSubject, { name: 'pkg:npm/demo@1.0.1', digest: { sha512: sha('sha512', otherTarball).toString('hex') } }]),
        withClaims,
      ),
      scopedEncoded: ls.signStatement(statement([{ ...demoSubject, name: 'pkg:npm/%40acme/demo@1.0.0' }]), withClaims),
      scopedRaw: ls.signStatement(statement([{ ...demoSubject, name: 'pkg:npm/@acme/demo@1.0.0' }]), withClaims),
      artifactStatement: ls.signStatement(
        statement([
          { name: 'other.bin', digest: { sha256: sha('sha256', Buffer.from('unrelated')).toString('hex') } },
          { name: 'app.bin', digest: { sha256: sha('sha256', appBinary).toString('hex') } },
        ]),
        withClaims,
      ),
      // Default token: e-mail SAN, the local OIDC issuer, no GitHub claims.
      plainIdentity: ls.signStatement(demoStatement),
      blob: ls.signBlob(tarball),
      blobTsaOnly: ls.signBlob(tarball, { tlog: false, tsa: true }),
      statementTsaOnly: ls.signStatement(demoStatement, { ...withClaims, tlog: false, tsa: true }),
      foreignMain: foreign.signStatement(demoStatement, withClaims),
    } satisfies Partial<Record<keyof typeof b, Promise<SerializedBundle>>>;
    await Promise.all(
      Object.entries(batch).map(async ([name, signing]) => {
        b[name as keyof typeof b] = await signing;
      }),
    );

    // Clock-shifted signing mutates shared mock state: one at a time, after the batch above.
    try {
      // Fulcio issues a leaf valid [now-1h, now-50min]; Rekor logs it at the real time.
      ls.setClockOffset('fulcio', -60 * 60 * 1000);
      b.expiredCert = await ls.signStatement(demoStatement, withClaims);
      ls.setClockOffset('fulcio', 0);
      // The TSA stamps one hour in the future, after the 10-minute leaf has expired.
      ls.setClockOffset('tsa', 60 * 60 * 1000);
      b.lateTsaOnly = await ls.signStatement(demoStatement, { ...withClaims, tlog: false, tsa: true });
      b.lateTsaWithTlog = await ls.signStatement(demoStatement, { ...withClaims, tsa: true });
    } finally {
      ls.setClockOffset('fulcio', 0);
      ls.setClockOffset('tsa', 0);
    }
  });

  after(async () => {
    await Promise.all([ls?.close(), foreign?.close()]);
  });

  // -------------------------------------------------------------------------
  describe('1. signer identity', () => {
    it('accepts the full expected identity and returns the certificate signer', () => {
      const identity = assertCertificateSigner(verifyMain(fullIdentity), SAN, GH_ISSUER);
      assert.equal(identity.claims.sourceRepositoryURI, 'https://github.com/acme/demo');
      assert.equal(identity.claims.buildConfigURI, SAN);
    });

    it('accepts an exact SAN that equals the certificate SAN', () => {
      assertCertificateSigner(verifyMain({ subject: exact(SAN) }), SAN, GH_ISSUER);
    });

    it('rejects an exact SAN naming another workflow', () => {
      assertFails(
        () => verifyMain({ subject: exact('https://github.com/acme/demo/.github/workflows/other.yml@refs/tags/v1.0.0') }),
        'IDENTITY_MISMATCH',
        /subject: expected "https:\/\/github\.com\/acme\/demo\/\.github\/workflows\/other\.yml/,
      );
    });

    it('rejects a SAN that only matches as a prefix', () => {
      assertFails(
        () => verifyMain({ subject: exact('https://github.com/acme/demo/.github/workflows/release.yml') }),
        'IDENTITY_MISMATCH',
        /subject: expected/,
      );
    });

    it('accepts an e-mail SAN from a non-GitHub issuer when both match exactly', () => {
      const result = verifyArtifact({
        evidence: b.plainIdentity,
        trust,
        npmPackage: demoPackage,
        expectedIdentity: { subject: exact(DEFAULT_SUBJECT), issuer: exact(ls.oidcIssuer) },
      });
      assertCertificateSigner(result, DEFAULT_SUBJECT, ls.oidcIssuer);
    });

    it('rejects an anchored regexp for @refs/tags/v1.0 on a certificate for @refs/tags/v1.0.0 (sigstore-js prefix bug)', () => {
      const escaped = 'https://github\\.com/acme/demo/\\.github/workflows/release\\.yml@refs/tags/v1\\.0';
      assertFails(() => verifyMain({ subject: regexp(escaped) }), 'IDENTITY_MISMATCH', /subject: expected regexp/);
      // Unescaped dots do not widen it into a prefix match either.
      assertFails(
        () => verifyMain({ subject: regexp('https://github.com/acme/demo/.github/workflows/release.yml@refs/tags/v1.0') }),
        'IDENTITY_MISMATCH',
        /subject: expected regexp/,
      );
    });

    it('accepts an anchored regexp for @refs/tags/v1\\.0\\.0 matching the whole SAN', () => {
      const pattern = 'https://github\\.com/acme/demo/\\.github/workflows/release\\.yml@refs/tags/v1\\.0\\.0';
      assertCertificateSigner(verifyMain({ subject: regexp(pattern) }), SAN, GH_ISSUER);
    });

    it('accepts a glob whose ** crosses path segments', () => {
      assertCertificateSigner(verifyMain({ subject: glob('https://github.com/acme/**') }), SAN, GH_ISSUER);
      assertCertificateSigner(verifyMain({ subject: glob('https://github.com/acme/*/.github/workflows/*.yml@refs/tags/*') }), SAN, GH_ISSUER);
    });

    it('rejects a glob whose single * would have to cross a path segment', () => {
      assertFails(() => verifyMain({ subject: glob('https://github.com/acme/*') }), 'IDENTITY_MISMATCH', /subject: expected glob/);
    });

    it('accepts the exact issuer', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER) }), SAN, GH_ISSUER);
    });

    it('rejects another issuer, including a prefix of the real one', () => {
      assertFails(
        () => verifyMain({ issuer: exact('https://accounts.google.com') }),
        'IDENTITY_MISMATCH',
        /issuer: expected "https:\/\/accounts\.google\.com", got "https:\/\/token\.actions\.githubusercontent\.com"/,
      );
      assertFails(() => verifyMain({ issuer: exact('https://token.actions.githubusercontent') }), 'IDENTITY_MISMATCH', /issuer: expected/);
    });

    it('accepts the repository claim as owner/repo or as a URL', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), repository: 'acme/demo' }), SAN, GH_ISSUER);
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), repository: 'https://github.com/acme/demo' }), SAN, GH_ISSUER);
    });

    it('rejects another repository claim', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), repository: 'acme/demo-fork' }),
        'IDENTITY_MISMATCH',
        /repository: expected "https:\/\/github\.com\/acme\/demo-fork", got "https:\/\/github\.com\/acme\/demo"/,
      );
    });

    it('rejects a repository claim the certificate does not carry', () => {
      assertFails(
        () => verifyMain({ issuer: exact(ls.oidcIssuer), repository: 'acme/demo' }, b.plainIdentity),
        'IDENTITY_MISMATCH',
        /repository: expected "https:\/\/github\.com\/acme\/demo", got none/,
      );
    });

    it('accepts the workflow claim as a path or as its full URI', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), workflow: '.github/workflows/release.yml' }), SAN, GH_ISSUER);
      assertCertificateSigner(
        verifyMain({ issuer: exact(GH_ISSUER), repository: 'acme/demo', workflow: 'https://github.com/acme/demo/.github/workflows/release.yml' }),
        SAN,
        GH_ISSUER,
      );
    });

    it('rejects another workflow claim', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), workflow: '.github/workflows/publish.yml' }),
        'IDENTITY_MISMATCH',
        /workflow: expected "\.github\/workflows\/publish\.yml", got "\.github\/workflows\/release\.yml"/,
      );
    });

    it('rejects a full workflow URI from another repository of the same name length', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), workflow: 'https://github.com/acme/demo/.github/workflows/release.yml' }, b.evil),
        'IDENTITY_MISMATCH',
        /workflow: expected "https:\/\/github\.com\/acme\/demo\/\.github\/workflows\/release\.yml", got "https:\/\/github\.com\/evil\/demo\//,
      );
      assertFails(() => verifyMain({ issuer: exact(GH_ISSUER), workflow: 'https://github.com/zzzz/zzzz/.github/workflows/release.yml' }), 'IDENTITY_MISMATCH', /workflow:/);
    });

    it('checks the ref inside a full workflow URI', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), workflow: 'https://github.com/acme/demo/.github/workflows/release.yml@refs/heads/main' }),
        'IDENTITY_MISMATCH',
        /workflow: expected .*@refs\/heads\/main", got .*@refs\/tags\/v1\.0\.0"/,
      );
      assertCertificateSigner(
        verifyMain({ issuer: exact(GH_ISSUER), workflow: 'https://github.com/acme/demo/.github/workflows/release.yml@refs/tags/v1.0.0' }),
        SAN,
        GH_ISSUER,
      );
    });

    it('accepts the ref claim', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), ref: 'refs/tags/v1.0.0' }), SAN, GH_ISSUER);
    });

    it('rejects another ref claim, including a prefix of the real one', () => {
      assertFails(() => verifyMain({ issuer: exact(GH_ISSUER), ref: 'refs/heads/main' }), 'IDENTITY_MISMATCH', /ref: expected "refs\/heads\/main", got "refs\/tags\/v1\.0\.0"/);
      assertFails(() => verifyMain({ issuer: exact(GH_ISSUER), ref: 'refs/tags/v1.0' }), 'IDENTITY_MISMATCH', /ref: expected "refs\/tags\/v1\.0"/);
    });

    it('accepts the trigger claim', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), trigger: 'push' }), SAN, GH_ISSUER);
    });

    it('rejects another trigger claim', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), trigger: 'workflow_dispatch' }),
        'IDENTITY_MISMATCH',
        /trigger: expected "workflow_dispatch", got "push"/,
      );
    });

    it('accepts the sha claim, case-insensitively', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), sha: SHA }), SAN, GH_ISSUER);
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), sha: SHA.toUpperCase() }), SAN, GH_ISSUER);
    });

    it('rejects another sha claim', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), sha: 'fedcba9876543210fedcba9876543210fedcba98' }),
        'IDENTITY_MISMATCH',
        /sha: expected "fedcba9876543210fedcba9876543210fedcba98", got "0123456789abcdef/,
      );
    });

    it('accepts the runner claim', () => {
      assertCertificateSigner(verifyMain({ issuer: exact(GH_ISSUER), runner: 'github-hosted' }), SAN, GH_ISSUER);
    });

    it('rejects another runner claim', () => {
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), runner: 'self-hosted' }),
        'IDENTITY_MISMATCH',
        /runner: expected "self-hosted", got "github-hosted"/,
      );
    });

    it('reports every mismatching field at once', () => {
      const error = assertFails(
        () => verifyMain({ issuer: exact('https://other.example'), repository: 'acme/other', runner: 'self-hosted' }),
        'IDENTITY_MISMATCH',
        /issuer: expected/,
      );
      assert.match(error.message, /repository: expected/);
      assert.match(error.message, /runner: expected/);
    });

    it('takes claims from the certificate: a predicate naming another repository does not change a pass', () => {
      const result = verifyMain(fullIdentity, b.predicateOther);
      assertCertificateSigner(result, SAN, GH_ISSUER);
      // The signed predicate really does claim the other repository...
      assert.match(JSON.stringify(result[0]!.statement?.predicate), /github\.com\/evil\/other/);
      // ...yet it cannot be selected by it.
      assertFails(
        () => verifyMain({ issuer: exact(GH_ISSUER), repository: 'evil/other' }, b.predicateOther),
        'IDENTITY_MISMATCH',
        /repository: expected "https:\/\/github\.com\/evil\/other", got "https:\/\/github\.com\/acme\/demo"/,
      );
    });

    it('takes claims from the certificate: a predicate naming the expected repository does not make a foreign signer pass', () => {
      assertFails(() => verifyMain(fullIdentity, b.evil), 'IDENTITY_MISMATCH', /repository: expected "https:\/\/github\.com\/acme\/demo", got "https:\/\/github\.com\/evil\/demo"/);
      assertFails(() => verifyMain({ issuer: exact(GH_ISSUER), repository: 'acme/demo' }, b.evil), 'IDENTITY_MISMATCH', /repository:/);
      // The same bundle passes for the identity its certificate actually names.
      assertCertificateSigner(
        verifyMain({ issuer: exact(GH_ISSUER), repository: 'evil/demo', workflow: '.github/workflows/release.yml' }, b.evil),
        `https://github.com/${EVIL_WORKFLOW_REF}`,
        GH_ISSUER,
      );
    });

    it('rejects a certificate-signed bundle when no identity is given', () => {
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust, npmPackage: demoPackage }),
        'IDENTITY_MISMATCH',
        /no identity was given/,
      );
    });
  });

  // -------------------------------------------------------------------------
  describe('2. DSSE statement subject', () => {
    it('accepts npm mode with exactly one pkg:npm/demo@1.0.0 subject and the matching sha512', () => {
      const result = verifyMain(fullIdentity);
      assertCertificateSigner(result, SAN, GH_ISSUER);
      assert.deepEqual(result[0]!.statement?.subjects, [demoSubject]);
      assert.equal(result[0]!.predicateType, 'https://example.com/publish/v1');
    });

    it('rejects npm mode for another package name or version', () => {
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust, npmPackage: { ...demoPackage, name: 'demo2' }, expectedIdentity: fullIdentity }),
        'SUBJECT_MISMATCH',
        /statement is about pkg:npm\/demo@1\.0\.0, not pkg:npm\/demo2@1\.0\.0/,
      );
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust, npmPackage: { ...demoPackage, version: '1.0.1' }, expectedIdentity: fullIdentity }),
        'SUBJECT_MISMATCH',
        /not pkg:npm\/demo@1\.0\.1/,
      );
    });

    it('rejects npm mode when the sha512 differs', () => {
      assertFails(
        () =>
          verifyArtifact({
            evidence: b.main,
            trust,
            npmPackage: { ...demoPackage, sha512: sha('sha512', otherTarball) },
            expectedIdentity: fullIdentity,
          }),
        'SUBJECT_MISMATCH',
        /statement sha512 does not match the integrity of demo@1\.0\.0/,
      );
    });

    it('rejects npm mode for a statement with two subjects, even if one matches', () => {
      assertFails(() => verifyMain(fullIdentity, b.twoSubjects), 'SUBJECT_MISMATCH', /exactly one subject, found 2/);
    });

    it('accepts a scoped package whose purl percent-encodes the @ (pkg:npm/%40acme/demo@1.0.0)', () => {
      const result = verifyArtifact({ evidence: b.scopedEncoded, trust, npmPackage: scopedPackage, expectedIdentity: fullIdentity });
      assertCertificateSigner(result, SAN, GH_ISSUER);
      assert.equal(result[0]!.statement?.subjects[0]?.name, 'pkg:npm/%40acme/demo@1.0.0');
    });

    it('rejects a scoped package whose purl leaves the @ unencoded (pkg:npm/@acme/demo@1.0.0)', () => {
      assertFails(
        () => verifyArtifact({ evidence: b.scopedRaw, trust, npmPackage: scopedPackage, expectedIdentity: fullIdentity }),
        'SUBJECT_MISMATCH',
        /statement is about pkg:npm\/@acme\/demo@1\.0\.0, not pkg:npm\/%40acme\/demo@1\.0\.0/,
      );
    });

    it('accepts artifact mode (bytes) when any subject carries the digest', () => {
      const viaSha256 = verifyArtifact({ evidence: b.artifactStatement, trust, artifact: { kind: 'bytes', data: appBinary }, expectedIdentity: fullIdentity });
      assertCertificateSigner(viaSha256, SAN, GH_ISSUER);
      const viaSha512 = verifyArtifact({ evidence: b.main, trust, artifact: { kind: 'bytes', data: tarball }, expectedIdentity: fullIdentity });
      assertCertificateSigner(viaSha512, SAN, GH_ISSUER);
    });

    it('accepts artifact mode (sha256 digest) when a subject carries it', () => {
      const artifact: Artifact = { kind: 'digest', algorithm: 'sha256', digest: sha('sha256', appBinary) };
      assertCertificateSigner(verifyArtifact({ evidence: b.artifactStatement, trust, artifact, expectedIdentity: fullIdentity }), SAN, GH_ISSUER);
    });

    it('rejects artifact mode when no subject carries the digest', () => {
      assertFails(
        () => verifyArtifact({ evidence: b.artifactStatement, trust, artifact: { kind: 'bytes', data: otherBinary }, expectedIdentity: fullIdentity }),
        'SUBJECT_MISMATCH',
        /no statement subject has the artifact digest/,
      );
      assertFails(
        () =>
          verifyArtifact({
            evidence: b.artifactStatement,
            trust,
            artifact: { kind: 'digest', algorithm: 'sha256', digest: sha('sha256', otherBinary) },
            expectedIdentity: fullIdentity,
          }),
        'SUBJECT_MISMATCH',
        /no statement subject has the artifact digest/,
      );
      // The statement only has a sha512 subject: a sha256 digest of the right bytes cannot match it.
      assertFails(
        () =>
          verifyArtifact({
            evidence: b.main,
            trust,
            artifact: { kind: 'digest', algorithm: 'sha256', digest: sha('sha256', tarball) },
            expectedIdentity: fullIdentity,
          }),
        'SUBJECT_MISMATCH',
        /no statement subject has the artifact digest/,
      );
    });

    it('rejects a statement when there is nothing to match its subjects against', () => {
      assertFails(() => verifyArtifact({ evidence: b.main, trust, expectedIdentity: fullIdentity }), 'SUBJECT_MISMATCH', /nothing to match/);
    });
  });

  // -------------------------------------------------------------------------
  describe('3. message-signature bundles', () => {
    const verifyBlob = (artifact: Artifact | undefined, bundle: SerializedBundle = b.blob) =>
      verifyArtifact({
        evidence: bundle,
        trust,
        ...(artifact ? { artifact } : {}),
        expectedIdentity: { subject: exact(DEFAULT_SUBJECT), issuer: exact(ls.oidcIssuer) },
      });

    it('accepts the signed bytes', () => {
      const result = verifyBlob({ kind: 'bytes', data: tarball });
      assertCertificateSigner(result, DEFAULT_SUBJECT, ls.oidcIssuer);
      assert.equal(result[0]!.statement, undefined);
      assert.deepEqual(result[0]!.tlogEntries.map((entry) => entry.kind), ['hashedrekord/0.0.1']);
    });

    it('accepts only the sha256 digest of the signed bytes (prehashed ECDSA)', () => {
      assertCertificateSigner(verifyBlob({ kind: 'digest', algorithm: 'sha256', digest: sha('sha256', tarball) }), DEFAULT_SUBJECT, ls.oidcIssuer);
    });

    it('rejects other bytes', () => {
      assertFails(() => verifyBlob({ kind: 'bytes', data: otherTarball }), 'ARTIFACT_MISMATCH', /artifact digest does not match the digest in the bundle/);
    });

    it('rejects another sha256 digest, and a digest of another algorithm', () => {
      assertFails(
        () => verifyBlob({ kind: 'digest', algorithm: 'sha256', digest: sha('sha256', otherTarball) }),
        'ARTIFACT_MISMATCH',
        /artifact digest does not match/,
      );
      assertFails(
        () => verifyBlob({ kind: 'digest', algorithm: 'sha512', digest: sha('sha512', tarball) }),
        'ARTIFACT_MISMATCH',
        /signs a sha256 digest/,
      );
    });

    it('rejects a message signature verified without an artifact', () => {
      assertFails(() => verifyBlob(undefined), 'ARTIFACT_MISMATCH', /can only be verified against an artifact/);
    });

    it('rejects a logged bundle whose messageDigest was swapped for another artifact', () => {
      const swapped = tamper(b.blob, (copy) => {
        copy.messageSignature.messageDigest.digest = sha('sha256', otherTarball).toString('base64');
      });
      assertFails(() => verifyBlob({ kind: 'bytes', data: otherTarball }, swapped), 'TLOG_BODY_ERROR', /digest mismatch/);
    });

    it('accepts an unlogged, TSA-stamped blob with its bytes or its digest', () => {
      const options = { trust, tlogThreshold: 0 };
      const bytes = verifyBundle(b.blobTsaOnly, { ...options, artifact: { kind: 'bytes', data: tarball } });
      assertCertificateSigner(bytes, DEFAULT_SUBJECT, ls.oidcIssuer);
      assert.deepEqual(bytes.timestamps.map((t) => t.source), ['timestamp-authority']);
      const digest = verifyBundle(b.blobTsaOnly, { ...options, artifact: { kind: 'digest', algorithm: 'sha256', digest: sha('sha256', tarball) } });
      assertCertificateSigner(digest, DEFAULT_SUBJECT, ls.oidcIssuer);
    });

    it('rejects the signature over a swapped messageDigest when no log entry catches it (bytes and prehashed)', () => {
      // The TSA stamps the signature, which is untouched; only the signature check itself can fail.
      const swapped = tamper(b.blobTsaOnly, (copy) => {
        copy.messageSignature.messageDigest.digest = sha('sha256', otherTarball).toString('base64');
      });
      const options = { trust, tlogThreshold: 0 };
      assertFails(() => verifyBundle(swapped, { ...options, artifact: { kind: 'bytes', data: otherTarball } }), 'SIGNATURE_ERROR', /does not verify over the artifact/);
      assertFails(
        () => verifyBundle(swapped, { ...options, artifact: { kind: 'digest', algorithm: 'sha256', digest: sha('sha256', otherTarball) } }),
        'SIGNATURE_ERROR',
        /does not verify over the artifact/,
      );
    });
  });

  // -------------------------------------------------------------------------
  describe('4. trust material', () => {
    it('accepts a bundle under the trusted root of the instance that signed it', () => {
      assertCertificateSigner(
        verifyArtifact({ evidence: b.foreignMain, trust: trustMaterialFromTrustedRoot(foreign.trustedRoot), npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        SAN,
        GH_ISSUER,
      );
    });

    it("rejects a bundle from instance A under instance B's trusted root", () => {
      const foreignTrust = trustMaterialFromTrustedRoot(foreign.trustedRoot);
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust: foreignTrust, npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        'TLOG_MISSING_ERROR',
        /comes from a log the trusted root does not name/,
      );
    });

    it("rejects a certificate from A's Fulcio under a root with A's logs but B's CA", () => {
      const mixed = editRoot(ls.trustedRoot, (root) => {
        root.certificateAuthorities = structuredClone(foreign.trustedRoot.certificateAuthorities);
      });
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust: trustMaterialFromTrustedRoot(mixed), npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        'CERTIFICATE_ERROR',
        /does not chain to a trusted authority/,
      );
    });

    it("rejects A's certificate when only B's CT log is trusted (no verified SCT)", () => {
      const mixed = editRoot(ls.trustedRoot, (root) => {
        root.ctlogs = structuredClone(foreign.trustedRoot.ctlogs);
      });
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust: trustMaterialFromTrustedRoot(mixed), npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        'SCT_ERROR',
        /0 verified SCTs, 1 required/,
      );
    });

    it("rejects A's RFC 3161 timestamp when only B's TSA is trusted", () => {
      const mixed = editRoot(ls.trustedRoot, (root) => {
        root.timestampAuthorities = structuredClone(foreign.trustedRoot.timestampAuthorities);
      });
      assertFails(
        () => verifyArtifact({ evidence: b.mainTsa, trust: trustMaterialFromTrustedRoot(mixed), npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        'TIMESTAMP_ERROR',
        /could not be verified by a trusted timestamp authority/,
      );
    });

    it('rejects a trusted root whose CA validFor window ends before the signing time', () => {
      const before = (ms: number) => new Date(ls.validFrom.getTime() - ms).toISOString();
      const ended = editRoot(ls.trustedRoot, (root) => {
        root.certificateAuthorities[0].validFor = { start: before(24 * 3600_000), end: before(1000) };
      });
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust: trustMaterialFromTrustedRoot(ended), npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        'CERTIFICATE_ERROR',
        /does not chain to a trusted authority valid at/,
      );
    });

    it('rejects a trusted root whose tlog key validFor window ends before the integrated time', () => {
      const before = (ms: number) => new Date(ls.validFrom.getTime() - ms).toISOString();
      const ended = editRoot(ls.trustedRoot, (root) => {
        root.tlogs[0].publicKey.validFor = { start: before(24 * 3600_000), end: before(1000) };
      });
      assertFails(
        () => verifyArtifact({ evidence: b.main, trust: trustMaterialFromTrustedRoot(ended), npmPackage: demoPackage, expectedIdentity: fullIdentity }),
        'TLOG_INCLUSION_PROMISE_ERROR',
        /was not trusted at/,
      );
    });

    it('accepts trusted roots of both media types, and with only tlogs or only TSAs', () => {
      assert.equal(trustMaterialFromTrustedRoot(ls.trustedRoot).certificateAuthorities.length, 1);
      const v02 = editRoot(ls.trustedRoot, (root) => {
        root.mediaType = 'application/vnd.dev.sigstore.trustedroot.v0.2+json';
      });
      assert.equal(trustMaterialFromTrustedRoot(v02).tlogs.length, 1);
      const tlogsOnly = editRoot(ls.trustedRoot, (root) => delete root.timestampAuthorities);
      assert.equal(trustMaterialFromTrustedRoot(tlogsOnly).timestampAuthorities.length, 0);
      const tsasOnly = editRoot(ls.trustedRoot, (root) => delete root.tlogs);
      assert.equal(trustMaterialFromTrustedRoot(tsasOnly).timestampAuthorities.length, 1);
    });

    it('rejects a trusted root with an authority lacking validFor.start (or validFor)', () => {
      const noStart = editRoot(ls.trustedRoot, (root) => {
        root.certificateAuthorities[0].validFor = {};
      });
      assert.throws(() => trustMaterialFromTrustedRoot(noStart), (error: unknown) => {
        assert.ok(error instanceof TrustedRootError);
        assert.match(error.message, /certificateAuthorities\[0\]\.validFor\.start: expected a non-empty string/);
        return true;
      });
      const noWindow = editRoot(ls.trustedRoot, (root) => delete root.timestampAuthorities[0].validFor);
      assert.throws(() => trustMaterialFromTrustedRoot(noWindow), (error: unknown) => {
        assert.ok(error instanceof TrustedRootError);
        assert.match(error.message, /timestampAuthorities\[0\]\.validFor: expected an object/);
        return true;
      });
    });

    it('rejects a trusted root with a wrong mediaType', () => {
      const wrong = editRoot(ls.trustedRoot, (root) => {
        root.mediaType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
      });
      assert.throws(() => trustMaterialFromTrustedRoot(wrong), (error: unknown) => {
        assert.ok(error instanceof TrustedRootError);
        assert.match(error.message, /mediaType: "application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json" is not a Sigstore trusted root/);
        return true;
      });
    });

    it('rejects a trusted root with no tlogs and no TSAs', () => {
      const empty = editRoot(ls.trustedRoot, (root) => {
        delete root.tlogs;
        root.timestampAuthorities = [];
      });
      assert.throws(() => trustMaterialFromTrustedRoot(empty), (error: unknown) => {
        assert.ok(error instanceof TrustedRootError);
        assert.match(error.message, /names no transparency log and no timestamp authority/);
        return true;
      });
    });
  });

  // -------------------------------------------------------------------------
  describe('5. transparency log', () => {
    const verify = (bundle: SerializedBundle) => verifyArtifact({ evidence: bundle, trust, npmPackage: demoPackage, expectedIdentity: fullIdentity });
    const noPromise = (bundle: SerializedBundle, edit: (entry: Json) => void = () => {}) =>
      tamper(bundle, (copy) => {
        const entry = copy.verificationMaterial.tlogEntries[0];
        delete entry.inclusionPromise;
        edit(entry);
      });

    it('accepts an entry with a valid promise and proof, and reports both', () => {
      const [result] = verify(b.main);
      assert.deepEqual(result!.tlogEntries.map((entry) => entry.inclusion), [['promise', 'proof']]);
      assert.deepEqual(result!.tlogEntries.map((entry) => entry.kind), ['dsse/0.0.1']);
      assert.deepEqual(result!.timestamps.map((t) => t.source), ['transparency-log']);
    });

    it('accepts a legacy intoto 0.0.2 entry', () => {
      const [result] = verify(b.intoto);
      assert.deepEqual(result!.tlogEntries.map((entry) => entry.kind), ['intoto/0.0.2']);
    });

    it('rejects a bundle signed with tlog: false (no entry)', () => {
      assertFails(() => verify(b.statementTsaOnly), 'TLOG_MISSING_ERROR', /0 transparency log entries, 1 required/);
    });

    it('rejects a tampered canonicalizedBody that no longer records the signature', () => {
      const tampered = tamper(b.main, (copy) =>
        editBody(copy.verificationMaterial.tlogEntries[0], (body) => {
          body.spec.signatures[0].signature = flipBase64(body.spec.signatures[0].signature);
        }),
      );
      assertFails(() => verify(tampered), 'TLOG_BODY_ERROR', /tlog entry signature mismatch/);
    });

    it('rejects a tampered canonicalizedBody that still matches the bundle (SET covers it)', () => {
      const tampered = tamper(b.main, (copy) =>
        editBody(copy.verificationMaterial.tlogEntries[0], (body) => {
          body.spec.envelopeHash.value = sha('sha256', 'another envelope').toString('hex');
        }),
      );
      assertFails(() => verify(tampered), 'TLOG_INCLUSION_PROMISE_ERROR', /signed entry timestamp/);
    });

    it('rejects a tampered canonicalizedBody covered only by the inclusion proof', () => {
      const tampered = noPromise(b.mainTsa, (entry) =>
        editBody(entry, (body) => {
          body.spec.envelopeHash.value = sha('sha256', 'another envelope').toString('hex');
        }),
      );
      assertFails(() => verify(tampered), 'TLOG_INCLUSION_PROOF_ERROR', /calculated root hash does not match the inclusion proof/);
    });

    it('rejects a tampered inclusion proof rootHash even though the checkpoint is intact', () => {
      const tampered = tamper(b.main, (copy) => {
        const proof = copy.verificationMaterial.tlogEntries[0].inclusionProof;
        proof.rootHash = flipBase64(proof.rootHash);
      });
      assertFails(() => verify(tampered), 'TLOG_INCLUSION_PROOF_ERROR', /root hash differs from the inclusion proof/);
    });

    it('rejects an inclusion proof with an extra hash (the mock log is a 1-leaf tree: no hash to flip)', () => {
      const tampered = tamper(b.main, (copy) => {
        copy.verificationMaterial.tlogEntries[0].inclusionProof.hashes = [sha('sha256', 'sibling').toString('base64')];
      });
      assertFails(() => verify(tampered), 'TLOG_INCLUSION_PROOF_ERROR', /inclusion proof has 1 hashes, expected 0/);
    });

    it('rejects an inclusion proof whose tree size or index differs from what the checkpoint signed', () => {
      const bigger = tamper(b.main, (copy) => {
        copy.verificationMaterial.tlogEntries[0].inclusionProof.treeSize = '2';
      });
      assertFails(() => verify(bigger), 'TLOG_INCLUSION_PROOF_ERROR', /checkpoint tree size differs/);
      const outside = tamper(b.main, (copy) => {
        copy.verificationMaterial.tlogEntries[0].inclusionProof.logIndex = '1';
      });
      assertFails(() => verify(outside), 'TLOG_INCLUSION_PROOF_ERROR', /log index 1 outside tree of size 1/);
    });

    it('rejects a checkpoint whose signature is corrupted', () => {
      const tampered = tamper(b.main, (copy) => {
        const checkpoint = copy.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
        const [note, signatures] = checkpoint.envelope.split('\n\n');
        const corrupted = signatures.replace(/^(\u2014 \S+ )(\S+)$/m, (_: string, prefix: string, sig: string) => prefix + flipBase64(sig));
        assert.notEqual(corrupted, signatures);
        checkpoint.envelope = `${note}\n\n${corrupted}`;
      });
      assertFails(() => verify(tampered), 'TLOG_CHECKPOINT_ERROR', /invalid checkpoint signature/);
    });

    it('accepts an entry without inclusion promise but with a proof when a TSA timestamp exists', () => {
      const [result] = verify(noPromise(b.mainTsa));
      assertCertificateSigner([result!], SAN, GH_ISSUER);
      assert.deepEqual(result!.tlogEntries.map((entry) => entry.inclusion), [['proof']]);
      // Without a SET, the integrated time is not vouched for: only the TSA time counts.
      assert.deepEqual(result!.timestamps.map((t) => t.source), ['timestamp-authority']);
    });

    it('rejects an entry without inclusion promise when there is no TSA timestamp', () => {
      assertFails(() => verify(noPromise(b.main)), 'TIMESTAMP_ERROR', /0 verified timestamps, 1 required/);
    });

    it('rejects a corrupted SET', () => {
      const tampered = tamper(b.main, (copy) => {
        const promise = copy.verificationMaterial.tlogEntries[0].inclusionPromise;
        promise.signedEntryTimestamp = flipBase64(promise.signedEntryTimestamp, 20);
      });
      assertFails(() => verify(tampered), 'TLOG_INCLUSION_PROMISE_ERROR', /could not be verified/);
    });

    it('rejects a SET over a changed integrated time', () => {
      const tampered = tamper(b.main, (copy) => {
        const entry = copy.verificationMaterial.tlogEntries[0];
        // Later, not earlier: one second earlier may precede the log's validFor.start.
        entry.integratedTime = String(Number(entry.integratedTime) + 1);
      });
      assertFails(() => verify(tampered), 'TLOG_INCLUSION_PROMISE_ERROR', /could not be verified/);
    });

    // The mock log only produces 1-leaf trees, so a multi-leaf proof is checked on the Merkle code.
    it('computes RFC 6962 inclusion roots for every leaf of a 7-leaf tree, and a flipped proof hash changes the root', () => {
      const leaves = Array.from({ length: 7 }, (_, i) => Buffer.from(`leaf ${i}`));
      const root = merkleRoot(leaves);
      for (let index = 0; index < leaves.length; index++) {
        const hashes = merklePath(index, leaves);
        const input = { logIndex: BigInt(index), treeSize: BigInt(leaves.length), leaf: leaves[index]!, hashes };
        assert.deepEqual(computeInclusionRoot(input), root, `leaf ${index}`);
        for (let h = 0; h < hashes.length; h++) {
          const flipped = hashes.map((hash, j) => (j === h ? Buffer.from(flipBase64(hash.toString('base64'), 0), 'base64') : hash));
          assert.notDeepEqual(computeInclusionRoot({ ...input, hashes: flipped }), root, `leaf ${index}, hash ${h}`);
        }
        assert.notDeepEqual(computeInclusionRoot({ ...input, leaf: Buffer.from('forged') }), root);
      }
    });
  });

  // -------------------------------------------------------------------------
  describe('6. RFC 3161 timestamps', () => {
    const verify = (bundle: SerializedBundle) => verifyArtifact({ evidence: bundle, trust, npmPackage: demoPackage, expectedIdentity: fullIdentity });

    it('accepts a TSA-stamped bundle and reports both times', () => {
      const [result] = verify(b.mainTsa);
      assertCertificateSigner([result!], SAN, GH_ISSUER);
      assert.deepEqual(result!.timestamps.map((t) => t.source).sort(), ['timestamp-authority', 'transparency-log']);
    });

    it('accepts a TSA-only bundle (no tlog entry) when the tlog threshold is 0', () => {
      const result = verifyBundle(b.statementTsaOnly, { trust, npmPackage: demoPackage, tlogThreshold: 0 });
      assertCertificateSigner(result, SAN, GH_ISSUER);
      assert.deepEqual(result.timestamps.map((t) => t.source), ['timestamp-authority']);
    });

    it('rejects a corrupted RFC 3161 timestamp signature', () => {
      const tampered = tamper(b.mainTsa, (copy) => {
        const ts = copy.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
        ts.signedTimestamp = flipBase64(ts.signedTimestamp);
      });
      assertFails(() => verify(tampered), 'TIMESTAMP_ERROR', /could not be verified by a trusted timestamp authority/);
    });

    it('rejects an unparseable RFC 3161 timestamp', () => {
      const tampered = tamper(b.mainTsa, (copy) => {
        const ts = copy.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
        ts.signedTimestamp = Buffer.from(ts.signedTimestamp, 'base64').subarray(0, 40).toString('base64');
      });
      assertFails(() => verify(tampered), 'TIMESTAMP_ERROR', /malformed RFC 3161 timestamp/);
    });

    it("rejects a genuine timestamp transplanted from another bundle (it stamps another signature)", () => {
      const tampered = tamper(b.mainTsa, (copy) => {
        copy.verificationMaterial.timestampVerificationData = structuredClone(b.statementTsaOnly.verificationMaterial.timestampVerificationData);
      });
      assertFails(() => verify(tampered), 'TIMESTAMP_ERROR', /could not be verified/);
    });
  });

  // -------------------------------------------------------------------------
  describe('7. certificate validity at the verified time', () => {
    // The mock Fulcio/TSA clocks are shifted with LocalSigstore.setClockOffset (see `before`):
    //  - expiredCert: Fulcio issued the leaf one hour ago (valid 10 minutes), Rekor logged it now,
    //    so the only verified time (the SET-covered integrated time) is after the leaf's notAfter;
    //  - lateTsaOnly: no tlog entry; the TSA's genTime is one hour after the leaf expired;
    //  - lateTsaWithTlog: the tlog time is fine, the TSA time is not; every verified time must hold.
    const verify = (bundle: SerializedBundle) => verifyArtifact({ evidence: bundle, trust, npmPackage: demoPackage, expectedIdentity: fullIdentity });

    it('accepts a leaf that is valid at the integrated time', () => {
      const [result] = verify(b.main);
      const time = result!.timestamps[0]!.time.getTime();
      const leaf = parseBundle(b.main).material;
      assert.equal(leaf.kind, 'certificate');
      if (leaf.kind !== 'certificate') return;
      assert.ok(leaf.leaf.notBefore.getTime() <= time && time <= leaf.leaf.notAfter.getTime());
    });

    it('rejects a leaf that had expired at the integrated time', () => {
      const leaf = parseBundle(b.expiredCert).material;
      assert.ok(leaf.kind === 'certificate' && leaf.leaf.notAfter.getTime() < Date.now() - 40 * 60_000, 'fixture leaf is expired');
      assertFails(() => verify(b.expiredCert), 'CERTIFICATE_ERROR', /is not valid at .* \(valid .* to .*\)/);
    });

    it('rejects a leaf that had expired at the only (TSA) verified time', () => {
      assertFails(() => verifyBundle(b.lateTsaOnly, { trust, npmPackage: demoPackage, tlogThreshold: 0 }), 'CERTIFICATE_ERROR', /is not valid at/);
    });

    it('rejects a leaf that is valid at the integrated time but not at the TSA time', () => {
      assertFails(() => verify(b.lateTsaWithTlog), 'CERTIFICATE_ERROR', /is not valid at/);
    });
  });

  // -------------------------------------------------------------------------
  describe('8. DSSE envelope signature', () => {
    const verify = (bundle: SerializedBundle) => verifyArtifact({ evidence: bundle, trust, npmPackage: demoPackage, expectedIdentity: fullIdentity });
    const flipSignature = (bundle: SerializedBundle) =>
      tamper(bundle, (copy) => {
        copy.dsseEnvelope.signatures[0].sig = flipBase64(copy.dsseEnvelope.signatures[0].sig);
      });
    const otherRepoPayload = (bundle: SerializedBundle) =>
      tamper(bundle, (copy) =>
        editStatement(copy, (stmt) => {
          stmt.predicate = { note: 'changed after signing' };
        }),
      );

    it('accepts the untouched envelope', () => {
      assertCertificateSigner(verify(b.main), SAN, GH_ISSUER);
    });

    it('rejects a flipped signature byte (the log records the original signature)', () => {
      assertFails(() => verify(flipSignature(b.main)), 'TLOG_BODY_ERROR', /signature mismatch/);
      assertFails(() => verify(flipSignature(b.intoto)), 'TLOG_BODY_ERROR', /signature mismatch/);
    });

    it('rejects a flipped signature byte in an unlogged bundle (the TSA stamped the original signature)', () => {
      assertFails(
        () => verifyBundle(flipSignature(b.statementTsaOnly), { trust, npmPackage: demoPackage, tlogThreshold: 0 }),
        'TIMESTAMP_ERROR',
        /could not be verified/,
      );
    });

    it('rejects a changed payload (the log records the payload hash)', () => {
      assertFails(() => verify(otherRepoPayload(b.main)), 'TLOG_BODY_ERROR', /DSSE payload hash mismatch/);
    });

    it('rejects a changed payload or payloadType in an unlogged bundle by the envelope signature itself', () => {
      const options = { trust, npmPackage: demoPackage, tlogThreshold: 0 };
      assertFails(() => verifyBundle(otherRepoPayload(b.statementTsaOnly), options), 'SIGNATURE_ERROR', /DSSE envelope signature does not verify/);
      const retyped = tamper(b.statementTsaOnly, (copy) => {
        copy.dsseEnvelope.payloadType = 'application/vnd.in-toto+json; charset=utf-8';
      });
      assertFails(() => verifyBundle(retyped, options), 'SIGNATURE_ERROR', /DSSE envelope signature does not verify/);
    });
  });
});

// ---------------------------------------------------------------------------
// RFC 6962 reference Merkle tree (for the multi-leaf inclusion proof test)

function merkleHash(prefix: number, ...parts: Buffer[]): Buffer {
  const hash = crypto.createHash('sha256').update(Buffer.from([prefix]));
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function merkleRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return merkleHash(0, leaves[0]!);
  const k = splitPoint(leaves.length);
  return merkleHash(1, merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/** PATH(m, D[n]) of RFC 6962 §2.1.1, leaf side first. */
function merklePath(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  const k = splitPoint(leaves.length);
  return m < k
    ? [...merklePath(m, leaves.slice(0, k)), merkleRoot(leaves.slice(k))]
    : [...merklePath(m - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
}
