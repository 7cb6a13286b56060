import { isObject } from '../trust/json-fields.js';
import { fail } from './errors.js';
import { jsonStructureProblem } from './json-text.js';
import type { DsseContent } from './bundle.types.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);

/**
 * One subject of an in-toto statement: a name (`pkg:npm/<name>@<version>` for npm) and its
 * digests, in hex, by algorithm.
 * @example
 * ```ts
 * import { npmPurl, type StatementSubject } from 'pkgseal';
 *
 * const subject: StatementSubject = { name: npmPurl('left-pad', '1.3.0'), digest: { sha512: 'c2ba7b…' } };
 * ```
 */
export interface StatementSubject {
  name: string;
  digest: Record<string, string>;
}

/**
 * An in-toto Statement whose envelope signature has been verified.
 * @example
 * ```ts
 * import type { Statement } from 'pkgseal';
 *
 * const isSlsaProvenance = (statement: Statement): boolean => statement.predicateType.startsWith('https://slsa.dev/provenance/');
 * ```
 */
export interface Statement {
  type: string;
  predicateType: string;
  subjects: StatementSubject[];
  predicate: unknown;
}

export function parseStatement(content: DsseContent): Statement {
  if (content.payloadType !== IN_TOTO_PAYLOAD_TYPE) fail('STATEMENT_ERROR', `unsupported DSSE payload type "${content.payloadType}"`);
  const text = content.payload.toString('utf8');
  let statement: unknown;
  try {
    statement = JSON.parse(text);
  } catch {
    fail('STATEMENT_ERROR', 'DSSE payload is not JSON');
  }
  // Signed bytes that two readers could parse differently are not a statement anyone can rely on.
  const problem = jsonStructureProblem(text);
  if (problem) fail('STATEMENT_ERROR', `DSSE payload ${problem}`);
  if (!isObject(statement)) fail('STATEMENT_ERROR', 'in-toto statement is not an object');
  const type = statement._type;
  if (typeof type !== 'string' || !STATEMENT_TYPES.has(type)) fail('STATEMENT_ERROR', `unsupported in-toto statement type "${String(type)}"`);
  if (typeof statement.predicateType !== 'string' || statement.predicateType === '') fail('STATEMENT_ERROR', 'statement has no predicateType');
  if (!Array.isArray(statement.subject) || statement.subject.length === 0) fail('STATEMENT_ERROR', 'statement has no subjects');
  const subjects = statement.subject.map((subject, i): StatementSubject => {
    if (!isObject(subject) || typeof subject.name !== 'string' || !isObject(subject.digest)) {
      fail('STATEMENT_ERROR', `statement subject ${i} is malformed`);
    }
    const digest: Record<string, string> = {};
    for (const [algorithm, value] of Object.entries(subject.digest)) {
      if (typeof value !== 'string') fail('STATEMENT_ERROR', `statement subject ${i} has a non-text ${algorithm} digest`);
      digest[algorithm] = value.toLowerCase();
    }
    if (Object.keys(digest).length === 0) fail('STATEMENT_ERROR', `statement subject ${i} has no digest`);
    return { name: subject.name, digest };
  });
  return { type, predicateType: statement.predicateType, subjects, predicate: statement.predicate };
}
