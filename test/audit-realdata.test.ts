import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './support/cli.js';
import { provenanceCases, REALDATA, realdataSkip, type ProvenanceCase } from './support/realdata.js';


const cases = provenanceCases();
const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-audit-realdata-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A one-dependency project: generated lockfile, a dir source holding the case's file, a policy naming the signer. */
function projectFor(testCase: ProvenanceCase): string {
  const dir = join(scratch, testCase.id);
  const { name, version } = testCase.package;
  const evidence = join(dir, 'evidence', `${name}@${version}.sigstore.json`);
  mkdirSync(dirname(evidence), { recursive: true });
  copyFileSync(join(REALDATA, 'npm-provenance', testCase.file), evidence);
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'consumer',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'consumer', dependencies: { [name]: version } },
        [`node_modules/${name}`]: {
          version,
          resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
          integrity: testCase.integrity,
        },
      },
    }),
  );
  writeFileSync(
    join(dir, 'pkgseal.policy.json'),
    JSON.stringify({
      version: 1,
      mode: 'enforce',
      trust: [{ name: 'public-good' }],
      sources: [{ dir: './evidence' }],
      packages: [
        {
          match: name,
          require: 'provenance',
          identities: [{ issuer: testCase.expected_provenance_signer.issuer, subjectRegExp: testCase.expected_provenance_signer.san.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') }],
        },
      ],
    }),
  );
  return dir;
}

describe('real npm provenance through `pkgseal audit --offline` (dir source, generated lockfile)', { skip: realdataSkip, concurrency: 4 }, () => {
  for (const testCase of cases) {
    test(`${testCase.id} is expected to ${testCase.expected}`, async () => {
      const result = await runCli(['audit', projectFor(testCase), '--offline', '--format', 'json']);
      const report = JSON.parse(result.stdout);
      const [only] = report.results;
      if (testCase.expected === 'pass') {
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.equal(only.outcome, 'pass');
      } else {
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.equal(only.outcome, 'violation');
      }
    });
  }
});
