/**
 * Issue 7, faults: a registry on 127.0.0.1 that misbehaves on purpose, end to end through
 * `pkgseal audit`. Both demo packages pass when the registry behaves (the control case); under
 * each fault for @demo/good-lib, that package fails closed naming the cause after a bounded number
 * of attempts, @demo/evil-lib still passes, and the run exits 1 without a stack trace.
 *
 * Network settings come from npm's own `fetch-timeout`, `fetch-retries` and
 * `fetch-retry-mintimeout` (environment), so the faults resolve in seconds.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Fault } from './support/static-registry.js';
import {
  assertNoStackTrace,
  attestationsPath,
  auditJson,
  closeRegistries,
  EVIL,
  GOOD,
  packumentFor,
  packumentPath,
  readBundle,
  registryProject,
  type RegistryProjectOptions,
} from './support/hostile-project.js';

after(closeRegistries);

/** 1 attempt + fetch-retries (2). */
const ATTEMPTS = 3;

async function auditUnderFault(id: string, options: RegistryProjectOptions) {
  const project = await registryProject(id, options);
  const audit = await auditJson(project.dir);
  assert.equal(audit.code, 1, audit.raw);
  assertNoStackTrace(audit.cli.stderr);
  assert.equal(audit.result(EVIL).outcome, 'pass', `the other package must still complete: ${audit.raw}`);
  const good = audit.result(GOOD);
  assert.equal(good.outcome, 'violation', audit.raw);
  return { project, audit, good };
}

describe('control: the same registry, behaving', () => {
  test('both packages pass through the registry source', async () => {
    const project = await registryProject('control');
    const audit = await auditJson(project.dir);
    assert.equal(audit.code, 0, audit.raw);
    assert.deepEqual(audit.report.summary, { packages: 2, passed: 2, violations: 0, exempted: 0, unsupported: 0 });
    assert.equal(project.requestsFor(packumentPath(GOOD)).length, 1);
    assert.equal(project.requestsFor(attestationsPath(GOOD)).length, 1);
  });

  test('a 500 that clears on the next attempt is retried and passes', async () => {
    const project = await registryProject('transient-500', { behaviour: { [packumentPath(GOOD)]: [{ status: 500 }] } });
    const audit = await auditJson(project.dir);
    assert.equal(audit.code, 0, audit.raw);
    assert.equal(project.requestsFor(packumentPath(GOOD)).length, 2);
  });
});

