import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import type { Log, Result } from 'sarif';
import { formatJson, JSON_SCHEMA_VERSION } from '../src/report/json-report.js';
import { createProgress, type ProgressStream } from '../src/report/progress.js';
import type { AuditReport, PackageResult } from '../src/report/report.types.js';
import { formatSarif, SARIF_SCHEMA_URI } from '../src/report/sarif-report.js';
import { ruleIdFor, summarize } from '../src/report/summarize.js';
import { formatText, oneLine, shouldUseColor } from '../src/report/text-report.js';
import { writeOutput } from '../src/report/write-output.js';
import { REPO_ROOT } from './support/realdata.js';
import { loadSarifValidator, SARIF_SCHEMA_MODULE } from './support/sarif-schema.js';

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-report-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const PROJECT = '/work/app';
const LOCKFILE = `${PROJECT}/package-lock.json`;
const POLICY = `${PROJECT}/pkgseal.policy.json`;
const ESC = '\u001b';

/** Results worded as the audit words them, deliberately out of order. */
function sampleResults(): PackageResult[] {
  return [
    {
      name: 'zod',
      version: '3.23.8',
      paths: ['node_modules/zod'],
      location: { file: LOCKFILE, line: 40, column: 5 },
      outcome: 'pass',
      reason: 'signed by https://github.com/colinhacks/zod/.github/workflows/release.yml@refs/heads/main (https://token.actions.githubusercontent.com)',
      rule: '*',
      signer: { issuer: 'https://token.actions.githubusercontent.com', subject: 'https://github.com/colinhacks/zod/.github/workflows/release.yml@refs/heads/main' },
    },
    {
      name: 'my-fork',
      version: '1.0.0',
      paths: ['node_modules/my-fork'],
      location: { file: LOCKFILE, line: 30, column: 5 },
      outcome: 'unsupported',
      reason: 'unsupported source (git)',
      fix: 'set require "none" for "my-fork" if this is intended',
    },
    {
      name: 'left-pad',
      version: '1.3.0',
      paths: ['node_modules/left-pad'],
      location: { file: LOCKFILE, line: 20, column: 5 },
      outcome: 'exempted',
      reason: 'no evidence found (tried: registry)',
      exception: { reason: 'vendored, reviewed', expires: new Date(Date.UTC(2027, 2, 1)) },
    },
    {
      name: '@demo/evil-lib',
      version: '1.10.0',
      paths: ['node_modules/@demo/evil-lib', 'node_modules/a/node_modules/@demo/evil-lib'],
      location: { file: LOCKFILE, line: 12, column: 5 },
      outcome: 'violation',
      reason: 'signed by https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main, which the policy does not allow (repository\nis https://github.com/attacker/fork)',
      fix: 'if this signer is legitimate, add it to the identities of the entry matching "@demo/*"',
      rule: '@demo/*',
    },
    {
      name: '@demo/evil-lib',
      version: '1.9.0',
      paths: ['node_modules/b/node_modules/@demo/evil-lib'],
      outcome: 'violation',
      reason: 'no evidence found (tried: dir /evidence (nothing for @demo/evil-lib@1.9.0))',
      fix: 'publish @demo/evil-lib@1.9.0 with pkgseal, or add its bundle to a dir source',
    },
  ];
}

function sampleReport(overrides: Partial<AuditReport> = {}): AuditReport {
  const results = overrides.results ?? sampleResults();
  return {
    tool: { name: 'pkgseal', version: '0.1.0' },
    project: PROJECT,
    lockfile: LOCKFILE,
    policy: POLICY,
    mode: 'enforce',
    summary: summarize(results),
    results,
    policyProblems: ['exception for old-lib@2.0.0 expired on 2025-01-31. Fix: renew or remove it in pkgseal.policy.json'],
    ...overrides,
  };
}

