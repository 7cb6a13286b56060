import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { ExpectedIdentity } from './identity.js';
import type { EvidenceSource, PackageRule, Policy } from './policy.types.js';

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

interface RawIdentity {
  issuer: string;
  subject?: string;
  subjectRegExp?: string;
  repository?: string;
  workflow?: string;
  ref?: string;
  trigger?: string;
  runner?: string;
}

interface RawPolicy {
  mode?: 'enforce' | 'warn';
  trust?: Array<{ name: string; trustedRoot?: string }>;
  sources?: Array<'registry' | { dir: string } | { url: string; tokenEnv?: string }>;
  packages?: Array<{ match: string; versions?: string; require: PackageRule['require']; identities?: RawIdentity[]; trust?: string }>;
}

let validator: ReturnType<Ajv2020['compile']> | undefined;

function validate(document: unknown): ErrorObject[] {
  if (!validator) {
    const schemaPath = createRequire(import.meta.url).resolve('../../policy.schema.json');
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    validator = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
  }
  return validator(document) ? [] : [...(validator.errors ?? [])];
}

/** Reads and validates a policy file; every problem is a PolicyError naming the file and field. */
export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PolicyError(`${file}: cannot read policy (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const problems = validate(document);
  if (problems.length > 0) {
    const [first] = problems;
    const where = first!.instancePath || '/';
    const detail = first!.keyword === 'additionalProperties' ? `unknown key "${String(first!.params.additionalProperty)}"` : first!.message;
    throw new PolicyError(`${file}: ${where}: ${detail}`);
  }
  return toPolicy(document as RawPolicy, file);
}

function toPolicy(raw: RawPolicy, file: string): Policy {
  const base = dirname(resolve(file));
  const trust = (raw.trust ?? [{ name: 'public-good' }]).map((entry) =>
    entry.trustedRoot ? { name: entry.name, trustedRoot: resolve(base, entry.trustedRoot) } : { name: entry.name },
  );
  const sources: EvidenceSource[] = (raw.sources ?? ['registry']).map((source) => {
    if (source === 'registry') return { kind: 'registry' };
    if ('dir' in source) return { kind: 'dir', dir: resolve(base, source.dir) };
    return { kind: 'url', url: source.url, ...(source.tokenEnv ? { tokenEnv: source.tokenEnv } : {}) };
  });
  const packages = (raw.packages ?? []).map((rule, i): PackageRule => {
    if (rule.trust && !trust.some((entry) => entry.name === rule.trust)) {
      throw new PolicyError(`${file}: /packages/${i}/trust: no trust entry named "${rule.trust}"`);
    }
    if ((rule.require === 'signed' || rule.require === 'provenance') && (rule.identities ?? []).length === 0) {
      throw new PolicyError(`${file}: /packages/${i}: require "${rule.require}" needs at least one identity`);
    }
    return {
      match: rule.match,
      require: rule.require,
      identities: (rule.identities ?? []).map(toExpectedIdentity),
      ...(rule.versions ? { versions: rule.versions } : {}),
      ...(rule.trust ? { trust: rule.trust } : {}),
    };
  });
  return { file, mode: raw.mode ?? 'enforce', trust, sources, packages };
}

function toExpectedIdentity(raw: RawIdentity): ExpectedIdentity {
  const identity: ExpectedIdentity = { issuer: { kind: 'exact', value: raw.issuer } };
  if (raw.subject) identity.subject = { kind: 'glob', pattern: raw.subject };
  if (raw.subjectRegExp) identity.subject = { kind: 'regexp', pattern: raw.subjectRegExp };
  for (const claim of ['repository', 'workflow', 'ref', 'trigger', 'runner'] as const) {
    if (raw[claim] !== undefined) identity[claim] = raw[claim];
  }
  return identity;
}
