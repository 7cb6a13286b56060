import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isOneCleanLine, runCli } from './support/cli.js';
import { fetchTarball } from './support/npm-pack.js';
import { provenanceCases, REALDATA, realdataSkip, type ProvenanceCase } from './support/realdata.js';


const folder = join(REALDATA, 'npm-provenance');
const cases = provenanceCases();

/** The package's .tgz where the registry has it, else its sha512 digest plus --package. */
async function artifactArguments(testCase: ProvenanceCase): Promise<string[]> {
  const spec = `${testCase.package.name}@${testCase.package.version}`;
  if (testCase.integrity_provenance.startsWith('npm registry mirror')) return [await fetchTarball(testCase.package.name, testCase.package.version)];
  const sha512 = Buffer.from(testCase.integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
  return [`sha512:${sha512}`, '--package', spec];
}

describe('real npm provenance through `pkgseal verify`', { skip: realdataSkip, concurrency: 4 }, () => {
  for (const testCase of cases) {
    test(`${testCase.id} is expected to ${testCase.expected}`, async () => {
      const [artifact, ...packageFlags] = await artifactArguments(testCase);
      const result = await runCli([
        'verify',
        artifact!,
        ...packageFlags,
        '--bundle',
        join(folder, testCase.file),
        '--cert-identity',
        testCase.expected_provenance_signer.san,
        '--cert-oidc-issuer',
        testCase.expected_provenance_signer.issuer,
        '--offline',
      ]);
      if (testCase.expected === 'pass') {
        assert.equal(result.code, 0, `expected OK, got: ${result.stdout}${result.stderr}`);
      } else {
        assert.equal(result.code, 1, `expected FAIL (exit 1), got exit ${result.code}: ${result.stdout}${result.stderr}`);
        assert.ok(result.stdout.startsWith(`FAIL: ${artifact}: `) && isOneCleanLine(result.stdout), result.stdout);
      }
    });
  }

  test('a tarball is checked against its own package.json name and version', async () => {
    const tarball = await fetchTarball('sigstore', '2.3.1');
    const result = await runCli(['verify', tarball, '--package', 'sigstore@1.0.0', '--bundle', join(folder, 'attestations/npmcli__valid-sigstore-attestations.json'), '--cert-identity', 'x', '--cert-oidc-issuer', 'y']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /does not match the tarball's package\.json \(sigstore@2\.3\.1\)/);
  });

  test('the unsigned registry wrapper must name the predicateType that was signed', async () => {
    const sigstore231 = cases.find((candidate) => candidate.id === 'sigstore-2.3.1')!;
    const document = JSON.parse(readFileSync(join(folder, sigstore231.file), 'utf8')) as { attestations: Array<{ predicateType: string }> };
    const provenance = document.attestations.find((attestation) => attestation.predicateType.startsWith('https://slsa.dev/provenance/'))!;
    provenance.predicateType = 'https://slsa.dev/provenance/v0.2';
    const relabelled = join(mkdtempSync(join(tmpdir(), 'pkgseal-wrapper-')), 'attestations.json');
    writeFileSync(relabelled, JSON.stringify(document));
    const result = await runCli(['verify', await fetchTarball('sigstore', '2.3.1'), '--bundle', relabelled, '--cert-identity', sigstore231.expected_provenance_signer.san, '--cert-oidc-issuer', sigstore231.expected_provenance_signer.issuer]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /wrapper predicateType "https:\/\/slsa\.dev\/provenance\/v0\.2" differs from the signed "https:\/\/slsa\.dev\/provenance\/v1"/);
  });

  test('a registry key trusted only for npm:signatures cannot vouch for a publish attestation', async () => {
    const sigstore100 = cases.find((candidate) => candidate.id === 'sigstore-1.0.0')!;
    const allKeys = JSON.parse(readFileSync(join(REALDATA, 'trust/npm-registry-keys.json'), 'utf8')) as { keys: Array<{ keyUsage: string }> };
    const signaturesOnly = join(mkdtempSync(join(tmpdir(), 'pkgseal-keys-')), 'keys.json');
    writeFileSync(signaturesOnly, JSON.stringify({ keys: allKeys.keys.filter((key) => key.keyUsage === 'npm:signatures') }));
    const result = await runCli(['verify', await fetchTarball('sigstore', '1.0.0'), '--bundle', join(folder, sigstore100.file), '--registry-keys', signaturesOnly, '--cert-identity', sigstore100.expected_provenance_signer.san, '--cert-oidc-issuer', sigstore100.expected_provenance_signer.issuer]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /publish\/v0\.1\): no trusted key for hint "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"/);
  });

  test('the 2022 npm attestation key verifies entries logged while it was valid, not by today', async () => {
    const sigstore100 = cases.find((candidate) => candidate.id === 'sigstore-1.0.0')!;
    const tarball = await fetchTarball('sigstore', '1.0.0');
    const keysEndedBeforeLogging = join(REALDATA, 'npm-signatures/keys/npm-cli-test.expired.keys.json');
    const base = ['verify', tarball, '--bundle', join(folder, sigstore100.file), '--cert-identity', sigstore100.expected_provenance_signer.san, '--cert-oidc-issuer', sigstore100.expected_provenance_signer.issuer];
    const withCurrentKeys = await runCli(base);
    assert.equal(withCurrentKeys.code, 0, withCurrentKeys.stdout + withCurrentKeys.stderr);
    const withKeyExpiredAtLogTime = await runCli([...base, '--registry-keys', keysEndedBeforeLogging]);
    assert.equal(withKeyExpiredAtLogTime.code, 1);
    assert.match(withKeyExpiredAtLogTime.stdout, /no trusted key for hint|was not valid at/);
  });
});
