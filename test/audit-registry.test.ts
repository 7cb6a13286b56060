import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './support/cli.js';
import { readRealdataJson, REALDATA, realdataSkip } from './support/realdata.js';
import { startStaticRegistry, type StaticRegistry } from './support/static-registry.js';
import { createRegistryKey, startVerdaccio, type Verdaccio } from './support/verdaccio.js';

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-audit-registry-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface LockedPackage {
  name: string;
  version: string;
  integrity: string;
}

/** A consumer project: a v3 lockfile resolving from `registry`, an .npmrc pointing at it, a policy. */
function consumer(id: string, registry: string, packages: LockedPackage[], policy: object): string {
  const dir = join(scratch, id);
  mkdirSync(dir, { recursive: true });
  const entries = Object.fromEntries(
    packages.map(({ name, version, integrity }) => [
      `node_modules/${name}`,
      { version, resolved: `${registry}${name}/-/${name.split('/').pop()}-${version}.tgz`, integrity },
    ]),
  );
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: id, lockfileVersion: 3, requires: true, packages: { '': { name: id }, ...entries } }));
  writeFileSync(join(dir, '.npmrc'), `registry=${registry}\n`);
  writeFileSync(join(dir, 'pkgseal.policy.json'), JSON.stringify(policy));
  return dir;
}

function integrityOf(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

async function auditJson(dir: string): Promise<{ code: number; results: Map<string, { outcome: string; reason: string }>; raw: string }> {
  const result = await runCli(['audit', dir, '--format', 'json'], { env: { ...process.env, npm_config_registry: '' } });
  let report: { results: Array<{ name: string; version: string; outcome: string; reason: string }> };
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`audit printed no JSON (exit ${result.code}): ${result.stdout}${result.stderr}`);
  }
  return { code: result.code, results: new Map(report.results.map((r) => [`${r.name}@${r.version}`, r])), raw: result.stdout + result.stderr };
}

