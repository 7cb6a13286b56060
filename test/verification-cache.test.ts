import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createVerificationCache, type VerificationKey } from '../src/sources/verification-cache.js';
import { createVerifiedSubjects } from '../src/sources/verified-subjects.js';
import type { VerifiedAttestation } from '../src/verify/npm-attestations.js';
import { runCli } from './support/cli.js';
import { REPO_ROOT } from './support/realdata.js';

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-cache-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const KEY: VerificationKey = { evidence: { mediaType: 'x', n: 1 }, subject: 'demo@1.0.0:ab', trustDigest: 'root-1' };
const VERIFIED: VerifiedAttestation[] = [
  {
    predicateType: 'https://slsa.dev/provenance/v1',
    bundleVersion: '0.3',
    signer: { kind: 'certificate', identity: { subject: 'https://github.com/acme/demo/.github/workflows/release.yml@refs/tags/v1', issuer: 'https://token.actions.githubusercontent.com', claims: {} } },
    tlogEntries: [],
    timestamps: [{ source: 'transparency-log', time: new Date('2025-01-01T00:00:00Z') }],
  },
];

function cacheAt(name: string, secret = Buffer.alloc(32, 7)) {
  return createVerificationCache({ dir: join(scratch, name), secret, version: '1.0.0' });
}

/** Rewrites every cache entry's payload (as an attacker with write access to the cache would). */
function rewriteEntries(verifyDir: string, edit: (entry: { digest: string; mac: string; payload: string }) => void): void {
  for (const bucket of readdirSync(verifyDir)) {
    for (const name of readdirSync(join(verifyDir, bucket))) {
      const file = join(verifyDir, bucket, name);
      const entry = JSON.parse(readFileSync(file, 'utf8'));
      edit(entry);
      writeFileSync(file, JSON.stringify(entry));
    }
  }
}

const toGoodSigner = (payload: string) => payload.replaceAll('attacker/fork', 'demo-org/good-lib').replaceAll('refs/heads/main', 'refs/tags/v1.0.0');

function onlyEntryFile(dir: string): string {
  const [bucket] = readdirSync(dir);
  const [file] = readdirSync(join(dir, bucket!));
  return join(dir, bucket!, file!);
}

describe('verification cache', () => {
  test('returns what was stored for the same evidence, subject and trust', async () => {
    const cache = cacheAt('roundtrip');
    await cache.put(KEY, VERIFIED);
    const hit = await cache.get(KEY);
    assert.deepEqual(hit, VERIFIED);
  });

  test('misses for other evidence, another subject or another trusted root', async () => {
    const cache = cacheAt('keys');
    await cache.put(KEY, VERIFIED);
    assert.equal(await cache.get({ ...KEY, evidence: { mediaType: 'x', n: 2 } }), undefined);
    assert.equal(await cache.get({ ...KEY, subject: 'demo@1.0.0:cd' }), undefined);
    assert.equal(await cache.get({ ...KEY, trustDigest: 'root-2' }), undefined);
  });

  test('ignores an entry whose payload was edited', async () => {
    const cache = cacheAt('tampered');
    await cache.put(KEY, VERIFIED);
    const file = onlyEntryFile(join(scratch, 'tampered'));
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    entry.payload = entry.payload.replace('acme/demo', 'evil/demo');
    writeFileSync(file, JSON.stringify(entry));
    assert.equal(await cache.get(KEY), undefined);
  });

  test('ignores a truncated entry', async () => {
    const cache = cacheAt('truncated');
    await cache.put(KEY, VERIFIED);
    const file = onlyEntryFile(join(scratch, 'truncated'));
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    assert.equal(await cache.get(KEY), undefined);
  });

  test('ignores entries made with another key (a cache restored from another run)', async () => {
    await cacheAt('foreign', randomBytes(32)).put(KEY, VERIFIED);
    assert.equal(await cacheAt('foreign', randomBytes(32)).get(KEY), undefined);
  });
});