describe('summarize', () => {
  test('counts every outcome, and packages is the number of results', () => {
    assert.deepEqual(summarize(sampleResults()), { packages: 5, passed: 1, violations: 2, exempted: 1, unsupported: 1 });
    assert.deepEqual(summarize([]), { packages: 0, passed: 0, violations: 0, exempted: 0, unsupported: 0 });
  });
});

describe('text report', () => {
  test('lists violations, then unsupported, then exempted, one line each, then the summary and policy problems', () => {
    const lines = formatText(sampleReport(), { color: false, verbose: false }).trimEnd().split('\n');
    assert.deepEqual(lines, [
      'FAIL @demo/evil-lib@1.9.0 (node_modules/b/node_modules/@demo/evil-lib): no evidence found (tried: dir /evidence (nothing for @demo/evil-lib@1.9.0)). Fix: publish @demo/evil-lib@1.9.0 with pkgseal, or add its bundle to a dir source',
      'FAIL @demo/evil-lib@1.10.0 (node_modules/@demo/evil-lib): signed by https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main, which the policy does not allow (repository is https://github.com/attacker/fork). Fix: if this signer is legitimate, add it to the identities of the entry matching "@demo/*"',
      'UNSUPPORTED my-fork@1.0.0 (node_modules/my-fork): unsupported source (git). Fix: set require "none" for "my-fork" if this is intended',
      'EXEMPT left-pad@1.3.0 (node_modules/left-pad): no evidence found (tried: registry) (exception expires 2027-03-01: vendored, reviewed)',
      '5 packages: 1 passed, 2 violations, 1 exempted, 1 unsupported',
      'policy: exception for old-lib@2.0.0 expired on 2025-01-31. Fix: renew or remove it in pkgseal.policy.json',
    ]);
  });

  test('lists passes only when verbose, after the problems', () => {
    const quiet = formatText(sampleReport(), { color: false, verbose: false });
    const verbose = formatText(sampleReport(), { color: false, verbose: true });
    assert.doesNotMatch(quiet, /zod/);
    const lines = verbose.split('\n');
    const passAt = lines.findIndex((line) => line.startsWith('PASS zod@3.23.8: signed by https://github.com/colinhacks/zod/'));
    assert.ok(passAt > lines.findIndex((line) => line.startsWith('EXEMPT ')), verbose);
    assert.ok(passAt < lines.findIndex((line) => line.startsWith('5 packages: ')), verbose);
  });

  test('adds "(mode: warn, not failing)" to the summary only in warn mode with violations', () => {
    assert.match(formatText(sampleReport({ mode: 'warn' }), { color: false, verbose: false }), /^5 packages: 1 passed, 2 violations, 1 exempted, 1 unsupported \(mode: warn, not failing\)$/m);
    assert.doesNotMatch(formatText(sampleReport({ mode: 'enforce' }), { color: false, verbose: false }), /mode: warn/);
    const clean = sampleResults().filter((result) => result.outcome !== 'violation');
    assert.match(formatText(sampleReport({ mode: 'warn', results: clean, summary: summarize(clean) }), { color: false, verbose: false }), /^3 packages: 1 passed, 0 violations, 1 exempted, 1 unsupported$/m);
  });

  test('keeps a reason with line breaks and terminal escapes on one inert line', () => {
    const hostile: PackageResult = {
      name: 'evil',
      version: '1.0.0',
      paths: ['node_modules/evil'],
      outcome: 'violation',
      reason: `evidence does not verify:\r\n  ${ESC}]0;owned\u0007${ESC}[2Jcleared\u2028screen`,
      fix: 'remove\nit',
    };
    const text = formatText(sampleReport({ results: [hostile], summary: summarize([hostile]), policyProblems: ['two\nlines'] }), { color: false, verbose: true });
    assert.deepEqual(text.trimEnd().split('\n'), [
      'FAIL evil@1.0.0 (node_modules/evil): evidence does not verify: ]0;owned [2Jcleared screen. Fix: remove it',
      '1 packages: 0 passed, 1 violations, 0 exempted, 0 unsupported',
      'policy: two lines',
    ]);
    assert.equal(oneLine(' a \n\t b '), 'a b');
  });

  test('colours only the labels, and only when asked', () => {
    const plain = formatText(sampleReport(), { color: false, verbose: true });
    assert.ok(!plain.includes(ESC), plain);
    const coloured = formatText(sampleReport(), { color: true, verbose: true });
    assert.match(coloured, new RegExp(`^${ESC}\\[31mFAIL${ESC}\\[0m @demo/evil-lib@1\\.9\\.0 `, 'm'));
    assert.match(coloured, new RegExp(`^${ESC}\\[32mPASS${ESC}\\[0m zod@`, 'm'));
    // Stripping the colour gives back exactly the plain report.
    assert.equal(coloured.replace(/\u001b\[\d+m/g, ''), plain);
  });
});

describe('shouldUseColor', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  test('colours a terminal by default, never a pipe or a file', () => {
    assert.equal(shouldUseColor(tty, {}), true);
    assert.equal(shouldUseColor(pipe, {}), false);
    assert.equal(shouldUseColor({}, {}), false);
    assert.equal(shouldUseColor(tty, { TERM: 'dumb' }), false);
  });
  test('NO_COLOR with any non-empty value turns colour off, even over FORCE_COLOR', () => {
    for (const value of ['1', '0', 'false', 'yes']) {
      assert.equal(shouldUseColor(tty, { NO_COLOR: value }), false, `NO_COLOR=${value}`);
      assert.equal(shouldUseColor(tty, { NO_COLOR: value, FORCE_COLOR: '1' }), false, `NO_COLOR=${value} FORCE_COLOR=1`);
    }
    // no-color.org: "when present and not an empty string".
    assert.equal(shouldUseColor(tty, { NO_COLOR: '' }), true);
  });
  test('FORCE_COLOR=1 forces colour on a pipe; FORCE_COLOR=0 turns it off on a terminal', () => {
    assert.equal(shouldUseColor(pipe, { FORCE_COLOR: '1' }), true);
    assert.equal(shouldUseColor(pipe, { FORCE_COLOR: '0' }), false);
    assert.equal(shouldUseColor(tty, { FORCE_COLOR: '0' }), false);
  });
});

