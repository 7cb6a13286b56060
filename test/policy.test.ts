import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { effectiveRule, evaluateSignedRule, findRule } from '../src/policy/evaluate.js';
import { expiredExceptions, findException } from '../src/policy/exceptions.js';
import { identityMismatches } from '../src/policy/identity.js';
import { policyFromObservations, starterPolicy, type ObservedSigner } from '../src/policy/init-policy.js';
import { checkPolicyText, formatProblem, loadPolicy, PolicyError } from '../src/policy/load-policy.js';
import type { Policy } from '../src/policy/policy.types.js';
import { parseSha512Integrity } from '../src/verify/artifact.js';
import { classifyEvidence, verifyEvidence } from '../src/verify/npm-attestations.js';
import type { SignerIdentity } from '../src/verify/signer.js';
import { publicGoodTrustMaterial } from '../src/trust/public-good.js';
import { readRealdataJson, REALDATA, REPO_ROOT, realdataSkip } from './support/realdata.js';

const FILE = '/project/pkgseal.policy.json';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-policy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Checks a policy written as `JSON.stringify(document, null, 2)` (or raw text); problems as the CLI prints them. */
function check(document: object | string, options: { today?: Date } = {}) {
  const text = typeof document === 'string' ? document : JSON.stringify(document, null, 2);
  const result = checkPolicyText(text, FILE, options);
  return { ...result, lines: result.problems.map((problem) => formatProblem(FILE, problem)), text };
}

function errorsOf(document: object | string): string[] {
  return check(document).problems.filter((problem) => problem.severity === 'error').map((problem) => formatProblem(FILE, problem));
}

function validPolicy(document: object): Policy {
  const result = check(document);
  assert.deepEqual(result.lines, [], 'expected a valid policy');
  return result.policy!;
}