describe('registry signatures against Verdaccio on 127.0.0.1', () => {
  let verdaccio: Verdaccio;
  const key = createRegistryKey();
  const packages: Record<string, LockedPackage> = {};

  before(async () => {
    verdaccio = await startVerdaccio();
    const publish = async (name: string, signWith: 'same' | 'other-integrity' | 'none') => {
      const bytes = Buffer.from(`tarball of ${name}`);
      const integrity = integrityOf(bytes);
      const signatures =
        signWith === 'none' ? [] : [key.sign(name, '1.0.0', signWith === 'same' ? integrity : integrityOf(Buffer.from('something else')))];
      await verdaccio.publish(bytes, { name, version: '1.0.0' }, signatures.length > 0 ? { signatures } : {});
      packages[name] = { name, version: '1.0.0', integrity };
    };
    await publish('@acme/signed', 'same');
    await publish('@acme/resigned', 'other-integrity');
    await publish('@acme/unsigned', 'none');
  });
  after(async () => verdaccio?.close());

  function policyWithKeys(keysFile: string) {
    return {
      version: 1,
      mode: 'enforce',
      trust: [{ name: 'public-good' }, { registry: verdaccio.url, keys: keysFile }],
      sources: ['registry'],
      defaults: { require: 'registry-signature' },
    };
  }

  test('a correctly signed package passes; a re-signed integrity and a missing signature fail', async () => {
    const dir = consumer('verdaccio', verdaccio.url, Object.values(packages), {});
    const keysFile = join(dir, 'registry-keys.json');
    writeFileSync(keysFile, JSON.stringify(key.keysJson({ start: '2020-01-01T00:00:00Z' })));
    writeFileSync(join(dir, 'pkgseal.policy.json'), JSON.stringify(policyWithKeys(keysFile)));
    const { code, results, raw } = await auditJson(dir);
    assert.equal(code, 1, raw);
    assert.equal(results.get('@acme/signed@1.0.0')?.outcome, 'pass', raw);
    assert.match(results.get('@acme/signed@1.0.0')!.reason, /registry signature by SHA256:pkgseal-test-registry-key/);
    assert.equal(results.get('@acme/resigned@1.0.0')?.outcome, 'violation');
    assert.match(results.get('@acme/resigned@1.0.0')!.reason, /@acme\/resigned@1\.0\.0.*signature/i);
    assert.equal(results.get('@acme/unsigned@1.0.0')?.outcome, 'violation');
    assert.match(results.get('@acme/unsigned@1.0.0')!.reason, /no registry signature/);
  });

  test('a key whose validity ended before the version was published fails', async () => {
    const dir = consumer('verdaccio-expired-key', verdaccio.url, [packages['@acme/signed']!], {});
    const keysFile = join(dir, 'registry-keys.json');
    writeFileSync(keysFile, JSON.stringify(key.keysJson({ start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' })));
    writeFileSync(join(dir, 'pkgseal.policy.json'), JSON.stringify(policyWithKeys(keysFile)));
    const { code, results, raw } = await auditJson(dir);
    assert.equal(code, 1, raw);
    assert.equal(results.get('@acme/signed@1.0.0')?.outcome, 'violation');
    assert.match(results.get('@acme/signed@1.0.0')!.reason, /not valid|expired|valid until|2021-01-01/i);
  });

  test('a lockfile integrity that differs from the registry fails before any signature is trusted', async () => {
    const tampered = { ...packages['@acme/signed']!, integrity: integrityOf(Buffer.from('a different tarball')) };
    const dir = consumer('verdaccio-tampered', verdaccio.url, [tampered], {});
    const keysFile = join(dir, 'registry-keys.json');
    writeFileSync(keysFile, JSON.stringify(key.keysJson({ start: '2020-01-01T00:00:00Z' })));
    writeFileSync(join(dir, 'pkgseal.policy.json'), JSON.stringify(policyWithKeys(keysFile)));
    const { code, results, raw } = await auditJson(dir);
    assert.equal(code, 1, raw);
    assert.match(results.get('@acme/signed@1.0.0')!.reason, /registry's integrity .* differs from the lockfile's/);
  });

  test('an unreachable registry fails closed with the reason', async () => {
    const dir = consumer('unreachable', 'http://127.0.0.1:9/', [packages['@acme/signed']!], {});
    writeFileSync(join(dir, 'pkgseal.policy.json'), JSON.stringify({ version: 1, sources: ['registry'], defaults: { require: 'registry-signature' } }));
    const { code, results, raw } = await auditJson(dir);
    assert.equal(code, 1, raw);
    assert.equal(results.get('@acme/signed@1.0.0')?.outcome, 'violation');
    assert.match(results.get('@acme/signed@1.0.0')!.reason, /could not gather evidence: .*127\.0\.0\.1:9/);
  });
});

interface SignatureCase {
  id: string;
  expected: 'pass' | 'fail';
  name: string;
  version: string;
  integrity: string;
  signature: { keyid: string; sig: string };
  keys: string;
}

/** Old-key signatures were made while that key was valid (it ended 2025-01-29); newer ones after the rotation. */
function publishTimeFor(signature: { keyid: string }): string {
  return signature.keyid === 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA' ? '2023-06-01T00:00:00.000Z' : '2025-06-01T00:00:00.000Z';
}

describe('real npm registry signatures through `pkgseal audit` against a registry on 127.0.0.1', { skip: realdataSkip }, () => {
  const cases = realdataSkip ? [] : readRealdataJson<{ cases: SignatureCase[] }>('npm-signatures/cases.json').cases;
  for (const testCase of cases) {
    test(`${testCase.id} is expected to ${testCase.expected}`, async () => {
      const keysDocument = readRealdataJson<object>(testCase.keys);
      let registry: StaticRegistry | undefined;
      try {
        registry = await startStaticRegistry({
          keys: keysDocument,
          packuments: {
            [testCase.name]: {
              name: testCase.name,
              versions: { [testCase.version]: { name: testCase.name, version: testCase.version, dist: { integrity: testCase.integrity, signatures: [testCase.signature] } } },
              time: { [testCase.version]: publishTimeFor(testCase.signature) },
            },
          },
        });
        const dir = consumer(`sig-${testCase.id}`, registry.url, [{ name: testCase.name, version: testCase.version, integrity: testCase.integrity }], {
          version: 1,
          sources: ['registry'],
          defaults: { require: 'registry-signature' },
        });
        const { code, results, raw } = await auditJson(dir);
        assert.equal(results.get(`${testCase.name}@${testCase.version}`)?.outcome, testCase.expected === 'pass' ? 'pass' : 'violation', raw);
        assert.equal(code, testCase.expected === 'pass' ? 0 : 1, raw);
        assert.ok(registry.requests.some((request) => request.startsWith('GET /-/npm/v1/keys')), 'the keys come from the registry endpoint');
      } finally {
        await registry?.close();
      }
    });
  }
  void REALDATA;
});

describe('noDowngrade and exceptions against a registry on 127.0.0.1', () => {
  let registry: StaticRegistry;
  const attested = (version: string) => ({
    name: 'lib',
    version,
    dist: { integrity: integrityOf(Buffer.from(version)), attestations: { url: `https://example.invalid/${version}`, provenance: { predicateType: 'https://slsa.dev/provenance/v1' } } },
  });
  const bare = (version: string) => ({ name: 'lib', version, dist: { integrity: integrityOf(Buffer.from(version)) } });

  before(async () => {
    registry = await startStaticRegistry({
      packuments: {
        lib: {
          name: 'lib',
          versions: { '1.0.0': attested('1.0.0'), '1.1.0': bare('1.1.0'), '2.0.0': bare('2.0.0'), '0.3.0': attested('0.3.0'), '0.4.0': bare('0.4.0') },
          time: { '1.0.0': '2024-01-01T00:00:00Z', '1.1.0': '2024-02-01T00:00:00Z', '2.0.0': '2024-03-01T00:00:00Z', '0.3.0': '2023-01-01T00:00:00Z', '0.4.0': '2023-02-01T00:00:00Z' },
        },
      },
    });
  });
  after(async () => registry?.close());

  async function auditVersion(id: string, version: string, policy: object) {
    const dir = consumer(id, registry.url, [{ name: 'lib', version, integrity: integrityOf(Buffer.from(version)) }], policy);
    const { code, results, raw } = await auditJson(dir);
    return { code, result: results.get(`lib@${version}`)!, raw };
  }

  const noDowngradePolicy = { version: 1, sources: ['registry'], defaults: { require: 'none', noDowngrade: true } };

  test('a version without the provenance an earlier version of its major line had is a violation', async () => {
    const { code, result, raw } = await auditVersion('downgrade', '1.1.0', noDowngradePolicy);
    assert.equal(code, 1, raw);
    assert.equal(result.outcome, 'violation');
    assert.match(result.reason, /1\.1\.0 has no provenance, but 1\.0\.0 of the same major line had/);
  });

  test('a new major line without provenance is not a downgrade', async () => {
    const { code, result, raw } = await auditVersion('new-major', '2.0.0', noDowngradePolicy);
    assert.equal(code, 0, raw);
    assert.equal(result.outcome, 'pass');
  });

  test('for 0.x the minor is the line', async () => {
    const { result } = await auditVersion('zero-minor', '0.4.0', noDowngradePolicy);
    assert.equal(result.outcome, 'pass');
  });

  test('without noDowngrade the same version passes', async () => {
    const { code, result } = await auditVersion('no-rule', '1.1.0', { ...noDowngradePolicy, defaults: { require: 'none', noDowngrade: false } });
    assert.equal(code, 0);
    assert.equal(result.outcome, 'pass');
  });

  test('an exception exempts the package until it expires', async () => {
    const exempt = { ...noDowngradePolicy, exceptions: [{ package: 'lib@1.1.0', reason: 'reviewed by security', expires: '2999-01-01' }] };
    const { code, result } = await auditVersion('exempt', '1.1.0', exempt);
    assert.equal(code, 0);
    assert.equal(result.outcome, 'exempted');
    assert.match(result.reason, /reviewed by security/);
  });

  test('an expired exception no longer applies and fails the run itself', async () => {
    const expired = { ...noDowngradePolicy, defaults: { require: 'none' }, exceptions: [{ package: 'lib', reason: 'temporary', expires: '2020-01-01' }] };
    const dir = consumer('expired-exception', registry.url, [{ name: 'lib', version: '2.0.0', integrity: integrityOf(Buffer.from('2.0.0')) }], expired);
    const text = await runCli(['audit', dir]);
    assert.equal(text.code, 1, text.stdout + text.stderr);
    assert.match(text.stdout, /^policy: .*exception for lib expired on 2020-01-01/m);
  });
});