describe('JSON report', () => {
  test('has schemaVersion 1 and the documented top-level keys in order', () => {
    const document = JSON.parse(formatJson(sampleReport()));
    assert.equal(document.schemaVersion, 1);
    assert.equal(JSON_SCHEMA_VERSION, 1);
    assert.deepEqual(Object.keys(document), ['schemaVersion', 'tool', 'project', 'lockfile', 'policy', 'mode', 'summary', 'results', 'policyProblems']);
    assert.deepEqual(document.summary, { packages: 5, passed: 1, violations: 2, exempted: 1, unsupported: 1 });
  });

  test('sorts results by name, then semver version, whatever the input order', () => {
    const forward = formatJson(sampleReport());
    const backward = formatJson(sampleReport({ results: sampleResults().reverse() }));
    assert.equal(forward, backward);
    const specs = JSON.parse(forward).results.map((result: PackageResult) => `${result.name}@${result.version} ${result.ruleId ?? '-'}`);
    assert.deepEqual(specs, [
      '@demo/evil-lib@1.9.0 pkgseal/missing-evidence',
      '@demo/evil-lib@1.10.0 pkgseal/identity-mismatch',
      'left-pad@1.3.0 pkgseal/missing-evidence',
      'my-fork@1.0.0 pkgseal/unsupported-source',
      'zod@3.23.8 -',
    ]);
  });

  test('never writes undefined or null, leaving optional fields out', () => {
    const sparse: PackageResult = { name: 'a', version: '1.0.0', paths: [], outcome: 'pass', reason: 'ok', fix: undefined, location: undefined, signer: undefined };
    const text = formatJson(sampleReport({ results: [sparse], summary: summarize([sparse]) }));
    assert.doesNotMatch(text, /null|undefined/);
    assert.deepEqual(Object.keys(JSON.parse(text).results[0]), ['name', 'version', 'outcome', 'reason', 'paths']);
  });

  test('writes dates as ISO 8601 strings, and generatedAt only when the audit recorded it', () => {
    assert.equal('generatedAt' in JSON.parse(formatJson(sampleReport())), false);
    const document = JSON.parse(formatJson(sampleReport({ generatedAt: new Date(Date.UTC(2026, 4, 1, 12)) })));
    assert.equal(document.generatedAt, '2026-05-01T12:00:00.000Z');
    const exempted = document.results.find((result: { name: string }) => result.name === 'left-pad');
    assert.deepEqual(exempted.exception, { reason: 'vendored, reviewed', expires: '2027-03-01' });
  });

  test('docs/report-json.md documents every field the report can carry', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs/report-json.md'), 'utf8');
    const full: PackageResult = {
      ...sampleResults()[0]!,
      outcome: 'exempted',
      fix: 'f',
      ruleId: 'pkgseal/identity-mismatch',
      signer: { issuer: 'i', subject: 's', repository: 'r', workflow: 'w', ref: 'f' },
      exception: { reason: 'r', expires: new Date(Date.UTC(2027, 0, 1)) },
    };
    const document = JSON.parse(formatJson(sampleReport({ results: [full], summary: summarize([full]), generatedAt: new Date(0) })));
    const keys = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value !== null && typeof value === 'object') {
        for (const [key, entry] of Object.entries(value)) {
          keys.add(key);
          collect(entry);
        }
      }
    };
    collect(document);
    const undocumented = [...keys].filter((key) => !docs.includes(`\`${key}\``));
    assert.deepEqual(undocumented, []);
  });
});

