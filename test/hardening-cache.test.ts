/**
 * Issue 7, the verification cache: whatever is in the cache folder (truncated, edited, written
 * for another trusted root, package or evidence, restored from an untrusted CI run), the verdicts
 * are those of a run without a cache. test/verification-cache.test.ts covers the entry format;
 * these run `pkgseal audit` end to end on the offline demo.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createVerificationCache } from '../src/sources/verification-cache.js';
import type { VerifiedAttestation } from '../src/verify/npm-attestations.js';
import { auditJson, cleanEnv, DEMO, EVIL, GOOD, scratchDir } from './support/hostile-project.js';

function demoCopy(id: string): string {
  const dir = scratchDir(`cache-${id}`);
  cpSync(DEMO, dir, { recursive: true });
  return dir;
}

/** A machine: its own cache folder and key folder (and, in CI, a shared secret). */
function machine(id: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = scratchDir(`cache-home-${id}`);
  return cleanEnv({ PKGSEAL_CACHE_DIR: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config'), ...extra });
}

/** Every file the cache keeps: one per verified evidence document, and the verified-subjects record. */
function entryFiles(env: NodeJS.ProcessEnv): string[] {
  const root = join(env.PKGSEAL_CACHE_DIR!, 'verify');
  const evidenceEntries = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  return [...evidenceEntries, join(env.PKGSEAL_CACHE_DIR!, 'verified-subjects.json')];
}

/** What an attacker with write access to the cache folder does: make the fork's signer look like the release workflow. */
function forgeEntries(env: NodeJS.ProcessEnv, edit: (entry: { digest?: string; mac: string; payload: string }) => void = () => undefined): void {
  for (const file of entryFiles(env)) {
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    entry.payload = entry.payload.replaceAll('attacker/fork', 'demo-org/good-lib').replaceAll('refs/heads/main', 'refs/tags/v1.0.0');
    edit(entry);
    writeFileSync(file, JSON.stringify(entry));
  }
}

async function assertDemoVerdicts(project: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<void> {
  const audit = await auditJson(project, ['--offline', ...args], env);
  assert.equal(audit.code, 1, audit.raw);
  assert.equal(audit.result(GOOD).outcome, 'pass', audit.raw);
  assert.equal(audit.result(EVIL).outcome, 'violation', audit.raw);
  assert.match(audit.result(EVIL).reason, /attacker\/fork/);
}

describe('a damaged or foreign cache entry is verified again, never turned into a pass', () => {
  test('truncated entries: the same verdicts, and the entries are written again whole', async () => {
    const project = demoCopy('truncated');
    const env = machine('truncated');
    await assertDemoVerdicts(project, env);
    const files = entryFiles(env);
    assert.equal(files.length, 2, 'the evil verification is cached by its evidence, the good one as who signed what (the policy is applied afresh each run)');
    for (const file of files) writeFileSync(file, readFileSync(file, 'utf8').slice(0, 25));
    await assertDemoVerdicts(project, env);
    for (const file of files) assert.doesNotThrow(() => JSON.parse(readFileSync(file, 'utf8')), 'rewritten whole');
  });

  test('entries edited without the key (the evil signer rewritten as the good one)', async () => {
    const project = demoCopy('edited');
    const env = machine('edited');
    await assertDemoVerdicts(project, env);
    forgeEntries(env);
    await assertDemoVerdicts(project, env);
  });

  test('garbage in place of every entry', async () => {
    const project = demoCopy('garbage');
    const env = machine('garbage');
    await assertDemoVerdicts(project, env);
    for (const file of entryFiles(env)) writeFileSync(file, '{"digest": 1, "mac": [], "payload": {"__proto__": {"outcome": "pass"}}}');
    await assertDemoVerdicts(project, env);
  });

  test('a verification cached under one trusted root does not stand for another', async () => {
    const project = demoCopy('other-root');
    const env = machine('other-root');
    await assertDemoVerdicts(project, env);
    const policyFile = join(project, 'pkgseal.policy.json');
    const policy = JSON.parse(readFileSync(policyFile, 'utf8'));
    policy.trust = [{ name: 'public-good' }];
    writeFileSync(policyFile, JSON.stringify(policy));
    const audit = await auditJson(project, ['--offline'], env);
    assert.equal(audit.result(GOOD).outcome, 'violation', `the demo root's verdict was reused under public-good: ${audit.raw}`);
    assert.match(audit.result(GOOD).reason, /does not verify/);
  });

  test('a recorded pass is about the content: other evidence appearing later does not undo it, --no-cache checks the evidence as it is now', async () => {
    const project = demoCopy('swapped');
    const env = machine('swapped');
    await assertDemoVerdicts(project, env);
    cpSync(EVIL.bundleFile, join(project, 'evidence', '@demo', 'good-lib@1.0.0.sigstore.json'));
    // The signature over good-lib's sha512 was verified; it stays true whatever the folder holds now.
    await assertDemoVerdicts(project, env);
    const audit = await auditJson(project, ['--offline', '--no-cache'], env);
    assert.equal(audit.result(GOOD).outcome, 'violation', audit.raw);
    assert.match(audit.result(GOOD).reason, /statement is about pkg:npm\/%40demo\/evil-lib@1\.0\.0/);
  });

  test('a recorded pass does not stand for other content: a changed lockfile integrity is checked in full', async () => {
    const project = demoCopy('new-integrity');
    const env = machine('new-integrity');
    await assertDemoVerdicts(project, env);
    const lockfile = join(project, 'package-lock.json');
    const lock = JSON.parse(readFileSync(lockfile, 'utf8'));
    const entry = lock.packages[`node_modules/${GOOD.name}`];
    entry.integrity = `sha512-${Buffer.alloc(64, 9).toString('base64')}`;
    writeFileSync(lockfile, JSON.stringify(lock, null, 2));
    const audit = await auditJson(project, ['--offline'], env);
    assert.equal(audit.result(GOOD).outcome, 'violation', audit.raw);
    assert.match(audit.result(GOOD).reason, /does not verify/);
  });

  test('a recorded signer that the policy no longer allows is checked again against the evidence, and fails', async () => {
    const project = demoCopy('policy-changed');
    const env = machine('policy-changed');
    await assertDemoVerdicts(project, env);
    const policyFile = join(project, 'pkgseal.policy.json');
    const policy = JSON.parse(readFileSync(policyFile, 'utf8'));
    policy.packages = policy.packages.map((entry: { identities?: Array<Record<string, string>> }) => ({
      ...entry,
      ...(entry.identities ? { identities: entry.identities.map((identity) => ({ ...identity, repository: 'someone-else/good-lib' })) } : {}),
    }));
    writeFileSync(policyFile, JSON.stringify(policy));
    const audit = await auditJson(project, ['--offline'], env);
    assert.equal(audit.result(GOOD).outcome, 'violation', audit.raw);
    assert.match(audit.result(GOOD).reason, /demo-org\/good-lib/);
  });

  test('an authentic entry moved to another key (another package, integrity or root) is ignored', async () => {
    const dir = scratchDir('cache-moved');
    const cache = createVerificationCache({ dir, secret: Buffer.alloc(32, 1), version: '1' });
    const verified: VerifiedAttestation[] = [{ predicateType: 'p', bundleVersion: '0.3', signer: { kind: 'key', keyID: 'k' }, tlogEntries: [], timestamps: [] }];
    const key = { evidence: { n: 1 }, subject: 'good@1.0.0:aa', trustDigest: 'root-a' };
    await cache.put(key, verified);
    const [bucket] = readdirSync(dir);
    const [name] = readdirSync(join(dir, bucket!));
    const text = readFileSync(join(dir, bucket!, name!), 'utf8');
    for (const other of [{ ...key, subject: 'evil@1.0.0:aa' }, { ...key, subject: 'good@1.0.0:bb' }, { ...key, trustDigest: 'root-b' }]) {
      // Write the authentic entry where the other key would be looked up.
      await cache.put(other, verified);
      for (const otherBucket of readdirSync(dir)) {
        for (const otherName of readdirSync(join(dir, otherBucket))) if (otherName !== name) writeFileSync(join(dir, otherBucket, otherName), text);
      }
      assert.equal(await cache.get(other), undefined, JSON.stringify(other));
    }
    assert.deepEqual(await cache.get(key), verified);
  });
});

describe('CI: a cache restored from an untrusted run cannot make a bad package pass', () => {
  test('entries forged by a run without the pipeline secret (a fork PR) are ignored by the run with it', async () => {
    const project = demoCopy('ci');
    const shared = machine('ci-untrusted');
    await auditJson(project, ['--offline'], shared);
    forgeEntries(shared);
    const trusted = { ...machine('ci-trusted'), PKGSEAL_CACHE_DIR: shared.PKGSEAL_CACHE_DIR!, PKGSEAL_CACHE_SECRET: 'pipeline-secret-1' };
    await assertDemoVerdicts(project, trusted);
  });

  test('entries made with another secret are ignored', async () => {
    const project = demoCopy('ci-secret');
    const attacker = { ...machine('ci-attacker'), PKGSEAL_CACHE_SECRET: 'attacker-secret' };
    await auditJson(project, ['--offline'], attacker);
    const { createHmac, createHash } = await import('node:crypto');
    const attackerKey = createHash('sha256').update('attacker-secret').digest();
    const { version } = JSON.parse(readFileSync(join(DEMO, '..', '..', 'package.json'), 'utf8')) as { version: string };
    forgeEntries(attacker, (entry) => {
      // An evidence entry is MAC'd with its digest; the verified-subjects record with pkgseal's version.
      const prefix = entry.digest === undefined ? version : entry.digest;
      entry.mac = createHmac('sha256', attackerKey).update(prefix).update('\0').update(entry.payload).digest('hex');
    });
    await assertDemoVerdicts(project, { ...attacker, PKGSEAL_CACHE_SECRET: 'pipeline-secret-2' });
  });

  test('a cache folder that cannot be used (a file in its place) changes nothing', async () => {
    const project = demoCopy('unusable');
    const env = machine('unusable');
    writeFileSync(join(scratchDir('cache-file-holder'), 'not-a-folder'), 'x');
    await assertDemoVerdicts(project, { ...env, PKGSEAL_CACHE_DIR: join(scratchDir('cache-file-holder'), 'not-a-folder') });
  });

  test('a key that cannot be stored (its folder is a file) changes nothing', async () => {
    const project = demoCopy('no-key');
    const file = join(scratchDir('cache-key-holder'), 'config-file');
    writeFileSync(file, 'x');
    await assertDemoVerdicts(project, { ...machine('no-key'), XDG_CONFIG_HOME: file });
  });
});