describe('each fault fails that package closed with the reason; the other completes; exit 1', () => {
  const persistent: Array<[string, 'packument' | 'attestations', Fault, RegExp, number]> = [
    ['HTTP 500 on the packument', 'packument', { status: 500 }, /could not gather evidence: GET http:\/\/127\.0\.0\.1:\d+\/@demo%2fgood-lib: HTTP 500 after 3 attempts/, ATTEMPTS],
    ['HTTP 503 on the attestations', 'attestations', { status: 503 }, /could not gather evidence: GET .*\/-\/npm\/v1\/attestations\/@demo\/good-lib@1\.0\.0: HTTP 503 after 3 attempts/, ATTEMPTS],
    ['HTTP 429 with Retry-After: 1', 'packument', { status: 429, headers: { 'retry-after': '1' } }, /HTTP 429 after 3 attempts/, ATTEMPTS],
    ['a connection reset', 'attestations', { reset: true }, /connection reset after 3 attempts/, ATTEMPTS],
    ['a response that stops halfway', 'packument', { truncate: true }, /response body truncated \(connection closed early\) after 3 attempts/, ATTEMPTS],
    ['a server slower than the timeout', 'attestations', { delayMs: 4_000 }, /no complete response within 1500 ms after 3 attempts/, ATTEMPTS],
    ['invalid JSON (not retried: the answer is complete)', 'packument', { status: 200, body: '{"name": "@demo/good-lib", "versions": {' }, /GET .*: response is not valid JSON/, 1],
    ['a 401 (not retried; the hint names the token)', 'attestations', { status: 401 }, /HTTP 401 \(check the token for this host\)$/, 1],
  ];
  for (const [name, target, fault, reason, attempts] of persistent) {
    test(name, async () => {
      const path = target === 'packument' ? packumentPath(GOOD) : attestationsPath(GOOD);
      const started = Date.now();
      const { project, good } = await auditUnderFault(`fault-${name.replace(/\W+/g, '-')}`, { behaviour: { [path]: fault } });
      assert.match(good.reason, reason);
      assert.equal(project.requestsFor(path).length, attempts, `bounded retries: ${project.requestsFor(path).join(', ')}`);
      if (fault.headers?.['retry-after']) assert.ok(Date.now() - started >= 2_000, 'Retry-After was honoured between attempts');
    });
  }

  test('a Retry-After longer than allowed gives up at once instead of hanging', async () => {
    const path = packumentPath(GOOD);
    const { project, good } = await auditUnderFault('retry-after-too-long', { behaviour: { [path]: { status: 503, headers: { 'retry-after': '3600' } } } });
    assert.match(good.reason, /HTTP 503, and Retry-After 3600 s is longer than the 60 s allowed/);
    assert.equal(project.requestsFor(path).length, 1);
  });

  test('a packument for another package', async () => {
    const { good } = await auditUnderFault('other-packument', { packuments: (url) => ({ [GOOD.name]: packumentFor(EVIL, url) }) });
    assert.match(good.reason, /registry returned the packument of @demo\/evil-lib for @demo\/good-lib/);
  });

  test('an attestations URL pointing to another host is not followed', async () => {
    const elsewhere = await registryProject('elsewhere');
    const foreignUrl = `${elsewhere.registry.url.replace(/\/$/, '')}${attestationsPath(GOOD)}`;
    const { good } = await auditUnderFault('foreign-attestations', { packuments: (url) => ({ [GOOD.name]: packumentFor(GOOD, url, foreignUrl) }) });
    assert.match(good.reason, /points the attestations of @demo\/good-lib@1\.0\.0 to another host \(http:\/\/127\.0\.0\.1:\d+\/-\/npm\/v1\/attestations\/@demo\/good-lib@1\.0\.0\)/);
    assert.equal(elsewhere.registry.requests.length, 0, 'the other host was never contacted');
  });

  test('an attestations document for another package, served under this package’s URL', async () => {
    const { good } = await auditUnderFault('swapped-attestations', {
      files: { [attestationsPath(GOOD)]: { body: { attestations: [{ predicateType: 'https://slsa.dev/provenance/v1', bundle: readBundle(EVIL) }] } } },
    });
    assert.match(good.reason, /statement is about pkg:npm\/%40demo\/evil-lib@1\.0\.0, not pkg:npm\/%40demo\/good-lib@1\.0\.0/);
  });

  test('a registry integrity that differs from the lockfile', async () => {
    const { good } = await auditUnderFault('registry-integrity', {
      packuments: (url) => {
        const packument = packumentFor(GOOD, url) as { versions: Record<string, { dist: { integrity: string } }> };
        packument.versions['1.0.0']!.dist.integrity = EVIL.integrity;
        return { [GOOD.name]: packument };
      },
    });
    assert.match(good.reason, /the registry's integrity sha512-\S+ differs from the lockfile's sha512-/);
  });

  test('the registry is down altogether: both fail closed, exit 1', async () => {
    const project = await registryProject('down', { behaviour: { [packumentPath(GOOD)]: { reset: true }, [packumentPath(EVIL)]: { reset: true } } });
    const audit = await auditJson(project.dir);
    assert.equal(audit.code, 1, audit.raw);
    assertNoStackTrace(audit.cli.stderr);
    for (const pkg of [GOOD, EVIL]) assert.match(audit.result(pkg).reason, /connection reset after 3 attempts/);
  });
});

describe('the url source misbehaving', () => {
  const badPath = '/sigs/@demo/good-lib/1.0.0.sigstore.json';
  const urlSource = (url: string) => [{ url: `${url}sigs/{name}/{version}.sigstore.json` }];

  test('HTTP 500 from a url source fails that package closed after bounded retries', async () => {
    const { project, good } = await auditUnderFault('url-500', {
      behaviour: { [badPath]: { status: 500 } },
      files: { '/sigs/@demo/evil-lib/1.0.0.sigstore.json': { body: readBundle(EVIL) } },
      sources: urlSource,
    });
    assert.match(good.reason, /GET .*\/sigs\/@demo\/good-lib\/1\.0\.0\.sigstore\.json: HTTP 500 after 3 attempts/);
    assert.equal(project.requestsFor(badPath).length, ATTEMPTS);
  });

  test('a url source that redirects to another host: followed, but only evidence that verifies counts', async () => {
    const elsewhere = await registryProject('redirect-target', { files: { '/evil.json': { body: readBundle(EVIL) } } });
    const { good } = await auditUnderFault('url-redirect', {
      files: {
        [badPath]: { status: 302, body: '', headers: { location: `${elsewhere.registry.url}evil.json` } },
        '/sigs/@demo/evil-lib/1.0.0.sigstore.json': { body: readBundle(EVIL) },
      },
      sources: urlSource,
    });
    assert.match(good.reason, /does not verify: statement is about pkg:npm\/%40demo\/evil-lib@1\.0\.0, not pkg:npm\/%40demo\/good-lib@1\.0\.0/);
  });
});