describe('a restored cache cannot make a bad package pass', () => {
  test('an entry forged by another run for the evil package is ignored, and the audit still fails it', async () => {
    const project = join(scratch, 'demo');
    cpSync(join(REPO_ROOT, 'fixtures/demo'), project, { recursive: true });
    const home = join(scratch, 'attacker-home');
    const env = { ...process.env, PKGSEAL_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'attacker-config') };
    // The attacker's run: verify everything, then rewrite the evil entry to carry the good signer.
    assert.equal((await runCli(['audit', project, '--offline'], { env })).code, 1);
    rewriteEntries(join(home, 'cache', 'verify'), (entry) => {
      entry.payload = toGoodSigner(entry.payload);
    });
    // The victim's run restores that cache but has its own key.
    const victim = await runCli(['audit', project, '--offline', '--format', 'json'], { env: { ...env, XDG_CONFIG_HOME: join(home, 'victim-config') } });
    assert.equal(victim.code, 1, victim.stdout + victim.stderr);
    const evil = JSON.parse(victim.stdout).results.find((r: { name: string }) => r.name === '@demo/evil-lib');
    assert.equal(evil.outcome, 'violation');
    assert.match(evil.reason, /attacker\/fork/);
  });

  test('entries authenticated with this machine\'s key are reused (which is why the key must stay secret)', async () => {
    const env = { ...process.env, PKGSEAL_CACHE_DIR: join(scratch, 'reuse-cache'), XDG_CONFIG_HOME: join(scratch, 'reuse-config') };
    assert.equal((await runCli(['audit', join(REPO_ROOT, 'fixtures/demo'), '--offline'], { env })).code, 1);
    // Holding the key, rewrite every entry so the evil package appears to be signed by the good workflow.
    const secret = readFileSync(join(scratch, 'reuse-config', 'pkgseal', 'cache.key'));
    rewriteEntries(join(scratch, 'reuse-cache', 'verify'), (entry) => {
      entry.payload = toGoodSigner(entry.payload);
      entry.mac = createHmac('sha256', secret).update(entry.digest).update('\0').update(entry.payload).digest('hex');
    });
    const second = await runCli(['audit', join(REPO_ROOT, 'fixtures/demo'), '--offline'], { env });
    assert.equal(second.code, 0, 'the cached (forged) verification was used instead of verifying again');
    const uncached = await runCli(['audit', join(REPO_ROOT, 'fixtures/demo'), '--offline', '--no-cache'], { env });
    assert.equal(uncached.code, 1, '--no-cache verifies again');
  });
});

describe('verified-subjects record', () => {
  const subjectsAt = (name: string, extra: { secret?: Buffer; maxEntries?: number } = {}) =>
    createVerifiedSubjects({ file: join(scratch, name, 'verified-subjects.json'), secret: extra.secret ?? Buffer.alloc(32, 7), version: '1.0.0', ...(extra.maxEntries ? { maxEntries: extra.maxEntries } : {}) });
  const SUBJECT = { subject: 'demo@1.0.0:ab', trustDigest: 'root-1' };
  const signerOnly = VERIFIED.map(({ predicateType, signer }) => ({ predicateType, signer }));

  test('a later run reads who signed what an earlier one verified (signer and predicate type only)', async () => {
    const first = subjectsAt('subjects-roundtrip');
    first.add(SUBJECT, VERIFIED);
    await first.save();
    assert.deepEqual(await subjectsAt('subjects-roundtrip').get(SUBJECT), signerOnly);
  });

  test('misses for another subject or trusted root, and for a record written with another key', async () => {
    const first = subjectsAt('subjects-keys');
    first.add(SUBJECT, VERIFIED);
    await first.save();
    const later = subjectsAt('subjects-keys');
    assert.equal(await later.get({ ...SUBJECT, subject: 'demo@1.0.0:cd' }), undefined);
    assert.equal(await later.get({ ...SUBJECT, trustDigest: 'root-2' }), undefined);
    assert.equal(await subjectsAt('subjects-keys', { secret: Buffer.alloc(32, 8) }).get(SUBJECT), undefined);
  });

  test('a record edited without the key is ignored as a whole', async () => {
    const first = subjectsAt('subjects-edited');
    first.add(SUBJECT, VERIFIED);
    await first.save();
    const file = join(scratch, 'subjects-edited', 'verified-subjects.json');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.payload = stored.payload.replace('acme/demo', 'evil/demo');
    writeFileSync(file, JSON.stringify(stored));
    assert.equal(await subjectsAt('subjects-edited').get(SUBJECT), undefined);
  });

  test('keeps the newest records when over its size, and writes nothing when nothing was added', async () => {
    const first = subjectsAt('subjects-bounded', { maxEntries: 2 });
    for (const n of [1, 2, 3]) first.add({ ...SUBJECT, subject: `demo@${n}.0.0:ab` }, VERIFIED);
    await first.save();
    const later = subjectsAt('subjects-bounded', { maxEntries: 2 });
    assert.equal(await later.get({ ...SUBJECT, subject: 'demo@1.0.0:ab' }), undefined);
    assert.deepEqual(await later.get({ ...SUBJECT, subject: 'demo@3.0.0:ab' }), signerOnly);
    await subjectsAt('subjects-untouched').save();
    assert.throws(() => readFileSync(join(scratch, 'subjects-untouched', 'verified-subjects.json')));
  });

  test('when full, drops the records no recent run used', async () => {
    const subject = (n: number) => ({ ...SUBJECT, subject: `demo@${n}.0.0:ab` });
    const first = subjectsAt('subjects-lru', { maxEntries: 2 });
    first.add(subject(1), VERIFIED);
    first.add(subject(2), VERIFIED);
    await first.save();
    const second = subjectsAt('subjects-lru', { maxEntries: 2 });
    assert.ok(await second.get(subject(1)), 'record 1 is used by this run');
    second.add(subject(3), VERIFIED);
    await second.save();
    const third = subjectsAt('subjects-lru', { maxEntries: 2 });
    assert.ok(await third.get(subject(1)), 'the record used last run is kept');
    assert.ok(await third.get(subject(3)));
    assert.equal(await third.get(subject(2)), undefined, 'the one no run used since is dropped');
  });
});
