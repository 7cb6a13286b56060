import type { EvidenceSource } from '../policy/policy.types.js';
import type { TreePackage } from '../tree/tree.types.js';
import { readDirEvidence } from './dir-source.js';
import { SourceError, type EvidenceFetcher, type EvidenceLookup } from './source.types.js';
import { lookupUrlEvidence } from './url-source.js';
import { displayUrl } from './http-fetcher.js';
import { VerificationError } from '../verify/errors.js';
import { parseEvidenceJson } from '../verify/json-text.js';

export interface EvidenceContext {
  fetcher: EvidenceFetcher;
  offline: boolean;
  env: Record<string, string | undefined>;
}

export interface EvidenceSearch {
  /** The first source that had evidence, if any. */
  found?: Extract<EvidenceLookup, { found: true }>;
  /** One line per source tried without evidence: `dir ./evidence (nothing for x@1.0.0)`. */
  tried: string[];
}

/**
 * Tries the policy's sources in order; the first that has evidence decides. A source that fails
 * (HTTP error, unreadable file) stops the search with a SourceError: a fault is never "no evidence".
 * `trace` receives one line per source tried, saying what it returned (`pkgseal explain`).
 */
export async function findEvidence(pkg: TreePackage, sources: EvidenceSource[], context: EvidenceContext, trace?: (line: string) => void): Promise<EvidenceSearch> {
  const tried: string[] = [];
  for (const source of sources) {
    const lookup = await lookupSource(pkg, source, context).catch((error: unknown) => {
      trace?.(`${source.kind}: failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    });
    trace?.(lookup.found ? `${lookup.source}: found ${lookup.location}` : `${lookup.source}: ${lookup.reason}`);
    if (lookup.found) return { found: lookup, tried };
    tried.push(`${lookup.source} (${lookup.reason})`);
  }
  return { tried };
}

async function lookupSource(pkg: TreePackage, source: EvidenceSource, context: EvidenceContext): Promise<EvidenceLookup> {
  const spec = `${pkg.name}@${pkg.version}`;
  switch (source.kind) {
    case 'registry':
      return lookupRegistryAttestations(pkg, context);
    case 'dir': {
      const found = await readDirEvidence(source.dir, pkg.name, pkg.version).catch((error: Error) => {
        throw new SourceError(`dir ${source.dir}: ${error.message}`);
      });
      if (!found) return { found: false, source: `dir ${source.dir}`, reason: `nothing for ${spec}` };
      return { found: true, source: `dir ${source.dir}`, location: found.location, document: parseEvidenceText(found.text, found.location) };
    }
    case 'url':
      if (context.offline) return { found: false, source: `url ${source.url}`, reason: 'skipped: --offline' };
      return lookupUrlEvidence(context.fetcher, source.url, pkg, source.tokenEnv, context.env);
    case 'github':
      return { found: false, source: 'github', reason: 'not supported yet' };
  }
}

async function lookupRegistryAttestations(pkg: TreePackage, context: EvidenceContext): Promise<EvidenceLookup> {
  const source = `registry ${pkg.registry}`;
  if (context.offline) return { found: false, source, reason: 'skipped: --offline' };
  const packument = await context.fetcher.packument(pkg.name, pkg.registry);
  const version = packument.versions.get(pkg.version);
  if (!version) return { found: false, source, reason: `the registry has no version ${pkg.version}` };
  if (version.integrity !== undefined && version.integrity !== pkg.integrity) {
    throw new VerificationError('ARTIFACT_MISMATCH', `the registry's integrity ${version.integrity} differs from the lockfile's ${pkg.integrity}`);
  }
  if (!version.attestations) return { found: false, source, reason: 'no attestations published' };
  assertOnRegistryHost(version.attestations.url, pkg);
  const document = await context.fetcher.getJson(version.attestations.url);
  if (document === undefined) return { found: false, source, reason: `attestations not found at ${version.attestations.url}` };
  return { found: true, source, location: version.attestations.url, document };
}

/**
 * The packument is the registry's word, so its attestations must come from the registry too: a
 * URL on another host would make whoever can edit the packument (a mirror, a proxy) choose which
 * host the evidence is read from, and which hosts the audit contacts.
 */
function assertOnRegistryHost(url: string, pkg: TreePackage): void {
  if (originOf(url) !== undefined && originOf(url) === originOf(pkg.registry)) return;
  throw new SourceError(`registry ${displayUrl(pkg.registry)} points the attestations of ${pkg.name}@${pkg.version} to another host (${displayUrl(url)}); they are only read from the registry itself`);
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Evidence that exists but cannot be read as JSON: a verification failure, never "no evidence". */
export class MalformedEvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEvidenceError';
  }
}

function parseEvidenceText(text: string, location: string): unknown {
  try {
    return parseEvidenceJson(text, location);
  } catch (error) {
    if (error instanceof VerificationError) throw new MalformedEvidenceError(error.message);
    throw error;
  }
}
