import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
// The one function, not the package index, which loads all of @sigstore/core (ASN.1, X.509, RFC 3161).
import { canonicalize } from '@sigstore/core/dist/json.js';
import type { VerifiedAttestation } from '../verify/npm-attestations.js';

/** What identifies one verification: the evidence, what it must be about, and the trust used. */
export interface VerificationKey {
  evidence: unknown;
  subject: string;
  trustDigest: string;
}

export interface VerificationCache {
  get(key: VerificationKey): Promise<VerifiedAttestation[] | undefined>;
  put(key: VerificationKey, verified: VerifiedAttestation[]): Promise<void>;
}

export const NO_CACHE: VerificationCache = { get: async () => undefined, put: async () => undefined };

export interface CacheLocation {
  /** Where entries live (e.g. ~/.cache/pkgseal/verify). */
  dir: string;
  /**
   * The MAC key entries are authenticated with. It lives outside the cache folder, so a cache
   * restored from another (possibly hostile) CI run carries entries this key did not make: they
   * are ignored and the evidence is verified again.
   */
  secret: Buffer;
  /** Part of every key: a new pkgseal version never trusts an older one's results. */
  version: string;
}

/**
 * Successful verifications, keyed by content (evidence digest, subject, trusted-root digest), so a
 * repeated run only re-applies the policy. The audit keeps here the verifications whose signer the
 * policy did not accept (passes go to verified-subjects.json); failures are never cached. An entry
 * that is unreadable, truncated, for another key, or whose MAC does not verify is treated as absent.
 */
export function createVerificationCache(location: CacheLocation): VerificationCache {
  const entryFile = (key: VerificationKey) => {
    const digest = createHash('sha256').update(location.version).update('\0').update(key.trustDigest).update('\0').update(key.subject).update('\0').update(evidenceDigest(key.evidence)).digest('hex');
    return { digest, file: join(location.dir, digest.slice(0, 2), `${digest}.json`) };
  };
  const mac = (digest: string, payload: string) => createHmac('sha256', location.secret).update(digest).update('\0').update(payload).digest();
  const createdFolders = new Set<string>();
  // Until something is stored, a cache that starts without its folder has nothing to look up.
  let mayHaveEntries = existsSync(location.dir);
  return {
    async get(key) {
      if (!mayHaveEntries) return undefined;
      const { digest, file } = entryFile(key);
      // Most lookups of a cold run miss: a stat is far cheaper than a failed open.
      if (!existsSync(file)) return undefined;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      try {
        const entry = JSON.parse(text) as { digest: string; mac: string; payload: string };
        const expected = mac(digest, entry.payload);
        const actual = Buffer.from(entry.mac, 'hex');
        if (entry.digest !== digest || actual.length !== expected.length || !timingSafeEqual(actual, expected)) return undefined;
        return reviveAttestations(JSON.parse(entry.payload));
      } catch {
        return undefined;
      }
    },
    async put(key, verified) {
      mayHaveEntries = true;
      const { digest, file } = entryFile(key);
      const payload = JSON.stringify(verified.map(withoutPredicate));
      // A cache that cannot be written (read-only, a file in its place) only means verifying again next time.
      await writeCacheFile(file, JSON.stringify({ digest, mac: mac(digest, payload).toString('hex'), payload }), createdFolders).catch(() => undefined);
    },
  };
}

/** The evidence's canonical-JSON digest, once per document (a lookup and a store both need it). */
const evidenceDigests = new WeakMap<object, string>();

function evidenceDigest(evidence: unknown): string {
  const known = typeof evidence === 'object' && evidence !== null ? evidenceDigests.get(evidence) : undefined;
  if (known) return known;
  const digest = createHash('sha256').update(canonicalize(evidence)).digest('hex');
  if (typeof evidence === 'object' && evidence !== null) evidenceDigests.set(evidence, digest);
  return digest;
}

/**
 * Writes a cache file whole or not at all (a temporary file renamed over it). Not flushed to disk:
 * an entry lost or torn in a crash fails its MAC check and is only verified again.
 */
export async function writeCacheFile(file: string, text: string, createdFolders?: Set<string>): Promise<void> {
  const folder = dirname(file);
  if (!createdFolders?.has(folder)) {
    await mkdir(folder, { recursive: true });
    createdFolders?.add(folder);
  }
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Default location: `$PKGSEAL_CACHE_DIR`, else `$XDG_CACHE_HOME/pkgseal`, else `~/.cache/pkgseal`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return env.PKGSEAL_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pkgseal');
}

/**
 * The cache MAC key: `$PKGSEAL_CACHE_SECRET` (a CI secret, so caches can be shared between runs
 * of one trusted pipeline), else a random key kept in `$XDG_CONFIG_HOME/pkgseal/cache.key`.
 */
export async function cacheSecret(env: NodeJS.ProcessEnv): Promise<Buffer> {
  if (env.PKGSEAL_CACHE_SECRET) return createHash('sha256').update(env.PKGSEAL_CACHE_SECRET).digest();
  const file = join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'pkgseal', 'cache.key');
  const existing = await readFile(file).catch(() => undefined);
  if (existing && existing.length === 32) return existing;
  const secret = randomBytes(32);
  // A key that cannot be kept still works for this run; its entries are simply never reused.
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
    .then(() => writeFile(file, secret, { mode: 0o600 }))
    .catch(() => undefined);
  return secret;
}

/** The predicate can be large and no policy reads it; everything else is kept. */
function withoutPredicate(attestation: VerifiedAttestation): VerifiedAttestation {
  if (!attestation.statement) return attestation;
  return { ...attestation, statement: { ...attestation.statement, predicate: undefined } };
}

function reviveAttestations(payload: unknown): VerifiedAttestation[] {
  if (!Array.isArray(payload)) throw new Error('cache payload is not a list');
  return payload.map((attestation: VerifiedAttestation) => ({
    ...attestation,
    tlogEntries: attestation.tlogEntries.map((entry) => ({ ...entry, ...(entry.integratedTime ? { integratedTime: new Date(entry.integratedTime) } : {}) })),
    timestamps: attestation.timestamps.map((timestamp) => ({ ...timestamp, time: new Date(timestamp.time) })),
  }));
}
