/**
 * Issue 7, hostile evidence: bundles and statements built to confuse the verifier, each rejected
 * with a clear reason (a VerificationError with its code, or a one-line FAIL from the CLI).
 *
 * Unsigned tampering starts from the demo's real bundles; signed hostile content (duplicate keys,
 * deep nesting, many subjects, another payload type) is signed through a local Sigstore stack, so
 * only the rule under test can reject it; certificates with odd encodings are made with
 * @peculiar/x509 (what @sigstore/mock's CA is built on).
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as x509 from '@peculiar/x509';
import { selfSignedCertificate } from './support/self-signed.js';
import { trustMaterialFromTrustedRoot } from '../src/trust/trusted-root.js';
import { VerificationError, type VerificationErrorCode } from '../src/verify/errors.js';
import { parseEvidenceJson } from '../src/verify/json-text.js';
import { classifyEvidence, verifyEvidence } from '../src/verify/npm-attestations.js';
import { signerIdentityFromCertificate } from '../src/verify/signer.js';
import { parseCertificate } from '../src/verify/x509/certificate.js';
import { DERError } from '../src/verify/x509/der-reader.js';
import { verifyArtifact } from '../src/verify/verify-artifact.js';
import { isOneCleanLine, runCli } from './support/cli.js';
import { signPayload } from './support/hostile-evidence.js';
import { assertNoStackTrace, auditJson, cleanEnv, DEMO, EVIL, GOOD, passingPolicy, readBundle, scratchDir, writeProject } from './support/hostile-project.js';
import { startLocalSigstore, type LocalSigstore } from './support/local-sigstore.js';

const demoTrust = trustMaterialFromTrustedRoot(JSON.parse(readFileSync(join(DEMO, 'trusted_root.json'), 'utf8')));
const goodPackage = { name: GOOD.name, version: GOOD.version, sha512: Buffer.from(GOOD.integrity.slice(7), 'base64') };
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const goodIdentity = { issuer: { kind: 'exact' as const, value: GITHUB_ISSUER }, repository: GOOD.identity.repository };

/** Verifies evidence text as `pkgseal verify` and the audit do: strict parse, then verification. */
function verifyGood(evidence: string | unknown): void {
  const document = typeof evidence === 'string' ? parseEvidenceJson(evidence, 'bundle') : evidence;
  verifyArtifact({ evidence: document, trust: demoTrust, npmPackage: goodPackage, expectedIdentity: goodIdentity });
}

