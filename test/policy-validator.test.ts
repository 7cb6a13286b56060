/**
 * policy.schema.json is compiled ahead of time (scripts/build-policy-validator.mjs) so that no run
 * pays for compiling it; the compiled module must be the schema's current one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/realdata.js';

test('src/policy/policy-validator.generated.ts is compiled from the current policy.schema.json', async () => {
  const { generatePolicyValidator } = (await import(join(REPO_ROOT, 'scripts/build-policy-validator.mjs'))) as { generatePolicyValidator(): string };
  const committed = readFileSync(join(REPO_ROOT, 'src/policy/policy-validator.generated.ts'), 'utf8');
  assert.ok(committed === generatePolicyValidator(), 'stale: run `npm run build:policy-validator` and commit the result');
});