describe('SARIF report', () => {
  const validate = loadSarifValidator();
  const parse = (report: AuditReport): Log => JSON.parse(formatSarif(report)) as Log;
  const results = (log: Log): Result[] => log.runs[0]!.results ?? [];

  test('validates against the official SARIF 2.1.0 JSON schema', { skip: validate ? false : `${SARIF_SCHEMA_MODULE} is not installed` }, () => {
    for (const report of [sampleReport(), sampleReport({ mode: 'warn' }), sampleReport({ results: [], summary: summarize([]), policyProblems: [] })]) {
      const log = parse(report);
      assert.ok(validate!(log), JSON.stringify(validate!.errors, null, 2));
    }
  });

  test('has one run with the pkgseal driver, every rule once, and results that point at their rule', () => {
    const log = parse(sampleReport());
    assert.equal(log.$schema, SARIF_SCHEMA_URI);
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
    const driver = log.runs[0]!.tool.driver;
    assert.equal(driver.name, 'pkgseal');
    assert.equal(driver.version, '0.1.0');
    assert.ok(URL.canParse(driver.informationUri!));
    const ruleIds = driver.rules!.map((rule) => rule.id);
    assert.equal(new Set(ruleIds).size, ruleIds.length);
    for (const id of ['pkgseal/identity-mismatch', 'pkgseal/missing-evidence', 'pkgseal/verification-failed', 'pkgseal/unsupported-source', 'pkgseal/policy', 'pkgseal/violation']) {
      assert.ok(ruleIds.includes(id), id);
    }
    for (const result of results(log)) assert.equal(ruleIds[result.ruleIndex!], result.ruleId);
  });

  test('reports each problem once, passes never, and says why and the fix', () => {
    const log = parse(sampleReport());
    assert.deepEqual(
      results(log).map((result) => [result.ruleId, result.properties?.package ?? null, result.properties?.version ?? null]),
      [
        ['pkgseal/missing-evidence', '@demo/evil-lib', '1.9.0'],
        ['pkgseal/identity-mismatch', '@demo/evil-lib', '1.10.0'],
        ['pkgseal/unsupported-source', 'my-fork', '1.0.0'],
        ['pkgseal/missing-evidence', 'left-pad', '1.3.0'],
        ['pkgseal/policy', null, null],
      ],
    );
    const identity = results(log)[1]!.message.text!;
    assert.match(identity, /^@demo\/evil-lib@1\.10\.0 \(node_modules\/@demo\/evil-lib\): signed by .*attacker\/fork.*\. Fix: if this signer is legitimate/);
    assert.ok(!identity.includes('\n'));
  });

  test('locates packages in the lockfile, relative to the project root, with line and column when known', () => {
    const [noLine, withLine] = results(parse(sampleReport()));
    assert.deepEqual(withLine!.locations![0]!.physicalLocation, {
      artifactLocation: { uri: 'package-lock.json', uriBaseId: '%SRCROOT%' },
      region: { startLine: 12, startColumn: 5 },
    });
    assert.deepEqual(noLine!.locations![0]!.physicalLocation, { artifactLocation: { uri: 'package-lock.json', uriBaseId: '%SRCROOT%' } });
    assert.deepEqual(parse(sampleReport()).runs[0]!.originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///work/app/' } });
  });

  test('locates a file outside the project by absolute file URI, and a nested lockfile by its relative path', () => {
    const outside: PackageResult = { ...sampleResults()[3]!, location: { file: '/elsewhere/pnpm-lock.yaml', line: 3 } };
    const nested: PackageResult = { ...sampleResults()[2]!, location: { file: `${PROJECT}/packages/my app/package-lock.json`, line: 7 } };
    const log = parse(sampleReport({ results: [outside, nested], policy: '/etc/pkgseal/policy.json' }));
    const located = results(log).map((result) => result.locations![0]!.physicalLocation);
    assert.deepEqual(located, [
      { artifactLocation: { uri: 'file:///elsewhere/pnpm-lock.yaml' }, region: { startLine: 3 } },
      { artifactLocation: { uri: 'packages/my%20app/package-lock.json', uriBaseId: '%SRCROOT%' }, region: { startLine: 7 } },
      { artifactLocation: { uri: 'file:///etc/pkgseal/policy.json' } },
    ]);
  });

  test('locates policy problems in the policy file', () => {
    const policyResult = results(parse(sampleReport())).find((result) => result.ruleId === 'pkgseal/policy')!;
    assert.deepEqual(policyResult.locations, [{ physicalLocation: { artifactLocation: { uri: 'pkgseal.policy.json', uriBaseId: '%SRCROOT%' } } }]);
    assert.match(policyResult.message.text!, /^exception for old-lib@2\.0\.0 expired/);
  });

  test('uses error for violations, warning for unsupported, note for exempted; warning for all problems in warn mode', () => {
    const levels = (report: AuditReport): string[] => results(parse(report)).map((result) => `${result.properties?.outcome ?? 'policy'}:${result.level}`);
    assert.deepEqual(levels(sampleReport()), ['violation:error', 'violation:error', 'unsupported:warning', 'exempted:note', 'policy:error']);
    assert.deepEqual(levels(sampleReport({ mode: 'warn' })), ['violation:warning', 'violation:warning', 'unsupported:warning', 'exempted:note', 'policy:warning']);
  });

  test('fingerprints stay the same across runs, lines and paths, and differ by package and rule', () => {
    const fingerprints = (report: AuditReport): Map<string, string> =>
      new Map(results(parse(report)).map((result) => [`${result.ruleId} ${result.message.text!.split(' ')[0]}`, result.partialFingerprints!['pkgseal/v1']!]));
    const first = fingerprints(sampleReport());
    const moved = sampleResults()
      .reverse()
      .map((result) => ({ ...result, paths: [`node_modules/x/${result.paths[0]}`], location: result.location && { ...result.location, line: result.location.line + 100 } }));
    const second = fingerprints(sampleReport({ results: moved, project: '/other/checkout', lockfile: '/other/checkout/package-lock.json' }));
    assert.deepEqual(second, first);
    assert.equal(new Set(first.values()).size, first.size);
    for (const value of first.values()) assert.match(value, /^[0-9a-f]{64}$/);
    const retagged = fingerprints(sampleReport({ results: [{ ...sampleResults()[3]!, ruleId: 'pkgseal/verification-failed' }], policyProblems: [] }));
    assert.notEqual([...retagged.values()][0], first.get('pkgseal/identity-mismatch @demo/evil-lib@1.10.0'));
  });

  test('takes the rule from ruleId when the audit sets it, else from the wording of the reason', () => {
    const base: PackageResult = { name: 'a', version: '1.0.0', paths: [], outcome: 'violation', reason: '' };
    const cases: Array<[Partial<PackageResult>, string]> = [
      [{ reason: 'no policy entry matches this package' }, 'pkgseal/no-policy-entry'],
      [{ reason: 'unsupported source (file)' }, 'pkgseal/unsupported-source'],
      [{ outcome: 'unsupported', reason: 'a workspace' }, 'pkgseal/unsupported-source'],
      [{ reason: 'evidence dir/a@1.0.0.sigstore.json does not verify: signed by someone, which the policy does not allow' }, 'pkgseal/verification-failed'],
      [{ reason: 'signed by x, which the policy does not allow (issuer is y)' }, 'pkgseal/identity-mismatch'],
      [{ reason: 'no evidence found (tried: registry)' }, 'pkgseal/missing-evidence'],
      [{ reason: 'no SLSA provenance signed by a Fulcio certificate' }, 'pkgseal/missing-evidence'],
      [{ reason: 'something new' }, 'pkgseal/violation'],
      [{ reason: 'no evidence found', ruleId: 'pkgseal/evidence-downgrade' }, 'pkgseal/evidence-downgrade'],
    ];
    for (const [change, expected] of cases) assert.equal(ruleIdFor({ ...base, ...change }), expected, JSON.stringify(change));
  });
});

describe('writeOutput', () => {
  const writeOutputModule = pathToFileURL(join(REPO_ROOT, 'src/report/write-output.ts')).href;

  /**
   * Runs writeOutput in a child: with a file-size limit (`ulimit -f`, KiB) that stops a big write
   * part-way, even as root, or killed (SIGKILL, no cleanup) once the data is written but before it is committed.
   */
  function writeInChild(target: string, bytes: number, options: { limitKiB?: number; killBeforeCommit?: boolean } = {}) {
    const script = `
      import { open } from 'node:fs/promises';
      ${options.killBeforeCommit ? "const probe = await open('/dev/null'); Object.getPrototypeOf(probe).sync = () => process.kill(process.pid, 'SIGKILL'); await probe.close();" : ''}
      const { writeOutput } = await import(${JSON.stringify(writeOutputModule)});
      try { await writeOutput('x'.repeat(${bytes}), ${JSON.stringify(target)}); console.log('written'); }
      catch (error) { console.log('ERROR ' + error.message); }`;
    const limit = options.limitKiB === undefined ? '' : `ulimit -f ${options.limitKiB} && `;
    return spawnSync('bash', ['-c', `${limit}exec "$0" "$@"`, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
  }

  test('writes the file, replacing an older report', async () => {
    const target = join(scratch, 'replace.json');
    writeFileSync(target, 'old report');
    await writeOutput('new report\n', target);
    assert.equal(readFileSync(target, 'utf8'), 'new report\n');
  });

  test('writes to stdout when no file is given', () => {
    const script = `const { writeOutput } = await import(${JSON.stringify(writeOutputModule)}); await writeOutput('to stdout\\n', undefined);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(child.stdout, 'to stdout\n', child.stderr);
  });

  test('fails with one line naming the file when the target is a directory', async () => {
    const target = join(scratch, 'a-directory');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'kept');
    await assert.rejects(writeOutput('report', target), (error: Error) => {
      assert.equal(error.message, `cannot write ${target}: it is a directory`);
      return true;
    });
    assert.ok(statSync(target).isDirectory());
    assert.deepEqual(readdirSync(target), ['keep.txt']);
  });

  test('fails with one line naming the file when its folder does not exist', async () => {
    const target = join(scratch, 'absent', 'report.json');
    await assert.rejects(writeOutput('report', target), { message: `cannot write ${target}: its folder does not exist` });
  });

  test('the file-size limit used below really does stop a plain, non-atomic write part-way', () => {
    const target = join(scratch, 'plain.txt');
    writeFileSync(target, 'old report');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(target)}, 'x'.repeat(64 * 1024))`;
    const child = spawnSync('bash', ['-c', 'ulimit -f 8 && exec "$0" "$@"', process.execPath, '-e', script], { encoding: 'utf8' });
    assert.ok(child.signal === 'SIGXFSZ' || child.status !== 0, 'the plain write was not stopped');
    assert.notEqual(readFileSync(target, 'utf8'), 'old report', 'the limit did not interrupt the write');
  });

  test('a process killed before the write is committed leaves the old report intact', () => {
    const target = join(scratch, 'killed.json');
    writeFileSync(target, 'old report');
    const child = writeInChild(target, 64 * 1024, { killBeforeCommit: true });
    assert.equal(child.signal, 'SIGKILL', `${child.stdout}${child.stderr}`);
    assert.equal(readFileSync(target, 'utf8'), 'old report');
  });

  test('a write that fails part-way rejects naming the file, keeps the old report and leaves no temporary file', () => {
    const target = join(scratch, 'efbig', 'report.json');
    mkdirSync(join(scratch, 'efbig'));
    writeFileSync(target, 'old report');
    const child = writeInChild(target, 64 * 1024, { limitKiB: 8 });
    assert.equal(child.stdout.trim(), `ERROR cannot write ${target}: the file would be too large`, child.stderr);
    assert.equal(readFileSync(target, 'utf8'), 'old report');
    assert.deepEqual(readdirSync(join(scratch, 'efbig')), ['report.json']);
  });
});

describe('progress', () => {
  function fakeStream(isTTY: boolean): ProgressStream & { written: string[] } {
    const written: string[] = [];
    return { isTTY, written, write: (chunk: string) => written.push(chunk) };
  }
  function run(stream: ProgressStream, env: NodeJS.ProcessEnv, total: number, step: number): void {
    let time = 0;
    const progress = createProgress(stream, env, total, { now: () => time });
    for (let index = 0; index < total; index += 1) {
      time += step;
      progress.tick();
    }
    progress.done();
  }

  test('writes nothing when the stream is not a terminal, however long the run', () => {
    const stream = fakeStream(false);
    run(stream, {}, 50, 1000);
    const noTtyFlag = { written: [] as string[], write(chunk: string) { this.written.push(chunk); } };
    run(noTtyFlag, {}, 50, 1000);
    assert.deepEqual([...stream.written, ...noTtyFlag.written], []);
  });

  test('writes nothing under CI, even on a terminal', () => {
    for (const CI of ['true', '1', 'woodpecker']) {
      const stream = fakeStream(true);
      run(stream, { CI }, 50, 1000);
      assert.deepEqual(stream.written, [], `CI=${CI}`);
    }
  });

  test('writes nothing for a run shorter than a second', () => {
    const stream = fakeStream(true);
    run(stream, {}, 99, 10);
    assert.deepEqual(stream.written, []);
  });

  test('after a second, redraws one line in place at most every 100 ms, with the last count, and clears it when done', () => {
    const stream = fakeStream(true);
    run(stream, { CI: '' }, 1500, 1);
    assert.equal(stream.written[0], '\r\u001b[Kpkgseal: checked 1000/1500 packages');
    assert.equal(stream.written.at(-2), '\r\u001b[Kpkgseal: checked 1500/1500 packages');
    assert.equal(stream.written.at(-1), '\r\u001b[K');
    assert.equal(stream.written.length, 6 + 1); // at 1000, 1100, ... 1500 ms, then the clear
    assert.ok(stream.written.every((chunk) => !chunk.includes('\n')));
  });
});
