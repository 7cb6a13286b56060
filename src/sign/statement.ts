import { npmPurl } from '../verify/artifact.js';
import type { PackedTarball } from './sign.types.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** What the statement says about the tarball: a predicate type and its body. */
export interface Predicate {
  type: string;
  body: Record<string, unknown>;
}

export interface InTotoStatement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: [{ name: string; digest: { sha512: string } }];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/**
 * The in-toto Statement v1 pkgseal signs: exactly one subject, `pkg:npm/<name>@<version>`, whose
 * sha512 is the tarball's — the registry's `dist.integrity` — the shape of npm's own provenance.
 */
export function npmPackageStatement(tarball: Pick<PackedTarball, 'name' | 'version' | 'sha512'>, predicate: Predicate): InTotoStatement {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: npmPurl(tarball.name, tarball.version), digest: { sha512: tarball.sha512.toString('hex') } }],
    predicateType: predicate.type,
    predicate: predicate.body,
  };
}