/** 1-based line:column where `needle` first occurs in `text`. */
function positionOf(text: string, needle: string, from = 0): string {
  const offset = text.indexOf(needle, from);
  assert.ok(offset >= 0, `${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
}

const signedEntry = (identity: object = { issuer: GITHUB_ISSUER, repository: 'https://github.com/o/r' }) => ({ match: 'a', require: 'signed', identities: [identity] });
const withPackages = (...packages: object[]) => ({ version: 1, packages });

const SPEC_EXAMPLE = {
  $schema: './node_modules/pkgseal/policy.schema.json',
  version: 1,
  mode: 'enforce',
  trust: [{ name: 'public-good' }, { name: 'corp', trustedRoot: './corp-trusted-root.json' }, { registry: 'https://npm.corp.example/', keys: './corp-registry-keys.json' }],
  sources: ['registry', { url: 'https://sigs.corp.example/{name}/{version}.sigstore.json' }],
  defaults: { require: 'registry-signature', noDowngrade: true },
  packages: [
    {
      match: '@corp/*',
      require: 'signed',
      trust: 'corp',
      identities: [{ issuer: GITHUB_ISSUER, subject: 'https://github.com/corp/*/.github/workflows/release.yml@refs/tags/v*' }],
    },
    {
      match: 'sigstore',
      versions: '>=3',
      require: 'provenance',
      identities: [{ issuer: GITHUB_ISSUER, repository: 'https://github.com/sigstore/sigstore-js', workflow: '.github/workflows/release.yml', runner: 'github-hosted' }],
    },
  ],
  exceptions: [{ package: 'left-pad@1.3.0', reason: 'vendored, reviewed', expires: '2027-03-01' }],
};

describe('policy format (SPEC section 5)', () => {
  test('accepts the SPEC example and maps it to a typed policy, paths relative to the policy file', () => {
    const policy = validPolicy(SPEC_EXAMPLE);
    assert.equal(policy.mode, 'enforce');
    assert.deepEqual(policy.trust, [{ name: 'public-good' }, { name: 'corp', trustedRoot: '/project/corp-trusted-root.json' }]);
    assert.deepEqual(policy.registryKeys, [{ registry: 'https://npm.corp.example/', keysFile: '/project/corp-registry-keys.json' }]);
    assert.deepEqual(policy.sources, [{ kind: 'registry' }, { kind: 'url', url: 'https://sigs.corp.example/{name}/{version}.sigstore.json' }]);
    assert.deepEqual(policy.defaults, { require: 'registry-signature', noDowngrade: true, identities: [] });
    assert.deepEqual(
      policy.packages.map((rule) => [rule.match, rule.require, rule.trust, rule.versions, rule.noDowngrade, rule.pointer]),
      [
        ['@corp/*', 'signed', 'corp', undefined, true, '/packages/0'],
        ['sigstore', 'provenance', undefined, '>=3', true, '/packages/1'],
      ],
    );
    assert.deepEqual(policy.packages[0]!.identities[0]!.subject, { kind: 'glob', pattern: 'https://github.com/corp/*/.github/workflows/release.yml@refs/tags/v*' });
    assert.deepEqual(policy.exceptions, [{ name: 'left-pad', version: '1.3.0', reason: 'vendored, reviewed', expires: new Date('2027-03-01T00:00:00Z'), pointer: '/exceptions/0' }]);
  });

  test('the demo fixture and the starter policy are valid', () => {
    const demo = join(REPO_ROOT, 'fixtures/demo/pkgseal.policy.json');
    assert.deepEqual(checkPolicyText(readFileSync(demo, 'utf8'), demo).problems, []);
    validPolicy(starterPolicy());
  });

  test('omitted trust and sources mean the public-good root and the registry', () => {
    const policy = validPolicy({ version: 1 });
    assert.deepEqual([policy.trust, policy.sources, policy.mode], [[{ name: 'public-good' }], [{ kind: 'registry' }], 'enforce']);
  });

  test('a registry keys entry alone still leaves the public-good root for bundles', () => {
    const policy = validPolicy({ version: 1, trust: [{ registry: 'https://registry.example/npm', keys: '../keys/registry.json' }] });
    assert.deepEqual(policy.trust, [{ name: 'public-good' }]);
    assert.deepEqual(policy.registryKeys, [{ registry: 'https://registry.example/npm/', keysFile: '/keys/registry.json' }]);
  });

  test('rejects a registry keys entry whose URL does not parse, or without keys', () => {
    assert.match(errorsOf({ version: 1, trust: [{ registry: 'https://', keys: 'k.json' }] }).join('\n'), /\/trust\/0\/registry: "https:\/\/" is not a valid URL/);
    assert.match(errorsOf({ version: 1, trust: [{ registry: 'ftp://x', keys: 'k.json' }] }).join('\n'), /\/trust\/0\/registry: must be an http\(s\) URL/);
    assert.match(errorsOf({ version: 1, trust: [{ registry: 'https://r.example/' }] }).join('\n'), /\/trust\/0: missing required key "keys"/);
  });

  test('a trust entry other than public-good needs a trustedRoot; names are unique', () => {
    assert.match(errorsOf({ version: 1, trust: [{ name: 'corp' }] }).join('\n'), /\/trust\/0: trust entry "corp" needs a "trustedRoot" file/);
    assert.match(errorsOf({ version: 1, trust: [{ name: 'public-good' }, { name: 'public-good' }] }).join('\n'), /\/trust\/1\/name: duplicate trust entry name "public-good" \(first at \/trust\/0\)/);
  });

  test('a "github" source is accepted with a warning that it is not supported yet', () => {
    const result = check({ version: 1, sources: ['registry', 'github'] });
    assert.ok(result.policy);
    assert.deepEqual(result.lines, [`${FILE}:${positionOf(result.text, '"github"')}: /sources/1: warning: source "github" is not supported yet: it is skipped`]);
    assert.match(errorsOf({ version: 1, sources: ['gitlab'] }).join('\n'), /\/sources\/0: must be equal to one of the allowed values: registry, github/);
  });

  test('noDowngrade: an entry wins over defaults, defaults over the top level, else false', () => {
    const entry = (noDowngrade?: boolean) => ({ match: 'a', require: 'none', ...(noDowngrade === undefined ? {} : { noDowngrade }) });
    const rules = (document: object) => validPolicy(document).packages.map((rule) => rule.noDowngrade);
    assert.deepEqual(rules({ version: 1, packages: [entry()] }), [false]);
    assert.deepEqual(rules({ version: 1, noDowngrade: true, packages: [entry(), entry(false)] }), [true, false]);
    assert.deepEqual(rules({ version: 1, noDowngrade: true, defaults: { noDowngrade: false }, packages: [entry(), entry(true)] }), [false, true]);
  });
});

describe('policy errors name file:line:column, the JSON pointer and a plain reason', () => {
  test('an unknown top-level key points at the key', () => {
    const text = '{\n  "version": 1,\n  "surprise": true\n}\n';
    assert.deepEqual(errorsOf(text), [`${FILE}:3:3: /: unknown key "surprise"`]);
  });

  test('a key written twice is an error, since JSON keeps only the last one', () => {
    const text = '{\n  "version": 1,\n  "mode": "enforce",\n  "packages": [{ "match": "a", "require": "provenance", "require": "none" }],\n  "mode": "warn"\n}\n';
    const reason = (key: string) => `duplicate key "${key}" (JSON keeps only the last one; write each key once)`;
    assert.deepEqual(errorsOf(text), [
      `${FILE}:${positionOf(text, '"require"', text.indexOf('"provenance"'))}: /packages/0: ${reason('require')}`,
      `${FILE}:5:3: /: ${reason('mode')}`,
    ]);
    validPolicy({ version: 1, packages: [{ match: 'a', require: 'none' }, { match: 'b', require: 'none' }] });
  });

  test('"$comment" is allowed in every object', () => {
    validPolicy({
      $comment: 'top',
      version: 1,
      trust: [{ $comment: 'root', name: 'public-good' }],
      sources: [{ $comment: 'dir', dir: './evidence' }],
      defaults: { $comment: 'defaults', require: 'none' },
      packages: [{ $comment: 'entry', ...signedEntry({ $comment: 'identity', issuer: GITHUB_ISSUER, subject: 'x' }) }],
      exceptions: [{ $comment: 'why', package: 'a', reason: 'r', expires: '2030-01-01' }],
    });
  });

  test('an unknown key in an identity names the identity, points at the key and suggests the near name', () => {
    const text = JSON.stringify(withPackages(signedEntry({ issuer: GITHUB_ISSUER, repository: 'o/r', subjectRegexp: 'x' })), null, 2);
    assert.deepEqual(errorsOf(text), [`${FILE}:${positionOf(text, '"subjectRegexp"')}: /packages/0/identities/0: unknown key "subjectRegexp" (did you mean "subjectRegExp"?)`]);
  });

  test('reports every error at once, in file order', () => {
    const text = JSON.stringify({ version: 2, mode: 'loud', packages: [{ match: 'a', require: 'maybe' }], exceptions: [{ package: 'b', reason: 'r' }] }, null, 2);
    assert.deepEqual(errorsOf(text), [
      `${FILE}:${positionOf(text, '2')}: /version: must be equal to constant 1`,
      `${FILE}:${positionOf(text, '"loud"')}: /mode: must be equal to one of the allowed values: enforce, warn`,
      `${FILE}:${positionOf(text, '"maybe"')}: /packages/0/require: must be equal to one of the allowed values: none, registry-signature, signed, provenance`,
      `${FILE}:${positionOf(text, '{', text.indexOf('"exceptions"'))}: /exceptions/0: missing required key "expires"`,
    ]);
  });

  test('JSON syntax errors give line and column', () => {
    assert.deepEqual(errorsOf('{\n  "version": 1,\n}\n'), [`${FILE}: not valid JSON at line 3, column 1 (Expected double-quoted property name)`]);
    assert.deepEqual(errorsOf('{ "version": 1,'), [`${FILE}: not valid JSON at line 1, column 16 (Expected double-quoted property name)`]);
    assert.deepEqual(errorsOf(''), [`${FILE}: not valid JSON at line 1, column 1 (Unexpected end of JSON input)`]);
  });

  test('versions must be a valid semver range', () => {
    const text = JSON.stringify(withPackages({ match: 'a', versions: '>=banana', require: 'none' }), null, 2);
    assert.deepEqual(errorsOf(text), [`${FILE}:${positionOf(text, '">=banana"')}: /packages/0/versions: invalid semver range ">=banana"`]);
    validPolicy(withPackages({ match: 'a', versions: '^1.2.0 || >=3.0.0-rc.1', require: 'none' }));
  });

  test('subjectRegExp must compile', () => {
    const text = JSON.stringify(withPackages(signedEntry({ issuer: GITHUB_ISSUER, subjectRegExp: 'https://github.com/(o/r' })), null, 2);
    const [line] = errorsOf(text);
    assert.match(line!, new RegExp(`^/project/pkgseal\\.policy\\.json:${positionOf(text, '"https://github.com/(o/r"')}: /packages/0/identities/0/subjectRegExp: invalid regular expression "https://github.com/\\(o/r": .*Unterminated group$`));
    validPolicy(withPackages(signedEntry({ issuer: GITHUB_ISSUER, subjectRegExp: 'https://github\\.com/o/r/\\.github/workflows/release\\.yml@refs/tags/v\\d+' })));
  });

  test('a subject glob written as a regular expression is rejected with a hint to use subjectRegExp', () => {
    for (const subject of ['^https://github.com/o/r/x.yml@refs/tags/v1', 'https://github.com/o/r/x.yml@refs/tags/v1$', 'https://github.com/o/r/.*', 'https://github\\.com/o/r/**', 'https://github.com/o/(r|s)/**']) {
      const [line, ...rest] = errorsOf(withPackages(signedEntry({ issuer: GITHUB_ISSUER, subject })));
      assert.equal(rest.length, 0, subject);
      assert.match(line!, /\/packages\/0\/identities\/0\/subject: looks like a regular expression \(.+\): "subject" is an anchored glob \(\* within a path segment, \*\* across\); use "subjectRegExp" for a regular expression$/, subject);
    }
    for (const subject of ['https://github.com/o/*/.github/workflows/release.yml@refs/tags/v1.*', 'https://github.com/o/r/**', 'release-bot+ci@example.com']) {
      validPolicy(withPackages(signedEntry({ issuer: GITHUB_ISSUER, subject })));
    }
  });

  test('a package match written as a regular expression is rejected', () => {
    assert.match(errorsOf(withPackages({ match: '^@corp/.*$', require: 'none' })).join('\n'), /\/packages\/0\/match: looks like a regular expression \(starts with "\^"\): "match" is an anchored glob/);
  });

  test('an identity gives subject or subjectRegExp, not both, and must name who signed', () => {
    assert.match(errorsOf(withPackages(signedEntry({ issuer: GITHUB_ISSUER, subject: 'a', subjectRegExp: 'a' }))).join('\n'), /\/packages\/0\/identities\/0: give "subject" \(a glob\) or "subjectRegExp" \(a regular expression\), not both/);
    assert.deepEqual(errorsOf(withPackages(signedEntry({ issuer: GITHUB_ISSUER, workflow: '.github/workflows/release.yml' }))).map((line) => line.replace(/^.*?: \//, '/')), [
      '/packages/0/identities/0: an identity must name who signed: "subject", "subjectRegExp" or "repository" (an issuer alone admits everyone it serves)',
    ]);
  });

  test('require signed or provenance needs identities, in the entry or in defaults', () => {
    const text = JSON.stringify(withPackages({ match: 'a', require: 'signed' }), null, 2);
    assert.deepEqual(errorsOf(text), [`${FILE}:${positionOf(text, '"signed"')}: /packages/0/require: require "signed" needs at least one identity, in the entry or in defaults.identities`]);
    assert.match(errorsOf({ version: 1, defaults: { require: 'provenance' } }).join('\n'), /\/defaults\/require: require "provenance" needs at least one identity in defaults.identities/);
    assert.match(errorsOf(withPackages({ match: 'a', require: 'signed', identities: [] })).join('\n'), /\/packages\/0\/identities: must not be empty/);
    const policy = validPolicy({ version: 1, defaults: { identities: [{ issuer: GITHUB_ISSUER, repository: 'o/r' }] }, packages: [{ match: 'a', require: 'signed' }] });
    assert.deepEqual(policy.packages[0]!.identities, [{ issuer: { kind: 'exact', value: GITHUB_ISSUER }, repository: 'o/r' }]);
  });

  test('a trust name an entry uses must exist', () => {
    const text = JSON.stringify({ version: 1, trust: [{ name: 'corp', trustedRoot: './root.json' }], packages: [{ ...signedEntry(), trust: 'nowhere' }] }, null, 2);
    assert.deepEqual(errorsOf(text), [`${FILE}:${positionOf(text, '"nowhere"')}: /packages/0/trust: no trust entry named "nowhere" (trust entries: "corp")`]);
    validPolicy({ version: 1, trust: [{ name: 'corp', trustedRoot: './root.json' }], packages: [{ ...signedEntry(), trust: 'corp' }] });
    validPolicy({ version: 1, packages: [{ ...signedEntry(), trust: 'public-good' }] });
  });

  test('exceptions need a package, a non-blank reason and a real expiry date', () => {
    const exception = (fields: object) => errorsOf({ version: 1, exceptions: [{ package: 'left-pad@1.3.0', reason: 'vendored', expires: '2027-03-01', ...fields }] }).map((line) => line.replace(/^.*?: \//, '/'));
    assert.deepEqual(exception({}), []);
    assert.deepEqual(exception({ expires: undefined }), ['/exceptions/0: missing required key "expires"']);
    assert.deepEqual(exception({ expires: '01/03/2027' }), ['/exceptions/0/expires: must be a date YYYY-MM-DD']);
    assert.deepEqual(exception({ expires: '2027-02-30' }), ['/exceptions/0/expires: "2027-02-30" is not a calendar date']);
    assert.deepEqual(exception({ reason: '  ' }), ['/exceptions/0/reason: must say why the exception is safe (not blank)']);
    assert.deepEqual(exception({ package: 'left-pad@^1.3.0' }), ['/exceptions/0/package: "^1.3.0" is not an exact version: name one version ("left-pad@1.2.3") or none']);
    assert.deepEqual(exception({ package: '@corp/tool' }), []);
    for (const spec of ['@corp/*', 'left-*@1.0.0', 'a b']) {
      assert.deepEqual(exception({ package: spec }), ['/exceptions/0/package: must be a package name or name@version (exact, no globs or ranges)'], spec);
    }
  });

  test('loadPolicy throws the first error as one PolicyError line; a missing file says how to create one', async () => {
    const file = join(scratch, 'bad.policy.json');
    writeFileSync(file, '{\n  "version": 1,\n  "surprise": true,\n  "mode": "loud"\n}\n');
    await assert.rejects(loadPolicy(file), (error: unknown) => error instanceof PolicyError && error.message === `${file}:3:3: /: unknown key "surprise"`);
    await assert.rejects(loadPolicy(join(scratch, 'absent.json')), /absent\.json: cannot read policy: no such file \(write a starter policy with "pkgseal init"\)$/);
  });
});

describe('which rule applies', () => {
  const policy = validPolicy({
    version: 1,
    defaults: { require: 'registry-signature', noDowngrade: true, identities: [{ issuer: GITHUB_ISSUER, repository: 'https://github.com/corp/default' }] },
    packages: [
      { match: '@corp/legacy', require: 'none' },
      { match: '@corp/*', versions: '>=2.0.0-0', require: 'provenance' },
      { match: '@corp/*', require: 'signed', identities: [{ issuer: GITHUB_ISSUER, subject: 'https://github.com/corp/*/**' }] },
    ],
  });

  test('the first matching entry wins', () => {
    assert.equal(findRule(policy, '@corp/legacy', '3.0.0')!.require, 'none');
    assert.equal(findRule(policy, '@corp/lib', '1.0.0')!.require, 'signed');
  });

  test('a versions range selects by version, prereleases included', () => {
    assert.equal(findRule(policy, '@corp/lib', '2.0.0-beta.1')!.pointer, '/packages/1');
    assert.equal(findRule(policy, '@corp/lib', '1.9.9')!.pointer, '/packages/2');
  });

  test('an entry without identities uses defaults.identities', () => {
    assert.deepEqual(effectiveRule(policy, '@corp/lib', '2.1.0')!.identities, policy.defaults.identities);
  });

  test('packages no entry matches fall back to defaults, or to no rule without defaults.require', () => {
    assert.deepEqual(effectiveRule(policy, 'left-pad', '1.3.0'), {
      match: '(defaults)',
      require: 'registry-signature',
      noDowngrade: true,
      identities: policy.defaults.identities,
      pointer: '/defaults',
    });
    assert.equal(effectiveRule(validPolicy(withPackages({ match: 'a', require: 'none' })), 'b', '1.0.0'), undefined);
    assert.equal(findRule(policy, 'left-pad', '1.3.0'), undefined);
  });
});

describe('exceptions', () => {
  const policy = validPolicy({
    version: 1,
    exceptions: [
      { package: 'left-pad@1.3.0', reason: 'vendored, reviewed', expires: '2027-03-01' },
      { package: '@corp/tool', reason: 'internal,\nunsigned until Q3', expires: '2026-10-01' },
    ],
  });
  const day = (text: string) => new Date(`${text}T12:00:00Z`);

  test('an exception for name@version applies to that version only, by exact name', () => {
    assert.equal(findException(policy, 'left-pad', '1.3.0', day('2026-01-01'))?.reason, 'vendored, reviewed');
    assert.equal(findException(policy, 'left-pad', '1.3.1', day('2026-01-01')), undefined);
    assert.equal(findException(policy, 'left-pad-extra', '1.3.0', day('2026-01-01')), undefined);
  });

  test('an exception for a name applies to every version', () => {
    assert.equal(findException(policy, '@corp/tool', '9.0.0', day('2026-01-01'))?.pointer, '/exceptions/1');
  });

  test('an expired exception no longer applies and is itself a problem, from its expiry day on', () => {
    assert.ok(findException(policy, 'left-pad', '1.3.0', new Date('2027-02-28T23:59:59Z')));
    assert.equal(findException(policy, 'left-pad', '1.3.0', new Date('2027-03-01T00:00:00Z')), undefined);
    assert.deepEqual(expiredExceptions(policy, day('2026-06-01')), []);
    assert.deepEqual(expiredExceptions(policy, day('2027-03-01')), [
      'exception for left-pad@1.3.0 expired on 2027-03-01: vendored, reviewed',
      'exception for @corp/tool expired on 2026-10-01: internal, unsigned until Q3',
    ]);
  });

  test('policy check warns about expired exceptions without failing', () => {
    const result = check({ version: 1, exceptions: [{ package: 'a@1.0.0', reason: 'r', expires: '2020-01-01' }] }, { today: day('2024-01-01') });
    assert.ok(result.policy);
    assert.match(result.lines.join('\n'), /:\d+:\d+: \/exceptions\/0: warning: exception for a@1\.0\.0 expired on 2020-01-01: r$/);
  });
});

/** A GitHub Actions signer as Fulcio describes it: SAN = workflow URI at a ref, claims from extensions. */
function githubSigner(repository: string, workflow: string, ref: string): SignerIdentity {
  const workflowURI = `https://github.com/${repository}/${workflow}@${ref}`;
  return {
    subject: workflowURI,
    issuer: GITHUB_ISSUER,
    claims: { sourceRepositoryURI: `https://github.com/${repository}`, sourceRepositoryRef: ref, buildConfigURI: workflowURI, runnerEnvironment: 'github-hosted' },
  };
}

function observationOf(name: string, signer: SignerIdentity): ObservedSigner {
  const workflow = signer.claims.buildConfigURI!.slice(`${signer.claims.sourceRepositoryURI}/`.length).replace(/@.*$/, '');
  return { name, issuer: signer.issuer, subject: signer.subject, repository: signer.claims.sourceRepositoryURI!, workflow };
}

describe('policyFromObservations (init --from-tree): trust on first use', () => {
  const observed = githubSigner('corp/lib', '.github/workflows/release.yml', 'refs/tags/v1.2.0');
  const document = policyFromObservations([
    observationOf('@corp/lib', observed),
    observationOf('@corp/lib', githubSigner('corp/lib', '.github/workflows/release.yml', 'refs/tags/v1.3.0')),
    observationOf('@corp/app', githubSigner('corp/app', '.github/workflows/publish.yml', 'refs/heads/main')),
  ]);

  test('writes a warn-mode policy that passes the schema, one provenance entry per observed package', () => {
    const policy = validPolicy(document);
    assert.equal(policy.mode, 'warn');
    assert.deepEqual(policy.defaults.require, 'registry-signature');
    assert.deepEqual(document.packages, [
      {
        match: '@corp/app',
        require: 'provenance',
        identities: [{ issuer: GITHUB_ISSUER, subject: 'https://github.com/corp/app/.github/workflows/publish.yml@refs/heads/*', repository: 'https://github.com/corp/app', workflow: '.github/workflows/publish.yml' }],
      },
      {
        match: '@corp/lib',
        require: 'provenance',
        identities: [{ issuer: GITHUB_ISSUER, subject: 'https://github.com/corp/lib/.github/workflows/release.yml@refs/tags/*', repository: 'https://github.com/corp/lib', workflow: '.github/workflows/release.yml' }],
      },
    ]);
    assert.equal(effectiveRule(policy, 'left-pad', '1.3.0')!.require, 'registry-signature');
  });

  test('the recorded identity admits the observed workflow at another tag, not another workflow or repository', () => {
    const [expected] = effectiveRule(validPolicy(document), '@corp/lib', '2.0.0')!.identities;
    assert.deepEqual(identityMismatches(expected!, githubSigner('corp/lib', '.github/workflows/release.yml', 'refs/tags/v2.0.0')), []);
    assert.notDeepEqual(identityMismatches(expected!, githubSigner('corp/lib', '.github/workflows/ci.yml', 'refs/tags/v2.0.0')), []);
    assert.notDeepEqual(identityMismatches(expected!, githubSigner('attacker/lib', '.github/workflows/release.yml', 'refs/tags/v2.0.0')), []);
    assert.notDeepEqual(identityMismatches(expected!, githubSigner('corp/lib', '.github/workflows/release.yml', 'refs/heads/main')), []);
  });

  test('a subject that is not a workflow URI at a branch or tag is pinned exactly', () => {
    const [entry] = policyFromObservations([{ name: 'x', issuer: 'https://accounts.google.com', subject: 'alice@example.com' }]).packages!;
    assert.deepEqual(entry!.identities, [{ issuer: 'https://accounts.google.com', subject: 'alice@example.com' }]);
  });

  interface ProvenanceCase {
    id: string;
    package: { name: string; version: string };
    integrity: string;
    file: string;
  }

  test('from real npm provenance: the observed signer passes evaluation, the same workflow at a later tag too', { skip: realdataSkip }, () => {
    const testCase = readRealdataJson<{ cases: ProvenanceCase[] }>('npm-provenance/cases.json').cases.find((candidate) => candidate.id === 'playwright-cli-0.1.1')!;
    const { name, version } = testCase.package;
    const attestations = verifyEvidence(classifyEvidence(JSON.parse(readFileSync(join(REALDATA, 'npm-provenance', testCase.file), 'utf8'))), {
      trust: publicGoodTrustMaterial(),
      npmPackage: { name, version, sha512: parseSha512Integrity(testCase.integrity)! },
    });
    const signer = attestations.find((attestation) => attestation.predicateType.startsWith('https://slsa.dev/provenance/'))!.signer;
    assert.equal(signer.kind, 'certificate');
    if (signer.kind !== 'certificate') return;
    const policy = validPolicy(policyFromObservations([observationOf(name, signer.identity)]));
    const rule = effectiveRule(policy, name, version)!;
    assert.equal(evaluateSignedRule(rule, `${name}@${version}`, attestations).outcome, 'pass');
    const laterTag = { ...signer.identity, subject: signer.identity.subject.replace(/@refs\/tags\/.*$/, '@refs/tags/v0.2.0'), claims: { ...signer.identity.claims, buildConfigURI: signer.identity.claims.buildConfigURI!.replace(/@refs\/tags\/.*$/, '@refs/tags/v0.2.0'), sourceRepositoryRef: 'refs/tags/v0.2.0' } };
    assert.deepEqual(identityMismatches(rule.identities[0]!, laterTag), []);
  });
});
