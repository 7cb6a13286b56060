import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import semver from 'semver';
import { exceptionSpec, isExpired, parseDay, parseExceptionPackage, describeExpired } from './exceptions.js';
import type { ExpectedIdentity } from './identity.js';
import { JsonSyntaxError, parseLocatedJson, type JsonPosition } from './json-locations.js';
import { validate as validateGenerated } from './policy-validator.generated.js';
import type { EvidenceSource, IdentityDocument, PackageRule, Policy, PolicyDocument } from './policy.types.js';
import { compileMatcher, PatternError } from './string-matcher.js';

export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** One thing wrong with a policy, located in its file. */
export interface PolicyProblem {
  severity: 'error' | 'warning';
  /** JSON pointer of the offending value (`/` is the root); undefined for a JSON syntax error. */
  pointer?: string;
  position: JsonPosition;
  message: string;
}

export interface PolicyCheck {
  /** Present when there is no error (warnings allowed). */
  policy?: Policy;
  /** Errors and warnings, in file order. */
  problems: PolicyProblem[];
}

/** Reads and validates a policy; the first problem is a one-line PolicyError (`file:line:column: /pointer: reason`). */
export async function loadPolicy(file: string): Promise<Policy> {
  const { policy, problems } = checkPolicyText(await readPolicyText(file), file);
  const firstError = problems.find((problem) => problem.severity === 'error');
  if (firstError || !policy) throw new PolicyError(formatProblem(file, firstError!));
  return policy;
}

export async function readPolicyText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PolicyError(`${file}: cannot read policy: no such file (write a starter policy with "pkgseal init")`);
    throw new PolicyError(`${file}: cannot read policy (${code ?? (error as Error).message})`);
  }
}

export function formatProblem(file: string, problem: PolicyProblem): string {
  if (problem.pointer === undefined) return `${file}: ${problem.message}`;
  const severity = problem.severity === 'warning' ? 'warning: ' : '';
  return `${file}:${problem.position.line}:${problem.position.column}: ${problem.pointer}: ${severity}${problem.message}`;
}

/**
 * Validates policy text against policy.schema.json and the rules a schema cannot express, and
 * maps it to a typed Policy. Pure but for reading the schema once. With `today`, expired
 * exceptions are reported as warnings (the audit reports them as violations).
 */
export function checkPolicyText(text: string, file: string, options: { today?: Date } = {}): PolicyCheck {
  let located;
  try {
    located = parseLocatedJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const { line, column } = error.position;
    return { problems: [{ severity: 'error', position: error.position, message: `not valid JSON at line ${line}, column ${column} (${error.message})` }] };
  }
  const duplicates = located.duplicateKeys.map(
    ({ pointer, key, position }): Finding => ({ pointer, position, message: `duplicate key ${JSON.stringify(key)} (JSON keeps only the last one; write each key once)` }),
  );
  const findings = [...duplicates, ...schemaFindings(located.document), ...ruleFindings(located.document)];
  const problems = dedupe(findings).map(
    (finding): PolicyProblem => ({
      severity: finding.severity ?? 'error',
      pointer: finding.pointer || '/',
      position: finding.position ?? (finding.locate ? located.positionOf(finding.locate.pointer, finding.locate.at) : located.positionOf(finding.pointer)),
      message: finding.message,
    }),
  );
  if (problems.some((problem) => problem.severity === 'error')) return { problems: sortByPosition(problems) };
  const policy = toPolicy(located.document as PolicyDocument, file);
  for (const exception of policy.exceptions) {
    if (options.today && isExpired(exception, options.today)) {
      problems.push({ severity: 'warning', pointer: exception.pointer, position: located.positionOf(exception.pointer), message: describeExpired(exception) });
    }
  }
  return { policy, problems: sortByPosition(problems) };
}

/** A problem before it is located: `pointer` as ajv writes it (`''` is the root). */
interface Finding {
  pointer: string;
  message: string;
  severity?: 'error' | 'warning';
  /** Where to point instead of the value at `pointer` (an unknown key points at itself). */
  locate?: { pointer: string; at: 'key' | 'value' };
  /** Already located (a duplicate key, which has no pointer of its own). */
  position?: JsonPosition;
}

// ---------------------------------------------------------------- schema

