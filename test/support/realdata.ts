import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REALDATA = resolve(REPO_ROOT, '../shared/realdata');
export const CLI = join(REPO_ROOT, 'dist/cli/main.js');

/** `false` when ../shared/realdata is present; otherwise the visible reason tests are skipped. */
export const realdataSkip: false | string = existsSync(join(REALDATA, 'MANIFEST.json'))
  ? false
  : `../shared/realdata is absent (looked in ${REALDATA}): real-data cases not run`;

if (realdataSkip) process.stdout.write(`# SKIP ${realdataSkip}\n`);

export function readRealdataJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(join(REALDATA, relativePath), 'utf8')) as T;
}

/** One case of npm-provenance/cases.json (see its `semantics`). */
export interface ProvenanceCase {
  id: string;
  expected: 'pass' | 'fail';
  file: string;
  package: { name: string; version: string };
  integrity: string;
  integrity_provenance: string;
  expected_provenance_signer: { san: string; issuer: string };
}

/** The npm-provenance cases, or none when the real data is absent (suites then skip visibly). */
export function provenanceCases(): ProvenanceCase[] {
  return realdataSkip ? [] : readRealdataJson<{ cases: ProvenanceCase[] }>('npm-provenance/cases.json').cases;
}
