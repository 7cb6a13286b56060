import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { readRealdataJson, REALDATA, realdataSkip } from './support/realdata.js';

interface ConformanceCase {
  id: string;
  expected: 'pass' | 'fail';
  bundle: string;
  artifact: string;
  artifact_digest: string;
  trusted_root: string;
  verification: { type: 'keyless'; certificate_identity: string; certificate_oidc_issuer: string } | { type: 'key'; public_key_pem: string | null };
}

interface ConformanceIndex {
  semantics: { default_identity: string; default_issuer: string };
  cases: ConformanceCase[];
}

const folder = join(REALDATA, 'conformance');

/** Each failing case must fail for the reason it was built for, not merely fail. */
const EXPECTED_FAILURE_CODES: Record<string, string> = {
  'bundle-empty-certificate-chain_fail': 'BUNDLE_PARSE_ERROR',
  'bundle-invalid-base64-signature_fail': 'BUNDLE_PARSE_ERROR',
  'bundle-malformed-json_fail': 'BUNDLE_PARSE_ERROR',
  'bundle-negative-log-index_fail': 'BUNDLE_PARSE_ERROR',
  'bundle-unknown-version_fail': 'BUNDLE_UNSUPPORTED',
  'checkpoint-bad-keyhint_fail': 'TLOG_CHECKPOINT_ERROR',
  'dsse-invalid-sig_fail': 'TLOG_BODY_ERROR',
  'dsse-mismatch-envelope_fail': 'TLOG_BODY_ERROR',
  'incorrect-public-key_fail': 'TLOG_BODY_ERROR',
  'intoto-expired-certificate_fail': 'CERTIFICATE_ERROR',
  'intoto-log-entry-mismatch_fail': 'TLOG_BODY_ERROR',
  'intoto-missing-inclusion-proof_fail': 'BUNDLE_PARSE_ERROR',
  'intoto-tsa-timestamp-outside-cert-validity_fail': 'CERTIFICATE_ERROR',
  'invalid-checkpoint-signature_fail': 'TLOG_CHECKPOINT_ERROR',
  'invalid-ct-key_fail': 'SCT_ERROR',
  'invalid-inclusion-proof_fail': 'BUNDLE_PARSE_ERROR',
  'managed-key-no-key_fail': 'PUBLIC_KEY_ERROR',
  'message-digest-mismatch_fail': 'TLOG_BODY_ERROR',
  'rekor2-checkpoint-missing-log-signature_fail': 'TLOG_CHECKPOINT_ERROR',
  'rekor2-checkpoint-missing-origin_fail': 'TLOG_CHECKPOINT_ERROR',
  'rekor2-checkpoint-missing-root-hash_fail': 'TLOG_CHECKPOINT_ERROR',
  'rekor2-checkpoint-missing-size_fail': 'TLOG_CHECKPOINT_ERROR',
  'rekor2-dsse-invalid-sig_fail': 'TLOG_BODY_ERROR',
  'rekor2-dsse-mismatch-sig_fail': 'TLOG_BODY_ERROR',
  'rekor2-no-inclusion-proof_fail': 'BUNDLE_PARSE_ERROR',
  'rekor2-no-timestamp_fail': 'TIMESTAMP_ERROR',
  'rekor2-timestamp-outside-trust-root-tsa-validity_fail': 'TIMESTAMP_ERROR',
  'rekor2-timestamp-outside-tsa-cert-validity_fail': 'TIMESTAMP_ERROR',
  'rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail': 'TIMESTAMP_ERROR',
  'rekor2-timestamp-with-incorrect-time_fail': 'CERTIFICATE_ERROR',
  'set-invalid-signature_fail': 'TLOG_INCLUSION_PROMISE_ERROR',
  'signature-mismatch_fail': 'TLOG_BODY_ERROR',
  'wrong-hashedrekord-artifact_fail': 'TLOG_BODY_ERROR',
  'wrong-hashedrekord-cert-and-sig_fail': 'TLOG_BODY_ERROR',
};
const index = realdataSkip ? { semantics: { default_identity: '', default_issuer: '' }, cases: [] } : readRealdataJson<ConformanceIndex>('conformance/cases.json');

function signerFlags(testCase: ConformanceCase): string[] {
  const { verification } = testCase;
  if (verification.type === 'key' && verification.public_key_pem) return ['--key', join(folder, verification.public_key_pem)];
  // As the conformance client does: without key.pub, verify with the default identity.
  const identity = verification.type === 'keyless' ? verification.certificate_identity : index.semantics.default_identity;
  const issuer = verification.type === 'keyless' ? verification.certificate_oidc_issuer : index.semantics.default_issuer;
  return ['--cert-identity', identity, '--cert-oidc-issuer', issuer];
}

function trustedRootPath(testCase: ConformanceCase): string {
  return testCase.trusted_root === 'public-good' ? join(REALDATA, 'trust/public-good.trusted_root.json') : join(folder, testCase.trusted_root);
}

describe('sigstore-conformance bundle-verify cases through `pkgseal verify`', { skip: realdataSkip, concurrency: 4 }, () => {
  for (const testCase of index.cases) {
    for (const [form, artifact] of [
      ['file', join(folder, testCase.artifact)],
      ['sha256 digest', testCase.artifact_digest],
    ] as const) {
      test(`${testCase.id} (${form}) is expected to ${testCase.expected}`, async () => {
        const result = await runCli(['verify', artifact, '--bundle', join(folder, testCase.bundle), '--trusted-root', trustedRootPath(testCase), ...signerFlags(testCase)]);
        if (testCase.expected === 'pass') {
          assert.equal(result.code, 0, `expected OK, got: ${result.stdout}${result.stderr}`);
          assert.equal(result.stdout, `OK: ${artifact}\n`);
        } else {
          assert.equal(result.code, 1, `expected FAIL (exit 1), got exit ${result.code}: ${result.stdout}${result.stderr}`);
          assert.match(result.stdout, new RegExp(`^FAIL: ${artifact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`));
          assert.ok(isOneCleanLine(result.stdout));
        }
      });
      if (testCase.expected === 'fail' && form === 'sha256 digest') {
        test(`${testCase.id} fails for its own reason (${EXPECTED_FAILURE_CODES[testCase.id]})`, async () => {
          const result = await runCli(['verify', artifact, '--format', 'json', '--bundle', join(folder, testCase.bundle), '--trusted-root', trustedRootPath(testCase), ...signerFlags(testCase)]);
          assert.equal(JSON.parse(result.stdout).error.code, EXPECTED_FAILURE_CODES[testCase.id], result.stdout);
        });
      }
    }
  }
});

describe('verify --format json on a real bundle', { skip: realdataSkip }, () => {
  test('reports the verified signer, log entries and timestamps', async () => {
    const testCase = index.cases.find((candidate) => candidate.id === 'happy-path-v0.3')!;
    const result = await runCli(['verify', testCase.artifact_digest, '--bundle', join(folder, testCase.bundle), '--format', 'json', ...signerFlags(testCase)]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.verified, true);
    const [attestation] = report.attestations;
    assert.equal(attestation.signer.issuer, index.semantics.default_issuer);
    assert.equal(attestation.signer.subject, index.semantics.default_identity);
    assert.equal(attestation.signer.repository, 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon');
    assert.equal(attestation.tlogEntries.length, 1);
    assert.ok(attestation.timestamps.length >= 1);
  });
});
