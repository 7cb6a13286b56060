import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * The SARIF 2.1.0 JSON schema as OASIS published it (rtm.5, the copy schemastore serves), from
 * the MIT-licensed `@microsoft/jest-sarif` package: we read its JSON file and never load its code.
 */
export const SARIF_SCHEMA_MODULE = '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';

/** A validator for a whole SARIF log, or undefined when the schema package is not installed. */
export function loadSarifValidator(): ValidateFunction | undefined {
  let schemaPath: string;
  try {
    schemaPath = createRequire(import.meta.url).resolve(SARIF_SCHEMA_MODULE);
  } catch {
    return undefined;
  }
  const { $schema: _draft04, id, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as { $schema: string; id: string } & Record<string, unknown>;
  // The file is draft-04, which Ajv 8 does not ship; it uses no keyword whose meaning changed
  // in draft-07 except the top-level `id`, so renaming that one is the whole translation.
  // unicodeRegExp off: the published file's language pattern has a stray `]`, legal only
  // without the `u` flag (JSON Schema patterns are ECMA-262, as draft-04 validators ran them).
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  // ajv-formats is not a dependency; these three are all the schema uses.
  ajv.addFormat('uri', (value: string) => /^[a-z][a-z0-9+.-]*:/i.test(value) && URL.canParse(value));
  ajv.addFormat('uri-reference', (value: string) => URL.canParse(value, 'file:///base/'));
  ajv.addFormat('date-time', (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(value) && !Number.isNaN(Date.parse(value)));
  return ajv.compile({ ...schema, $id: id });
}
