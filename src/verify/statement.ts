import { isObject } from '../trust/json-fields.js';
import { fail } from './errors.js';
import type { DsseContent } from './bundle.types.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);

export interface StatementSubject {
  name: string;
  digest: Record<string, string>;
}

/** An in-toto Statement whose envelope signature has been verified. */
export interface Statement {
  type: string;
  predicateType: string;
  subjects: StatementSubject[];
  predicate: unknown;
}

export function parseStatement(content: DsseContent): Statement {
  if (content.payloadType !== IN_TOTO_PAYLOAD_TYPE) fail('STATEMENT_ERROR', `unsupported DSSE payload type "${content.payloadType}"`);
  let statement: unknown;
  try {
    statement = JSON.parse(content.payload.toString('utf8'));
  } catch {
    fail('STATEMENT_ERROR', 'DSSE payload is not JSON');
  }
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
