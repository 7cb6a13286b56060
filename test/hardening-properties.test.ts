/**
 * Issue 7, properties (fast-check, fixed seeds): the policy matcher, glob and regular-expression
 * anchoring, and the bundle, statement and evidence parsers, over generated input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import semver from 'semver';
import { effectiveRule, findRule } from '../src/policy/evaluate.js';
import { findException } from '../src/policy/exceptions.js';
import { parseLocatedJson } from '../src/policy/json-locations.js';
import { checkPolicyText } from '../src/policy/load-policy.js';
import type { PackageRule, Policy } from '../src/policy/policy.types.js';
import { compileMatcher, globToRegExp, PatternError } from '../src/policy/string-matcher.js';
import { parseBundle } from '../src/verify/bundle.js';
import { VerificationError } from '../src/verify/errors.js';
import { jsonStructureProblem, parseEvidenceJson } from '../src/verify/json-text.js';
import { classifyEvidence } from '../src/verify/npm-attestations.js';
import { parseStatement } from '../src/verify/statement.js';

const RUNS = 500;
const options = (seed: number, numRuns = RUNS) => ({ seed, numRuns, includeErrorInReport: true });

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
/** Characters that mean something to a glob or a regular expression, and some that do not. */
const hostileChar = fc.constantFrom(...'()[]{}|^$.*+?\\/-:@ab0\n'.split(''));
const hostileText = fc.string({ unit: hostileChar, maxLength: 24 });
const plainText = fc.string({ unit: fc.constantFrom(...'abcxyz019-_.:@%'.split('')), maxLength: 12 });
const anyText = fc.string({ unit: 'binary', maxLength: 24 });

describe('regular expressions are always anchored', () => {
  test('a pattern is accepted only if it is a regular expression on its own', () => {
    fc.assert(
      fc.property(hostileText, (pattern) => {
        let compiles = true;
        try {
          new RegExp(pattern);
        } catch {
          compiles = false;
        }
        let accepted = true;
        try {
          compileMatcher({ kind: 'regexp', pattern });
        } catch (error) {
          assert.ok(error instanceof PatternError, String(error));
          accepted = false;
        }
        assert.equal(accepted, compiles, `pattern ${JSON.stringify(pattern)}`);
      }),
      options(1),
    );
  });

  test('whatever an accepted pattern admits, the pattern also matches somewhere (anchoring only narrows)', () => {
    fc.assert(
      fc.property(hostileText, anyText, (pattern, subject) => {
        let matcher: (actual: string) => boolean;
        try {
          matcher = compileMatcher({ kind: 'regexp', pattern });
        } catch {
          return;
        }
        if (matcher(subject)) assert.ok(new RegExp(pattern).test(subject), `${JSON.stringify(pattern)} admitted ${JSON.stringify(subject)}`);
      }),
      options(2),
    );
  });

  test('an escaped literal admits exactly itself: no prefix, no suffix, no superstring', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (literal, before, after) => {
        const matcher = compileMatcher({ kind: 'regexp', pattern: escapeRegExp(literal) });
        assert.ok(matcher(literal));
        if (before !== '' || after !== '') assert.ok(!matcher(`${before}${literal}${after}`));
      }),
      options(3),
    );
  });

  test('appending syntax to an escaped literal never makes it admit an unrelated subject', () => {
    const injection = fc.constantFrom(')|(?:.*', '|.*', ')|(', '$|^.*', '\\', '(?:', ')', '.*)|(.*', '$)|(?:');
    fc.assert(
      fc.property(plainText, injection, plainText, (literal, suffix, other) => {
        let matcher: (actual: string) => boolean;
        try {
          matcher = compileMatcher({ kind: 'regexp', pattern: `${escapeRegExp(literal)}${suffix}` });
        } catch {
          return;
        }
        // Only an alternation the author wrote (`a|.*`) may admit anything; it must still be a valid regexp on its own.
        if (matcher(`https://evil.example/${other}`)) assert.ok(/\|/.test(suffix) && new RegExp(`${escapeRegExp(literal)}${suffix}`).test(`https://evil.example/${other}`));
      }),
      options(4),
    );
  });
});

