/**
 * Real Sigstore evidence to test parsers against: the repository's fixtures, ../shared/realdata
 * (conformance bundles, npm attestations, trusted roots) when present, the public-good trusted
 * root that ships with @sigstore/tuf.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readSeedTargets } from '../../src/trust/public-good.js';
import { REALDATA, REPO_ROOT } from './realdata.js';

export interface RealDocument {
  source: string;
  document: unknown;
}

/** Every JSON document of evidence or trust: fixtures, and realdata when present. */
export function realDocuments(): RealDocument[] {
  const files = [...jsonFiles(join(REPO_ROOT, 'fixtures')), ...(existsSync(REALDATA) ? jsonFiles(REALDATA) : [])];
  const documents = files.flatMap((file): RealDocument[] => {
    try {
      return [{ source: file, document: JSON.parse(readFileSync(file, 'utf8')) }];
    } catch {
      return [];
    }
  });
  return [...documents, { source: '@sigstore/tuf seeds: trusted_root.json', document: readSeedTargets().trustedRoot }];
}

/** Sigstore bundles among the documents, including those inside npm attestations documents. */
export function realBundles(): RealDocument[] {
  return realDocuments().flatMap(({ source, document }) => {
    if (isBundle(document)) return [{ source, document }];
    const attestations = (document as { attestations?: unknown }).attestations;
    if (!Array.isArray(attestations)) return [];
    return attestations.flatMap((attestation: { bundle?: unknown }, i) => (isBundle(attestation?.bundle) ? [{ source: `${source} attestation ${i}`, document: attestation.bundle }] : []));
  });
}

export interface RealCertificate {
  source: string;
  der: Buffer;
}

/** Every distinct certificate in the documents: bundle leaves and chains, trusted-root CAs and TSAs. */
export function realCertificates(): RealCertificate[] {
  const byDER = new Map<string, RealCertificate>();
  for (const { source, document } of realDocuments()) {
    collectCertificates(document, false, (der) => {
      const key = der.toString('base64');
      if (!byDER.has(key)) byDER.set(key, { source, der });
    });
  }
  return [...byDER.values()];
}

/** rawBytes under a `certificate`, `certificates` or `certChain` key: certificates, not public keys. */
function collectCertificates(value: unknown, underCertificate: boolean, found: (der: Buffer) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) collectCertificates(item, underCertificate, found);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'rawBytes' && underCertificate && typeof child === 'string') found(Buffer.from(child, 'base64'));
    else collectCertificates(child, underCertificate || key === 'certificate' || key === 'certificates' || key === 'certChain', found);
  }
}

function isBundle(document: unknown): boolean {
  return typeof document === 'object' && document !== null && typeof (document as { mediaType?: unknown }).mediaType === 'string' && String((document as { mediaType: string }).mediaType).includes('sigstore.bundle');
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}
