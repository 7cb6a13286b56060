import pLimit from 'p-limit';
import type { ObservedSigner } from '../policy/init-policy.js';
import { signerClaims } from '../policy/identity.js';
import { findEvidence } from '../sources/find-evidence.js';
import { createHttpFetcher } from '../sources/http-fetcher.js';
import type { EvidenceSource } from '../policy/policy.types.js';
import type { TrustMaterial } from '../trust/trust.types.js';
import { loadTree, TreeError } from '../tree/load-tree.js';
import { loadNpmConfig } from '../tree/npm-registry-config.js';
import type { TreePackage } from '../tree/tree.types.js';
import { parseSha512Integrity } from '../verify/artifact.js';
import { classifyEvidence, verifyEvidence } from '../verify/npm-attestations.js';
import type { ObserveOptions } from './init-command.js';
import { loadTrust } from './trust-options.js';
import { UsageError } from './usage-error.js';


/**
 * For `pkgseal init --from-tree`: the provenance signer of every package in the tree that has
 * verifiable provenance now, on its registry or (with `evidenceDir`) in an evidence folder. Packages without it (or whose evidence does not
 * verify) are simply not observed; the starter policy then leaves them to its defaults.
 */
export async function observeTreeSigners(dir: string, options: ObserveOptions = {}): Promise<ObservedSigner[]> {
  const npmConfig = await loadNpmConfig(dir);
  const tree = await loadTree(dir, { registryFor: npmConfig.registryFor }).catch((error: unknown) => {
    throw error instanceof TreeError ? new UsageError(error.message) : error;
  });
  const context = { fetcher: createHttpFetcher({ npmOptions: npmConfig.flat }), offline: options.offline ?? false, env: process.env };
  const trust = await loadTrust(options.trustedRoot ? { trustedRoot: options.trustedRoot } : {});
  const sources: EvidenceSource[] = [{ kind: 'registry' }, ...(options.evidenceDir ? [{ kind: 'dir' as const, dir: options.evidenceDir }] : [])];
  const limit = pLimit(16);
  const observed = await Promise.all(tree.packages.map((pkg) => limit(() => observe(pkg, sources, context, trust).catch(() => undefined))));
  return observed.filter((signer): signer is ObservedSigner => signer !== undefined);
}

async function observe(pkg: TreePackage, sources: EvidenceSource[], context: Parameters<typeof findEvidence>[2], trust: TrustMaterial): Promise<ObservedSigner | undefined> {
  const sha512 = pkg.integrity ? parseSha512Integrity(pkg.integrity) : undefined;
  if (!sha512 || pkg.unsupportedSource) return undefined;
  const { found } = await findEvidence(pkg, sources, context);
  if (!found) return undefined;
  const attestations = verifyEvidence(classifyEvidence(found.document), { trust, npmPackage: { name: pkg.name, version: pkg.version, sha512 } });
  const provenance = attestations.find((attestation) => attestation.signer.kind === 'certificate' && attestation.predicateType.startsWith('https://slsa.dev/provenance/'));
  if (!provenance || provenance.signer.kind !== 'certificate') return undefined;
  const { identity } = provenance.signer;
  const claims = signerClaims(identity);
  return {
    name: pkg.name,
    issuer: identity.issuer,
    subject: identity.subject,
    ...(claims.repository ? { repository: claims.repository } : {}),
    ...(claims.workflow ? { workflow: claims.workflow } : {}),
  };
}