describe('globs are anchored, * stays within a path segment, ** crosses them', () => {
  const globLiteral = fc.string({ unit: fc.constantFrom(...'()[]{}|^$.+\\-:@ab0'.split('')), maxLength: 16 });
  const segment = fc.string({ unit: fc.constantFrom(...'()[]{}|^$.+\\-:@ab0'.split('')), maxLength: 8 });

  test('every string compiles as a glob', () => {
    fc.assert(fc.property(anyText, (glob) => void globToRegExp(glob)), options(5));
  });

  test('compiled globs (matched without a RegExp) agree with globToRegExp on any glob and text', () => {
    const unit = fc.constantFrom('*', '*', '?', '/', 'a', 'b', '.', '\n', '\u2028', '\\', '[', '-');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 10 }), fc.array(fc.string({ unit, maxLength: 12 }), { minLength: 1, maxLength: 8 }), (glob, texts) => {
        const matcher = compileMatcher({ kind: 'glob', pattern: glob });
        const reference = globToRegExp(glob);
        for (const text of [...texts, glob, glob.replaceAll('*', 'a').replaceAll('?', 'b')]) assert.equal(matcher(text), reference.test(text), `${JSON.stringify(glob)} vs ${JSON.stringify(text)}`);
      }),
      options(19, 3000),
    );
  });

  test('a glob without * or ? matches exactly itself', () => {
    fc.assert(
      fc.property(globLiteral, anyText, (glob, other) => {
        const matcher = compileMatcher({ kind: 'glob', pattern: glob });
        assert.ok(matcher(glob));
        assert.equal(matcher(other), other === glob);
        assert.ok(!matcher(`${glob}x`) && !matcher(`x${glob}`));
      }),
      options(6),
    );
  });

  test('a*c matches a + x + c exactly when x has no slash', () => {
    fc.assert(
      fc.property(segment, segment, fc.string({ unit: fc.constantFrom('a', '/', 'b', '.'), maxLength: 6 }), (prefix, suffix, middle) => {
        const matcher = compileMatcher({ kind: 'glob', pattern: `${prefix}*${suffix}` });
        assert.equal(matcher(`${prefix}${middle}${suffix}`), !middle.includes('/'), `${prefix}*${suffix} vs ${prefix}${middle}${suffix}`);
      }),
      options(7),
    );
  });

  test('a**c matches a + anything (but a line break, which no name or SAN holds) + c', () => {
    fc.assert(
      fc.property(segment, segment, anyText.map((text) => text.replace(/[\n\r\u2028\u2029]/g, '')), (prefix, suffix, middle) => {
        assert.ok(compileMatcher({ kind: 'glob', pattern: `${prefix}**${suffix}` })(`${prefix}${middle}${suffix}`));
      }),
      options(8),
    );
  });
});

describe('the policy matcher: first matching entry wins, exceptions by exact name', () => {
  const names = fc.constantFrom('lodash', 'lodash-es', '@acme/core', '@acme/core-extra', '@acme-evil/core', '@other/x', 'acme');
  const matches = fc.constantFrom('lodash', 'lodash*', '@acme/*', '@acme/core', '@acme*/*', '**', '@*/core', 'acme', '@other/**');
  const ranges = fc.option(fc.constantFrom('>=1', '<2', '^1.2.0', '1.x', '>=2.0.0-0', '*'), { nil: undefined });
  const versions = fc.constantFrom('1.0.0', '1.2.3', '2.0.0', '2.0.0-beta.1', '0.1.0');
  const rules = fc.array(fc.record({ match: matches, versions: ranges }), { maxLength: 6 });

  const policyOf = (entries: Array<{ match: string; versions: string | undefined }>, defaults: Policy['defaults'] = { noDowngrade: false, identities: [] }): Policy => ({
    file: 'p.json',
    mode: 'enforce',
    trust: [{ name: 'public-good' }],
    registryKeys: [],
    sources: [{ kind: 'registry' }],
    defaults,
    packages: entries.map(
      (entry, i): PackageRule => ({ match: entry.match, require: 'none', identities: [], noDowngrade: false, pointer: `/packages/${i}`, ...(entry.versions ? { versions: entry.versions } : {}) }),
    ),
    exceptions: [],
  });

  /** The rule as SPEC §5 states it, written independently: glob per segment, then the range. */
  function referenceMatch(match: string, name: string): boolean {
    if (match === '**') return true;
    const pattern = match.replace(/[.+^${}()|[\]\\/-]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*');
    return new RegExp(`^${pattern}$`).test(name);
  }

  test('findRule returns the first entry whose glob and range admit the package', () => {
    fc.assert(
      fc.property(rules, names, versions, (entries, name, version) => {
        const policy = policyOf(entries);
        const expected = entries.findIndex((entry) => referenceMatch(entry.match, name) && (entry.versions === undefined || semver.satisfies(version, entry.versions, { includePrerelease: true })));
        const rule = findRule(policy, name, version);
        assert.equal(rule?.pointer, expected < 0 ? undefined : `/packages/${expected}`);
      }),
      options(9),
    );
  });

  test('without a matching entry, only defaults.require makes a rule', () => {
    fc.assert(
      fc.property(rules, names, versions, fc.boolean(), (entries, name, version, withDefault) => {
        const policy = policyOf(entries, { noDowngrade: false, identities: [], ...(withDefault ? { require: 'signed' as const } : {}) });
        const rule = effectiveRule(policy, name, version);
        if (findRule(policy, name, version)) assert.notEqual(rule?.match, '(defaults)');
        else assert.equal(rule === undefined, !withDefault);
      }),
      options(10),
    );
  });

  test('an exception applies to its exact name only, and never once expired', () => {
    fc.assert(
      fc.property(names, names, fc.option(versions, { nil: undefined }), versions, fc.integer({ min: -3, max: 3 }), (excepted, name, exceptedVersion, version, daysLeft) => {
        const today = new Date('2026-06-15T12:00:00Z');
        const expires = new Date(Date.UTC(2026, 5, 15 + daysLeft));
        const policy = { ...policyOf([]), exceptions: [{ name: excepted, ...(exceptedVersion ? { version: exceptedVersion } : {}), reason: 'r', expires, pointer: '/exceptions/0' }] };
        const applies = findException(policy, name, version, today) !== undefined;
        assert.equal(applies, name === excepted && (exceptedVersion === undefined || exceptedVersion === version) && today < expires);
      }),
      options(11),
    );
  });

  test('any text as a policy file is a list of located problems or a policy, never an exception', () => {
    const policyish = fc.oneof(
      anyText,
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify({ version: 1, packages: [{ match: 'x', require: 'signed', identities: [{ issuer: 'i', subjectRegExp: value }] }] })),
      fc.record({ version: fc.constantFrom(1, 2, '1'), packages: fc.array(fc.record({ match: hostileText, versions: hostileText, require: fc.constantFrom('none', 'signed', 'maybe') })) }).map((document) => JSON.stringify(document)),
    );
    fc.assert(
      fc.property(policyish, (text) => {
        const result = checkPolicyText(text, '/p/pkgseal.policy.json');
        for (const problem of result.problems) assert.ok(problem.position.line >= 1 && problem.position.column >= 1);
        assert.ok(result.policy !== undefined || result.problems.some((problem) => problem.severity === 'error'));
      }),
      options(12, 300),
    );
  });
});