/** Plain reasons for rules whose ajv message would be a regular expression or a schema term: by schema location, then keyword. */
const SCHEMA_MESSAGES = {
  '/$defs/identity': {
    not: 'give "subject" (a glob) or "subjectRegExp" (a regular expression), not both',
    anyOf: 'an identity must name who signed: "subject", "subjectRegExp" or "repository" (an issuer alone admits everyone it serves)',
  },
  '/$defs/exception/properties/package': { pattern: 'must be a package name or name@version (exact, no globs or ranges)' },
  '/$defs/exception/properties/reason': { pattern: 'must say why the exception is safe (not blank)' },
  '/$defs/exception/properties/expires': { pattern: 'must be a date YYYY-MM-DD' },
  '/$defs/registryKeysEntry/properties/registry': { pattern: 'must be an http(s) URL' },
  '/$defs/urlSource/properties/url': { pattern: 'must be an http(s) URL template' },
} as const satisfies Record<string, Record<string, string>>;

/**
 * The plain message for an error, by the schema rule it broke. The precompiled validator reports
 * `parentSchema` as a copy of that rule (and `schemaPath` relative to a `$ref`), so rules are told
 * apart by their content. Read only when a policy has errors.
 */
let messagesByRule: Map<string, Record<string, string>> | undefined;

function messageFor(error: ErrorObject): string | undefined {
  if (!messagesByRule) {
    const schema = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('../../policy.schema.json'), 'utf8')) as JsonObject;
    messagesByRule = new Map();
    for (const [pointer, byKeyword] of Object.entries(SCHEMA_MESSAGES)) {
      const node = pointer.split('/').slice(1).reduce<unknown>((parent, key) => (parent as JsonObject | undefined)?.[key], schema);
      if (!isObject(node)) throw new Error(`policy.schema.json has no ${pointer}`);
      messagesByRule.set(JSON.stringify(node), byKeyword);
    }
  }
  return isObject(error.parentSchema) ? messagesByRule.get(JSON.stringify(error.parentSchema))?.[error.keyword] : undefined;
}

/** policy.schema.json compiled ahead of time (scripts/build-policy-validator.mjs), with load-policy's ajv options. */
const validatePolicySchema = validateGenerated as unknown as ValidateFunction;

function schemaFindings(document: unknown): Finding[] {
  if (validatePolicySchema(document)) return [];
  return (validatePolicySchema.errors ?? []).filter(isUserFacing).map(toFinding);
}

/** `if` wrappers and the branches of `anyOf` restate an error reported on its own. */
function isUserFacing(error: ErrorObject): boolean {
  return error.keyword !== 'if' && !error.schemaPath.includes('/anyOf/');
}