function assertRejected(run: () => unknown, code: VerificationErrorCode, reason: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof VerificationError, `expected a VerificationError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, reason);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

type Bundle = Record<string, any>;
const goodBundle = (): Bundle => readBundle(GOOD) as Bundle;
const goodText = readFileSync(GOOD.bundleFile, 'utf8');

test('control: the untouched demo bundle verifies', () => {
  verifyGood(goodText);
});

describe('the log entry must name its signer', () => {
  const withLoggedVerifier = (verifier: unknown): Bundle => {
    const bundle = goodBundle();
    const entry = bundle.verificationMaterial.tlogEntries[0];
    const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8'));
    if (verifier === undefined) delete body.spec.signatures[0].verifier;
    else body.spec.signatures[0].verifier = verifier;
    entry.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
    return bundle;
  };
  for (const [name, verifier] of [['no verifier', undefined], ['a verifier that is not a PEM certificate', Buffer.from('not a certificate').toString('base64')]] as const) {
    test(`${name}: refused before its signatures are looked at`, () => {
      assertRejected(() => verifyGood(withLoggedVerifier(verifier)), 'TLOG_BODY_ERROR', /does not record the key or certificate that signed it/);
    });
  }
});

describe('huge fields', () => {
  test('a 24 MiB DSSE payload is rejected: the log recorded another payload', () => {
    const bundle = goodBundle();
    bundle.dsseEnvelope.payload = Buffer.alloc(24 * 1024 * 1024, 'x').toString('base64');
    assertRejected(() => verifyGood(JSON.stringify(bundle)), 'BUNDLE_PARSE_ERROR', /bundle is larger than 32 MiB: not evidence/);
  });

  test('a 1 MiB DSSE payload is rejected by the log entry, not read as a statement', () => {
    const bundle = goodBundle();
    bundle.dsseEnvelope.payload = Buffer.alloc(1024 * 1024, '{').toString('base64');
    assertRejected(() => verifyGood(JSON.stringify(bundle)), 'TLOG_BODY_ERROR', /does not record this signature/);
  });

  test('an 8 MiB DSSE payload is refused before it is decoded', () => {
    const bundle = goodBundle();
    bundle.dsseEnvelope.payload = Buffer.alloc(8 * 1024 * 1024, '{').toString('base64');
    assertRejected(() => verifyGood(JSON.stringify(bundle)), 'BUNDLE_PARSE_ERROR', /dsseEnvelope\.payload: too large to check as base64/);
  });

  test('a 1 MiB certificate of random bytes', () => {
    const bundle = goodBundle();
    bundle.verificationMaterial.certificate.rawBytes = Buffer.concat(Array.from({ length: 16 }, () => webcrypto.getRandomValues(Buffer.alloc(64 * 1024)))).toString('base64');
    assertRejected(() => verifyGood(JSON.stringify(bundle)), 'BUNDLE_PARSE_ERROR', /certificate 0 is not/);
  });

  test('a 10 MB log entry body', () => {
    const bundle = goodBundle();
    bundle.verificationMaterial.tlogEntries[0].canonicalizedBody = Buffer.from(`{"kind":"dsse","apiVersion":"0.0.1","spec":{"x":"${'y'.repeat(10_000_000)}"}}`).toString('base64');
    assertRejected(() => verifyGood(JSON.stringify(bundle)), 'BUNDLE_PARSE_ERROR', /canonicalizedBody: too large to check as base64/);
  });

  test('a 64-digit integrated time and log index', () => {
    const bundle = goodBundle();
    bundle.verificationMaterial.tlogEntries[0].integratedTime = '9'.repeat(64);
    assertRejected(() => verifyGood(bundle), 'TLOG_INCLUSION_PROMISE_ERROR', /impossible integrated time "9{64}"/);
  });
});

describe('deep nesting', () => {
  const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  test('100 000 levels in an unknown field are refused before anything reads them', () => {
    const text = goodText.replace(/^\{/, `{"extra": ${deep(100_000)},`);
    assertRejected(() => verifyGood(text), 'BUNDLE_PARSE_ERROR', /bundle nests deeper than 64 levels/);
  });

  test('65 levels inside an attestations document', () => {
    const text = JSON.stringify({ attestations: [{ predicateType: 'x', bundle: goodBundle() }] }).replace(/\}\]\}$/, `, "extra": ${deep(62)}}]}`);
    assertRejected(() => verifyGood(text), 'BUNDLE_PARSE_ERROR', /nests deeper than 64 levels/);
  });

  test('a real bundle nests well within the limit', () => {
    assert.doesNotThrow(() => parseEvidenceJson(JSON.stringify({ attestations: [{ predicateType: 'x', bundle: goodBundle() }] }), 'bundle'));
  });
});

describe('duplicated keys (JSON.parse keeps the last, other readers the first)', () => {
  const evilEnvelope = JSON.stringify((readBundle(EVIL) as Bundle).dsseEnvelope);

  test('two dsseEnvelope keys, the evil one first', () => {
    const text = goodText.replace(/^\{/, `{"dsseEnvelope": ${evilEnvelope},`);
    assertRejected(() => verifyGood(text), 'BUNDLE_PARSE_ERROR', /bundle has the key "dsseEnvelope" twice in one object/);
  });

  test('the same key spelled with an escape (\\u0045 for E)', () => {
    const text = goodText.replace(/^\{/, `{"dsse\\u0045nvelope": ${evilEnvelope},`);
    assertRejected(() => verifyGood(text), 'BUNDLE_PARSE_ERROR', /has the key "dsseEnvelope" twice/);
  });

  test('a duplicate deep inside the verification material', () => {
    const text = goodText.replace('"certificate": {', '"certificate": {"rawBytes": "AAAA", ');
    assertRejected(() => verifyGood(text), 'BUNDLE_PARSE_ERROR', /has the key "rawBytes" twice/);
  });

  test('two "attestations" keys in a registry document', () => {
    const text = `{"attestations": [], "attestations": ${JSON.stringify([{ predicateType: 'x', bundle: goodBundle() }])}}`;
    assertRejected(() => verifyGood(text), 'BUNDLE_PARSE_ERROR', /has the key "attestations" twice/);
  });

  test('equal keys in different objects are fine', () => {
    assert.doesNotThrow(() => parseEvidenceJson('{"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": 2}]}', 'bundle'));
  });
});

describe('wrong media types', () => {
  const cases: Array<[string, unknown]> = [
    ['missing', undefined],
    ['empty', ''],
    ['plain JSON', 'application/json'],
    ['a future version', 'application/vnd.dev.sigstore.bundle.v0.4+json'],
    ['a trailing space', 'application/vnd.dev.sigstore.bundle.v0.3+json '],
    ['upper case', 'APPLICATION/VND.DEV.SIGSTORE.BUNDLE.V0.3+JSON'],
    ['a number', 3],
    ['a trusted root', 'application/vnd.dev.sigstore.trustedroot+json;version=0.1'],
  ];
  for (const [name, mediaType] of cases) {
    test(name, () => {
      const bundle = goodBundle();
      bundle.mediaType = mediaType;
      assertRejected(() => verifyGood(bundle), 'BUNDLE_UNSUPPORTED', /unsupported bundle media type/);
    });
  }

  test('a v0.1 media type on a v0.3 bundle (a single certificate is not a v0.1 chain)', () => {
    const bundle = goodBundle();
    bundle.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
    assertRejected(() => verifyGood(bundle), 'BUNDLE_PARSE_ERROR', /a v0\.1 bundle must carry a certificate chain, not a single certificate/);
  });

  test('an unsigned payloadType change', () => {
    const bundle = goodBundle();
    bundle.dsseEnvelope.payloadType = 'application/json';
    assertRejected(() => verifyGood(bundle), 'SIGNATURE_ERROR', /DSSE envelope signature does not verify/);
  });
});

describe('certificates with odd encodings, in the bundle', () => {
  const leafDer = () => Buffer.from(goodBundle().verificationMaterial.certificate.rawBytes, 'base64');
  const withCertificate = (rawBytes: string | Buffer): Bundle => {
    const bundle = goodBundle();
    bundle.verificationMaterial.certificate.rawBytes = typeof rawBytes === 'string' ? rawBytes : rawBytes.toString('base64');
    return bundle;
  };
  const pem = () => `-----BEGIN CERTIFICATE-----\n${leafDer().toString('base64')}\n-----END CERTIFICATE-----\n`;
  /** The outer SEQUENCE with a 3-byte length where 2 suffice: BER, not DER. */
  const nonMinimalLength = () => {
    const der = leafDer();
    assert.equal(der[1], 0x82);
    return Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), der.subarray(2)]);
  };
  const caRoot = () => Buffer.from((JSON.parse(readFileSync(join(DEMO, 'trusted_root.json'), 'utf8')) as Bundle).certificateAuthorities[0].certChain.certificates[0].rawBytes, 'base64');

  const cases: Array<[string, () => Bundle, VerificationErrorCode, RegExp]> = [
    ['PEM text instead of DER', () => withCertificate(Buffer.from(pem())), 'BUNDLE_PARSE_ERROR', /certificate 0 is not/],
    ['DER followed by trailing bytes', () => withCertificate(Buffer.concat([leafDer(), Buffer.from([0, 0])])), 'BUNDLE_PARSE_ERROR', /not exactly one DER-encoded certificate/],
    ['a BER length (not DER)', () => withCertificate(nonMinimalLength()), 'BUNDLE_PARSE_ERROR', /certificate 0 is not/],
    ['truncated', () => withCertificate(leafDer().subarray(0, 300)), 'BUNDLE_PARSE_ERROR', /certificate 0 is not valid X\.509/],
    ['empty', () => withCertificate(''), 'BUNDLE_PARSE_ERROR', /certificate|rawBytes/],
    ['base64 with a character outside the alphabet', () => withCertificate(`${leafDer().toString('base64').slice(0, 40)}!${leafDer().toString('base64').slice(41)}`), 'BUNDLE_PARSE_ERROR', /rawBytes: invalid base64/],
    ['the CA root in place of the signing certificate', () => withCertificate(caRoot()), 'TLOG_BODY_ERROR', /does not record this signature/],
    ["the evil package's certificate in the good bundle", () => withCertificate(Buffer.from((readBundle(EVIL) as Bundle).verificationMaterial.certificate.rawBytes, 'base64')), 'TLOG_BODY_ERROR', /does not record this signature/],
    [
      'a chain in a v0.3 bundle',
      () => {
        const bundle = goodBundle();
        bundle.verificationMaterial.x509CertificateChain = { certificates: [bundle.verificationMaterial.certificate, { rawBytes: caRoot().toString('base64') }] };
        delete bundle.verificationMaterial.certificate;
        return bundle;
      },
      'BUNDLE_PARSE_ERROR',
      /bad or missing verificationMaterial\.content/,
    ],
  ];
  for (const [name, bundle, code, reason] of cases) {
    test(name, () => assertRejected(() => verifyGood(JSON.stringify(bundle())), code, reason));
  }
});

describe('certificates with odd encodings: who signed is read strictly', () => {
  const FULCIO = '1.3.6.1.4.1.57264.1';
  const SAN_URI = 'https://github.com/acme/lib/.github/workflows/release.yml@refs/tags/v1.0.0';

  /** DER TLV with a minimal length. */
  const tlv = (tag: number, content: Buffer): Buffer => {
    const length = content.length < 0x80 ? Buffer.from([content.length]) : content.length < 0x100 ? Buffer.from([0x81, content.length]) : Buffer.from([0x82, content.length >> 8, content.length & 0xff]);
    return Buffer.concat([Buffer.from([tag]), length, content]);
  };
  const utf8String = (text: string | Buffer) => tlv(0x0c, Buffer.from(text));
  const sanOf = (...names: Buffer[]) => new x509.Extension('2.5.29.17', false, tlv(0x30, Buffer.concat(names)));
  const uriName = (uri: string | Buffer) => tlv(0x86, Buffer.from(uri as string, typeof uri === 'string' ? 'latin1' : undefined));
  const issuerExtension = (value: Buffer) => new x509.Extension(`${FULCIO}.8`, false, value);

  async function identityOf(extensions: x509.Extension[]) {
    const der = await selfSignedCertificate('hostile', extensions);
    return () => signerIdentityFromCertificate(parseCertificate(der));
  }

  test('control: a URI SAN and a UTF8String issuer', async () => {
    const identity = (await identityOf([sanOf(uriName(SAN_URI)), issuerExtension(utf8String(GITHUB_ISSUER))]))();
    assert.deepEqual([identity.subject, identity.issuer], [SAN_URI, GITHUB_ISSUER]);
  });

  const cases: Array<[string, () => x509.Extension[], RegExp]> = [
    ['an issuer as raw bytes (the legacy encoding) in a DER-only extension', () => [sanOf(uriName(SAN_URI)), issuerExtension(Buffer.from(GITHUB_ISSUER))], /\.8 is not a DER UTF8String/],
    ['an issuer as a PrintableString', () => [sanOf(uriName(SAN_URI)), issuerExtension(tlv(0x13, Buffer.from(GITHUB_ISSUER)))], /\.8 is not a DER UTF8String/],
    ['an issuer with bytes after the UTF8String', () => [sanOf(uriName(SAN_URI)), issuerExtension(Buffer.concat([utf8String(GITHUB_ISSUER), Buffer.from([0x0c, 0x00])]))], /\.8 is not a DER UTF8String/],
    ['an issuer that is not valid UTF-8', () => [sanOf(uriName(SAN_URI)), issuerExtension(utf8String(Buffer.concat([Buffer.from('https://token.actions.githubusercontent.com'), Buffer.from([0xff])])))], /not valid UTF-8/],
    ['the issuer extension twice, with two values', () => [sanOf(uriName(SAN_URI)), issuerExtension(utf8String('https://evil.example')), issuerExtension(utf8String(GITHUB_ISSUER))], /extension 1\.3\.6\.1\.4\.1\.57264\.1\.8 more than once/],
    ['a SAN whose high bits a 7-bit reader drops (\\xe7ithub.com reads as github.com)', () => [sanOf(uriName(Buffer.from('https://\xe7ithub.com/acme/lib/.github/workflows/release.yml@refs/tags/v1.0.0', 'latin1'))), issuerExtension(utf8String(GITHUB_ISSUER))], /not printable ASCII/],
    ['two SANs (an evil one first)', () => [sanOf(uriName('https://github.com/evil/lib/.github/workflows/release.yml@refs/tags/v1.0.0'), uriName(SAN_URI)), issuerExtension(utf8String(GITHUB_ISSUER))], /has 2 subject alternative names/],
    ['no SAN at all', () => [issuerExtension(utf8String(GITHUB_ISSUER))], /no subject alternative name/],
    ['only a DNS name', () => [sanOf(tlv(0x82, Buffer.from('github.com'))), issuerExtension(utf8String(GITHUB_ISSUER))], /no URI, e-mail or username subject alternative name/],
    ['an empty URI', () => [sanOf(uriName('')), issuerExtension(utf8String(GITHUB_ISSUER))], /not printable ASCII/],
  ];
  for (const [name, extensions, reason] of cases) {
    test(name, async () => assertRejected(await identityOf(extensions()), 'CERTIFICATE_ERROR', reason));
  }

  test('an issuer with a BER long-form length: the certificate is not DER, so it is not read at all', async () => {
    const berIssuer = Buffer.concat([Buffer.from([0x0c, 0x81, GITHUB_ISSUER.length]), Buffer.from(GITHUB_ISSUER)]);
    const read = await identityOf([sanOf(uriName(SAN_URI)), issuerExtension(berIssuer)]);
    assert.throws(read, (error: unknown) => error instanceof DERError && error.problem === 'non-minimal-length');
  });
});

describe('DSSE envelopes with several signatures', () => {
  const cases: Array<[string, (signatures: unknown[], evil: unknown[]) => unknown[]]> = [
    ['the same signature twice', (own) => [...own, ...own]],
    ['the good signature and an evil one', (own, evil) => [...own, ...evil]],
    ['an evil one first', (own, evil) => [...evil, ...own]],
    ['a thousand', (own) => Array.from({ length: 1000 }, () => own[0])],
    ['none', () => []],
  ];
  for (const [name, signatures] of cases) {
    test(name, () => {
      const bundle = goodBundle();
      bundle.dsseEnvelope.signatures = signatures(bundle.dsseEnvelope.signatures, (readBundle(EVIL) as Bundle).dsseEnvelope.signatures);
      assertRejected(() => verifyGood(bundle), 'BUNDLE_PARSE_ERROR', /DSSE envelope must carry exactly one signature, found \d+|signatures/);
    });
  }
});

describe('signed hostile statements (signed through a local Sigstore stack)', () => {
  let ls: LocalSigstore;
  const signed: Record<string, Bundle> = {};
  const subject = (name: string, sha512: string) => ({ name, digest: { sha512 } });
  const ownSubject = subject('pkg:npm/%40demo/good-lib@1.0.0', goodPackage.sha512.toString('hex'));
  const statementText = (subjects: unknown[], extra = '') => `{"_type":"https://in-toto.io/Statement/v1","subject":${JSON.stringify(subjects)},"predicateType":"https://slsa.dev/provenance/v1","predicate":{}${extra}}`;
  const claims = { iss: GITHUB_ISSUER, repository: 'demo-org/good-lib', job_workflow_ref: 'demo-org/good-lib/.github/workflows/release.yml@refs/tags/v1.0.0' };

  before(async () => {
    ls = await startLocalSigstore();
    const payloads: Record<string, [string, string?]> = {
      control: [statementText([ownSubject])],
      twoSubjects: [statementText([ownSubject, subject('pkg:npm/%40demo/evil-lib@1.0.0', 'ab'.repeat(64))])],
      manySubjects: [statementText([...Array.from({ length: 10_000 }, (_, i) => subject(`pkg:npm/filler-${i}@1.0.0`, 'cd'.repeat(64))), ownSubject])],
      duplicateSubject: [statementText([subject('pkg:npm/%40demo/evil-lib@1.0.0', 'ab'.repeat(64))]).replace(/\}$/, `,"subject":${JSON.stringify([ownSubject])}}`)],
      duplicateDigest: [statementText([{ name: ownSubject.name, digest: { sha512: 'ab'.repeat(64) } }]).replace(`"sha512":"${'ab'.repeat(64)}"`, `"sha512":"${'ab'.repeat(64)}","sha512":"${ownSubject.digest.sha512}"`)],
      deepPredicate: [statementText([ownSubject]).replace('"predicate":{}', `"predicate":${'['.repeat(200)}${']'.repeat(200)}`)],
      otherPayloadType: [statementText([ownSubject]), 'application/json'],
      notJson: ['not a statement'],
    };
    await Promise.all(
      Object.entries(payloads).map(async ([name, [payload, payloadType]]) => {
        signed[name] = (await signPayload(ls, payload, claims, payloadType)) as Bundle;
      }),
    );
  });
  after(async () => ls?.close());

  const verifySigned = (name: string) => () => verifyEvidence(classifyEvidence(signed[name]), { trust: trustMaterialFromTrustedRoot(ls.trustedRoot), npmPackage: goodPackage });

  test('control: the same signing path makes a bundle that verifies', () => {
    const [verified] = verifySigned('control')();
    assert.equal(verified!.statement!.subjects[0]!.name, ownSubject.name);
  });

  const cases: Array<[string, string, VerificationErrorCode, RegExp]> = [
    ['two subjects, one of them right', 'twoSubjects', 'SUBJECT_MISMATCH', /npm statement must have exactly one subject, found 2/],
    ['10 001 subjects, the last one right', 'manySubjects', 'SUBJECT_MISMATCH', /exactly one subject, found 10001/],
    ['"subject" twice: an evil one, then the right one', 'duplicateSubject', 'STATEMENT_ERROR', /DSSE payload has the key "subject" twice/],
    ['"sha512" twice in one digest', 'duplicateDigest', 'STATEMENT_ERROR', /has the key "sha512" twice/],
    ['a predicate nested 200 levels deep', 'deepPredicate', 'STATEMENT_ERROR', /DSSE payload nests deeper than 64 levels/],
    ['another payload type', 'otherPayloadType', 'STATEMENT_ERROR', /unsupported DSSE payload type "application\/json"/],
    ['a payload that is not JSON', 'notJson', 'STATEMENT_ERROR', /DSSE payload is not JSON/],
  ];
  for (const [name, bundle, code, reason] of cases) {
    test(name, () => assertRejected(verifySigned(bundle), code, reason));
  }
});

describe('through the CLI: one clean line, never a pass', () => {
  const dir = scratchDir('evidence-cli');
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const verifyArgs = (bundle: string) => ['verify', GOOD.tarballFile, '--bundle', bundle, '--trusted-root', join(DEMO, 'trusted_root.json'), '--cert-identity-regexp', '.*', '--cert-oidc-issuer', GITHUB_ISSUER, '--repository', GOOD.identity.repository];

  test('control: pkgseal verify passes the real bundle', async () => {
    const result = await runCli(verifyArgs(GOOD.bundleFile));
    assert.equal(result.code, 0, result.stdout + result.stderr);
  });

  const hostile: Array<[string, () => string, RegExp]> = [
    ['duplicate keys', () => goodText.replace(/^\{/, `{"dsseEnvelope": ${JSON.stringify((readBundle(EVIL) as Bundle).dsseEnvelope)},`), /has the key "dsseEnvelope" twice/],
    ['deep nesting', () => goodText.replace(/^\{/, `{"extra": ${'['.repeat(50_000)}${']'.repeat(50_000)},`), /nests deeper than 64 levels/],
    ['33 MiB', () => goodText.replace(/^\{/, `{"extra": "${'x'.repeat(33 * 1024 * 1024)}",`), /larger than 32 MiB/],
    ["another package's bundle", () => readFileSync(EVIL.bundleFile, 'utf8'), /statement is about pkg:npm\/%40demo\/evil-lib@1\.0\.0/],
    ['a certificate with trailing bytes', () => {
      const bundle = goodBundle();
      bundle.verificationMaterial.certificate.rawBytes = Buffer.concat([Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'), Buffer.from([0])]).toString('base64');
      return JSON.stringify(bundle);
    }, /not exactly one DER-encoded certificate/],
  ];
  for (const [name, text, reason] of hostile) {
    test(`pkgseal verify: ${name}`, async () => {
      const result = await runCli(verifyArgs(write(`${name.replace(/\W+/g, '-')}.json`, text())));
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.ok(isOneCleanLine(result.stdout), result.stdout);
      assert.match(result.stdout, /^FAIL: /);
      assert.match(result.stdout, reason);
      assertNoStackTrace(result.stderr);
    });
  }

  for (const [name, text, reason] of hostile.slice(0, 4)) {
    test(`pkgseal audit (dir source): ${name}`, async () => {
      const project = writeProject(`evidence-${name.replace(/\W+/g, '-')}`, 'https://registry.npmjs.org/', passingPolicy([{ dir: './evidence' }]));
      for (const pkg of [GOOD, EVIL]) {
        const file = join(project, 'evidence', `${pkg.name}@${pkg.version}.sigstore.json`);
        (await import('node:fs')).mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, pkg === GOOD ? text() : readFileSync(pkg.bundleFile, 'utf8'));
      }
      const audit = await auditJson(project, ['--offline'], cleanEnv());
      assert.equal(audit.code, 1, audit.raw);
      assertNoStackTrace(audit.cli.stderr);
      assert.equal(audit.result(EVIL).outcome, 'pass', audit.raw);
      assert.equal(audit.result(GOOD).outcome, 'violation');
      assert.match(audit.result(GOOD).reason, reason);
    });
  }
});