describe('parsers reject with a VerificationError or accept; nothing else', () => {
  function onlyVerificationErrors(run: () => unknown): void {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof VerificationError, `${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }

  const base64ish = fc.oneof(fc.base64String({ maxLength: 40 }), anyText, fc.constant(''));
  const mediaType = fc.constantFrom('application/vnd.dev.sigstore.bundle+json;version=0.1', 'application/vnd.dev.sigstore.bundle+json;version=0.2', 'application/vnd.dev.sigstore.bundle.v0.3+json', 'x');
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const bundleish = fc.record(
    {
      mediaType,
      dsseEnvelope: maybe(fc.record({ payload: base64ish, payloadType: fc.constantFrom('application/vnd.in-toto+json', ''), signatures: fc.array(fc.record({ sig: base64ish, keyid: anyText }), { maxLength: 3 }) })),
      messageSignature: maybe(fc.record({ messageDigest: fc.record({ algorithm: fc.constantFrom('SHA2_256', 'SHA2_512', 'MD5', 7), digest: base64ish }), signature: base64ish })),
      verificationMaterial: fc.record({
        certificate: maybe(fc.record({ rawBytes: base64ish })),
        publicKey: maybe(fc.record({ hint: anyText })),
        x509CertificateChain: maybe(fc.record({ certificates: fc.array(fc.record({ rawBytes: base64ish }), { maxLength: 2 }) })),
        tlogEntries: fc.array(
          fc.record({
            logIndex: fc.oneof(fc.nat().map(String), anyText),
            logId: fc.record({ keyId: base64ish }),
            kindVersion: fc.record({ kind: fc.constantFrom('dsse', 'hashedrekord', 'intoto', 'x'), version: fc.constantFrom('0.0.1', '0.0.2') }),
            integratedTime: fc.oneof(fc.nat().map(String), anyText),
            canonicalizedBody: base64ish,
            inclusionPromise: maybe(fc.record({ signedEntryTimestamp: base64ish })),
            inclusionProof: maybe(fc.record({ logIndex: fc.oneof(fc.nat().map(String), anyText), treeSize: fc.oneof(fc.nat().map(String), anyText), rootHash: base64ish, hashes: fc.array(base64ish, { maxLength: 3 }), checkpoint: fc.record({ envelope: anyText }) })),
          }),
          { maxLength: 2 },
        ),
        timestampVerificationData: maybe(fc.record({ rfc3161Timestamps: fc.array(fc.record({ signedTimestamp: base64ish }), { maxLength: 2 }) })),
      }),
    },
    { requiredKeys: ['mediaType'] },
  );

  test('parseBundle on generated bundle-shaped documents', () => {
    fc.assert(fc.property(bundleish, (document) => onlyVerificationErrors(() => parseBundle(document))), options(13, 1000));
  });

  test('parseBundle and classifyEvidence on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (document) => {
        onlyVerificationErrors(() => parseBundle(document));
        onlyVerificationErrors(() => classifyEvidence(document));
        onlyVerificationErrors(() => classifyEvidence({ attestations: [document] }));
      }),
      options(14),
    );
  });

  const subjectish = fc.record({ name: fc.oneof(anyText, fc.constant('pkg:npm/x@1.0.0')), digest: fc.oneof(fc.dictionary(fc.constantFrom('sha256', 'sha512', 'gitCommit'), fc.oneof(anyText, fc.nat() as fc.Arbitrary<unknown>)), fc.jsonValue()) });
  const statementish = fc.oneof(
    fc.jsonValue(),
    fc.record({ _type: fc.constantFrom('https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1', 'x'), predicateType: fc.oneof(anyText, fc.jsonValue()), subject: fc.oneof(fc.array(subjectish, { maxLength: 4 }), fc.jsonValue()), predicate: fc.jsonValue() }),
  );

  test('parseStatement on generated statements and arbitrary payload bytes', () => {
    fc.assert(
      fc.property(statementish, fc.uint8Array({ maxLength: 64 }), (statement, bytes) => {
        onlyVerificationErrors(() => parseStatement({ kind: 'dsse', payloadType: 'application/vnd.in-toto+json', payload: Buffer.from(JSON.stringify(statement) ?? ''), signature: Buffer.alloc(0) }));
        onlyVerificationErrors(() => parseStatement({ kind: 'dsse', payloadType: 'application/vnd.in-toto+json', payload: Buffer.from(bytes), signature: Buffer.alloc(0) }));
      }),
      options(15),
    );
  });

  test('a well-formed statement parses to exactly its subjects', () => {
    const digest = fc.stringMatching(/^[0-9a-f]{128}$/);
    fc.assert(
      fc.property(fc.array(fc.record({ name: anyText, digest: fc.record({ sha512: digest }) }), { minLength: 1, maxLength: 5 }), (subjects) => {
        const statement = parseStatement({
          kind: 'dsse',
          payloadType: 'application/vnd.in-toto+json',
          payload: Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: subjects, predicateType: 'https://slsa.dev/provenance/v1', predicate: {} })),
          signature: Buffer.alloc(0),
        });
        assert.deepEqual(statement.subjects, JSON.parse(JSON.stringify(subjects)));
      }),
      options(16),
    );
  });

  test('the strict evidence parser on any text', () => {
    fc.assert(fc.property(fc.oneof(anyText, fc.json(), fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', 'a', '\\', ' '), maxLength: 40 })), (text) => onlyVerificationErrors(() => parseEvidenceJson(text, 'bundle'))), options(17, 1000));
  });

  test('a policy key written twice is reported with the pointer of its object, wherever it is', () => {
    const objects = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 });
    const path = fc.array(fc.oneof(fc.string({ unit: fc.constantFrom('a', '/', '~', '"', '\\'), maxLength: 4 }), fc.nat(3)), { maxLength: 4 });
    fc.assert(
      fc.property(objects, fc.jsonValue({ maxDepth: 3 }), fc.nat(), path, (object, value, pick, segments) => {
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        let text = `{${JSON.stringify(key)}:${JSON.stringify(value)},${JSON.stringify(object).slice(1)}`;
        for (const segment of [...segments].reverse()) {
          text = typeof segment === 'number' ? `[${'{"x":[1,{}]},'.repeat(segment)}${text}]` : `{"z":{"y":[]},${JSON.stringify(segment)}:${text}}`;
        }
        const pointer = segments.map((segment) => `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
        const { duplicateKeys } = parseLocatedJson(text);
        assert.deepEqual(duplicateKeys.map((found) => [found.pointer, found.key]), [[pointer, key]], text);
      }),
      options(20),
    );
  });

  test('serialized JSON has no duplicate key; one written twice is always found, wherever it is', () => {
    const objects = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 });
    fc.assert(
      fc.property(objects, fc.jsonValue({ maxDepth: 3 }), fc.nat(), (object, value, pick) => {
        assert.equal(jsonStructureProblem(JSON.stringify(object)), undefined);
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        const duplicated = `{${JSON.stringify(key)}:${JSON.stringify(value)},${JSON.stringify(object).slice(1)}`;
        assert.match(jsonStructureProblem(duplicated) ?? '', /twice in one object/);
        assert.match(jsonStructureProblem(`{"wrapper":[1,${duplicated}]}`) ?? '', /twice in one object/);
      }),
      options(18),
    );
  });
});