function toFinding(error: ErrorObject): Finding {
  const pointer = error.instancePath;
  const custom = messageFor(error);
  if (custom) return { pointer, message: custom };
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { pointer, locate: { pointer: `${pointer}/${escapePointer(key)}`, at: 'key' }, message: `unknown key ${JSON.stringify(key)}${suggestion(key, known)}` };
    }
    case 'required':
      return { pointer, message: `missing required key "${String(error.params.missingProperty)}"` };
    case 'enum':
      return { pointer, message: `must be equal to one of the allowed values: ${(error.params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { pointer, message: `must be equal to constant ${JSON.stringify(error.params.allowedValue)}` };
    case 'minLength':
    case 'minItems':
      return { pointer, message: 'must not be empty' };
    default:
      return { pointer, message: error.message ?? `fails schema rule ${error.keyword}` };
  }
}

function suggestion(key: string, known: string[]): string {
  const close = known.find((candidate) => candidate.toLowerCase() === key.toLowerCase() || editDistance(candidate, key) <= 2);
  return close ? ` (did you mean "${close}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

// ---------------------------------------------------------------- rules a schema cannot express

type JsonObject = Record<string, unknown>;

/** Runs on any document, valid or not: each rule looks only at values of the right type, so all errors show at once. */
function ruleFindings(document: unknown): Finding[] {
  if (!isObject(document)) return [];
  const findings: Finding[] = [];
  const sigstoreNames = trustFindings(objectsIn(document.trust, '/trust'), findings);
  sourceFindings(document.sources, findings);
  const defaults = isObject(document.defaults) ? document.defaults : {};
  const defaultIdentities = objectsIn(defaults.identities, '/defaults/identities');
  defaultIdentities.forEach(([pointer, identity]) => identityFindings(pointer, identity, findings));
  if (needsIdentities(defaults.require) && defaultIdentities.length === 0) {
    findings.push({ pointer: '/defaults/require', message: `require "${defaults.require}" needs at least one identity in defaults.identities` });
  }
  for (const [pointer, rule] of objectsIn(document.packages, '/packages')) {
    if (typeof rule.match === 'string') globFindings(`${pointer}/match`, rule.match, 'match', findings);
    if (typeof rule.versions === 'string' && semver.validRange(rule.versions) === null) {
      findings.push({ pointer: `${pointer}/versions`, message: `invalid semver range ${JSON.stringify(rule.versions)}` });
    }
    const identities = objectsIn(rule.identities, `${pointer}/identities`);
    identities.forEach(([identityPointer, identity]) => identityFindings(identityPointer, identity, findings));
    if (needsIdentities(rule.require) && identities.length === 0 && defaultIdentities.length === 0 && rule.identities === undefined) {
      findings.push({ pointer: `${pointer}/require`, message: `require "${rule.require}" needs at least one identity, in the entry or in defaults.identities` });
    }
    if (typeof rule.trust === 'string' && !sigstoreNames.includes(rule.trust)) {
      findings.push({ pointer: `${pointer}/trust`, message: `no trust entry named ${JSON.stringify(rule.trust)} (trust entries: ${sigstoreNames.map((name) => JSON.stringify(name)).join(', ')})` });
    }
  }
  exceptionFindings(objectsIn(document.exceptions, '/exceptions'), findings);
  return findings;
}

function needsIdentities(requirement: unknown): boolean {
  return requirement === 'signed' || requirement === 'provenance';
}

/** Returns the names rules may use: the Sigstore entries, or the implicit public-good. */
function trustFindings(entries: Array<[string, JsonObject]>, findings: Finding[]): string[] {
  const names = new Map<string, string>();
  const registries = new Map<string, string>();
  for (const [pointer, entry] of entries) {
    if ('registry' in entry) {
      if (typeof entry.registry !== 'string' || !/^https?:\/\//.test(entry.registry)) continue;
      if (!URL.canParse(entry.registry)) {
        findings.push({ pointer: `${pointer}/registry`, message: `${JSON.stringify(entry.registry)} is not a valid URL` });
        continue;
      }
      const registry = registryBase(entry.registry);
      const first = registries.get(registry);
      if (first) findings.push({ pointer: `${pointer}/registry`, message: `duplicate registry keys entry for ${registry} (first at ${first})` });
      else registries.set(registry, pointer);
      continue;
    }
    if (typeof entry.name !== 'string') continue;
    const first = names.get(entry.name);
    if (first) findings.push({ pointer: `${pointer}/name`, message: `duplicate trust entry name ${JSON.stringify(entry.name)} (first at ${first})` });
    else names.set(entry.name, pointer);
    if (entry.trustedRoot === undefined && entry.name !== 'public-good') {
      findings.push({ pointer, message: `trust entry ${JSON.stringify(entry.name)} needs a "trustedRoot" file (only "public-good" may omit it: the embedded root)` });
    }
  }
  return names.size > 0 ? [...names.keys()] : ['public-good'];
}

function sourceFindings(sources: unknown, findings: Finding[]): void {
  if (!Array.isArray(sources)) return;
  sources.forEach((source, i) => {
    if (source === 'github') findings.push({ pointer: `/sources/${i}`, severity: 'warning', message: 'source "github" is not supported yet: it is skipped' });
  });
}

function identityFindings(pointer: string, identity: JsonObject, findings: Finding[]): void {
  if (typeof identity.subject === 'string') globFindings(`${pointer}/subject`, identity.subject, 'subject', findings);
  if (typeof identity.subjectRegExp === 'string') {
    try {
      compileMatcher({ kind: 'regexp', pattern: identity.subjectRegExp });
    } catch (error) {
      if (!(error instanceof PatternError)) throw error;
      findings.push({ pointer: `${pointer}/subjectRegExp`, message: error.message });
    }
  }
}

/** Regular-expression syntax that a glob would take literally, so the pattern could never match as meant. */
const REGEXP_SYNTAX = [
  [/^\^/, 'starts with "^"'],
  [/\$$/, 'ends with "$"'],
  [/(^|[^A-Za-z0-9])\.[*+]|\.\+/, 'has ".*" or ".+"'],
  [/\\/, 'has a backslash escape'],
  [/[()|]/, 'has a group or "|"'],
  [/\[[^\]]*\]/, 'has a character class'],
] as const satisfies ReadonlyArray<readonly [RegExp, string]>;

function globFindings(pointer: string, glob: string, key: 'subject' | 'match', findings: Finding[]): void {
  const syntax = REGEXP_SYNTAX.find(([pattern]) => pattern.test(glob));
  if (!syntax) return;
  const hint = key === 'subject' ? '; use "subjectRegExp" for a regular expression' : '';
  findings.push({ pointer, message: `looks like a regular expression (${syntax[1]}): ${JSON.stringify(key)} is an anchored glob (* within a path segment, ** across)${hint}` });
}

function exceptionFindings(exceptions: Array<[string, JsonObject]>, findings: Finding[]): void {
  const seen = new Map<string, string>();
  for (const [pointer, exception] of exceptions) {
    if (typeof exception.expires === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(exception.expires) && !parseDay(exception.expires)) {
      findings.push({ pointer: `${pointer}/expires`, message: `${JSON.stringify(exception.expires)} is not a calendar date` });
    }
    if (typeof exception.package !== 'string') continue;
    const spec = parseExceptionPackage(exception.package);
    if (spec.version !== undefined && semver.valid(spec.version) !== spec.version) {
      findings.push({ pointer: `${pointer}/package`, message: `${JSON.stringify(spec.version)} is not an exact version: name one version (${JSON.stringify(`${spec.name}@1.2.3`)}) or none` });
    }
    const first = seen.get(exception.package);
    if (first) findings.push({ pointer: `${pointer}/package`, message: `duplicate exception for ${exceptionSpec(spec)} (first at ${first})` });
    else seen.set(exception.package, pointer);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectsIn(value: unknown, pointer: string): Array<[string, JsonObject]> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i): Array<[string, JsonObject]> => (isObject(item) ? [[`${pointer}/${i}`, item]] : []));
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.pointer}\0${finding.message}\0${finding.position?.line}:${finding.position?.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortByPosition(problems: PolicyProblem[]): PolicyProblem[] {
  return [...problems].sort((a, b) => a.position.line - b.position.line || a.position.column - b.position.column);
}

// ---------------------------------------------------------------- mapping to Policy

/** Maps a document that passed every check; paths resolve against the policy file's folder. */
function toPolicy(document: PolicyDocument, file: string): Policy {
  const base = dirname(resolve(file));
  const trustEntries = document.trust ?? [];
  const trust = trustEntries.flatMap((entry) =>
    'registry' in entry ? [] : [entry.trustedRoot ? { name: entry.name, trustedRoot: resolve(base, entry.trustedRoot) } : { name: entry.name }],
  );
  const registryKeys = trustEntries.flatMap((entry) => ('registry' in entry ? [{ registry: registryBase(entry.registry), keysFile: resolve(base, entry.keys) }] : []));
  const sources = (document.sources ?? ['registry']).map((source): EvidenceSource => {
    if (source === 'registry' || source === 'github') return { kind: source };
    if ('dir' in source) return { kind: 'dir', dir: resolve(base, source.dir) };
    return { kind: 'url', url: source.url, ...(source.tokenEnv ? { tokenEnv: source.tokenEnv } : {}) };
  });
  const defaults = {
    ...(document.defaults?.require ? { require: document.defaults.require } : {}),
    noDowngrade: document.defaults?.noDowngrade ?? document.noDowngrade ?? false,
    identities: (document.defaults?.identities ?? []).map(toExpectedIdentity),
  };
  const packages = (document.packages ?? []).map(
    (rule, i): PackageRule => ({
      match: rule.match,
      require: rule.require,
      identities: rule.identities ? rule.identities.map(toExpectedIdentity) : defaults.identities,
      noDowngrade: rule.noDowngrade ?? defaults.noDowngrade,
      pointer: `/packages/${i}`,
      ...(rule.versions ? { versions: rule.versions } : {}),
      ...(rule.trust ? { trust: rule.trust } : {}),
    }),
  );
  const exceptions = (document.exceptions ?? []).map((exception, i) => ({
    ...parseExceptionPackage(exception.package),
    reason: exception.reason,
    expires: parseDay(exception.expires)!,
    pointer: `/exceptions/${i}`,
  }));
  return {
    file,
    mode: document.mode ?? 'enforce',
    trust: trust.length > 0 ? trust : [{ name: 'public-good' }],
    registryKeys,
    sources,
    defaults,
    packages,
    exceptions,
  };
}

/** Registry base URLs compare with a trailing slash, as `TreePackage.registry` is written. */
function registryBase(url: string): string {
  const parsed = new URL(url);
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
}

function toExpectedIdentity(raw: IdentityDocument): ExpectedIdentity {
  const identity: ExpectedIdentity = { issuer: { kind: 'exact', value: raw.issuer } };
  if (raw.subject) identity.subject = { kind: 'glob', pattern: raw.subject };
  if (raw.subjectRegExp) identity.subject = { kind: 'regexp', pattern: raw.subjectRegExp };
  for (const claim of ['repository', 'workflow', 'ref', 'trigger', 'runner'] as const) {
    if (raw[claim] !== undefined) identity[claim] = raw[claim];
  }
  return identity;
}
