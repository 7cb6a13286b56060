import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SignerRecord } from '../policy/evaluate.js';
import type { VerifiedAttestation } from '../verify/npm-attestations.js';
import { writeCacheFile } from './verification-cache.js';

/** One package version's content (`name@version:sha512hex`) checked with one trusted root. */
export interface SubjectKey {
  subject: string;
  trustDigest: string;
}

/**
 * Who signed which package content, as earlier runs verified it, read and written as one file
 * per run. A signature over a sha512 is a fact that does not change (transparency-log entries
 * are permanent, certificates are judged at signing time), so a warm audit applies the policy to
 * these records without fetching or verifying any evidence again. Only a pass may come from here:
 * a record that does not satisfy the policy sends the package through the full check.
 */
export interface VerifiedSubjects {
  get(key: SubjectKey): Promise<SignerRecord[] | undefined>;
  add(key: SubjectKey, attestations: readonly VerifiedAttestation[]): void;
  /** Writes what this run added; a file that cannot be written only costs a verification next time. */
  save(): Promise<void>;
}

export const NO_VERIFIED_SUBJECTS: VerifiedSubjects = { get: async () => undefined, add: () => undefined, save: async () => undefined };

export interface VerifiedSubjectsLocation {
  file: string;
  /** The MAC key, kept outside the cache (see verification-cache.ts): a planted file is ignored. */
  secret: Buffer;
  /** A new pkgseal version never trusts an older one's records. */
  version: string;
  /** Records kept at most, the least recently used going first (default 20 000: ~10 large trees, ~25 MiB). */
  maxEntries?: number;
}

interface StoredFile {
  mac: string;
  payload: string;
}

type Records = Map<string, SignerRecord[]>;

/** The file holds one MAC over all records: one check per run, not one per package. */
export function createVerifiedSubjects(location: VerifiedSubjectsLocation): VerifiedSubjects {
  const maxEntries = location.maxEntries ?? 20_000;
  let loaded: Promise<Records> | undefined;
  const added: Records = new Map();
  const used = new Set<string>();
  // A package's check looks its key up, then adds to it: one hash per key object.
  const ids = new WeakMap<SubjectKey, string>();
  const keyOf = (key: SubjectKey) => {
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = createHash('sha256').update(location.version).update('\0').update(key.trustDigest).update('\0').update(key.subject).digest('base64url')));
    return id;
  };
  const mac = (payload: string) => createHmac('sha256', location.secret).update(location.version).update('\0').update(payload).digest();
  const load = () => (loaded ??= readRecords(location.file, mac));
  return {
    async get(key) {
      const id = keyOf(key);
      const record = added.get(id) ?? (await load()).get(id);
      if (record) used.add(id);
      return record;
    },
    add(key, attestations) {
      added.set(keyOf(key), attestations.map((attestation) => ({ predicateType: attestation.predicateType, signer: attestation.signer })));
    },
    async save() {
      // A run that only read the record leaves it as it is: warm runs write nothing.
      if (added.size === 0) return;
      const records = new Map(await load());
      // Least recently used first, so that what is cut when the record is full is what no recent run needed.
      for (const id of used) {
        const record = records.get(id);
        if (!record) continue;
        records.delete(id);
        records.set(id, record);
      }
      for (const [id, record] of added) {
        records.delete(id);
        records.set(id, record);
      }
      const kept = [...records].slice(-maxEntries);
      const payload = JSON.stringify(kept);
      const stored: StoredFile = { mac: mac(payload).toString('hex'), payload };
      await writeCacheFile(location.file, JSON.stringify(stored)).catch(() => undefined);
    },
  };
}

/** Anything unreadable, malformed or not MAC'd with this key reads as no records at all. */
async function readRecords(file: string, mac: (payload: string) => Buffer): Promise<Records> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return new Map();
  try {
    const stored = JSON.parse(text) as StoredFile;
    if (typeof stored.payload !== 'string' || typeof stored.mac !== 'string') return new Map();
    const expected = mac(stored.payload);
    const actual = Buffer.from(stored.mac, 'hex');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return new Map();
    const entries = JSON.parse(stored.payload) as unknown;
    if (!Array.isArray(entries)) return new Map();
    return new Map(entries as Array<[string, SignerRecord[]]>);
  } catch {
    return new Map();
  }
}
