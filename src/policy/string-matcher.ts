/**
 * How an expected value is written: exact text, an anchored regular expression, or a glob.
 * @example
 * ```ts
 * import type { StringMatcher } from 'pkgseal';
 *
 * const issuer: StringMatcher = { kind: 'exact', value: 'https://token.actions.githubusercontent.com' };
 * const anyCorpRepository: StringMatcher = { kind: 'glob', pattern: 'https://github.com/corp/**' };
 * const releaseTags: StringMatcher = { kind: 'regexp', pattern: 'https://github\\.com/corp/app/\\.github/workflows/release\\.yml@refs/tags/v[0-9.]+' };
 * ```
 */
export type StringMatcher = { kind: 'exact'; value: string } | { kind: 'regexp'; pattern: string } | { kind: 'glob'; pattern: string };

/**
 * A pattern (in a policy or on the command line) that is not a valid regular expression.
 * @example
 * ```ts
 * import { compileMatcher, PatternError } from 'pkgseal';
 *
 * try {
 *   compileMatcher({ kind: 'regexp', pattern: '(' });
 * } catch (error) {
 *   if (error instanceof PatternError) console.error(error.message); // invalid regular expression "(": ...
 * }
 * ```
 */
export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

/**
 * Compiles a matcher to a predicate. Regular expressions are always anchored — unlike
 * @sigstore/verify, where a policy for `...@refs/tags/v1.0` also accepts `...@refs/tags/v1.0.0`.
 * @example
 * ```ts
 * import { compileMatcher } from 'pkgseal';
 *
 * const isRelease = compileMatcher({ kind: 'regexp', pattern: 'https://github\\.com/o/r/\\.github/workflows/release\\.yml@refs/tags/v1\\.0' });
 * isRelease('https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0'); // true
 * isRelease('https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.1'); // false: anchored
 * ```
 */
export function compileMatcher(matcher: StringMatcher): (actual: string) => boolean {
  if (matcher.kind === 'exact') {
    const { value } = matcher;
    return (actual) => actual === value;
  }
  // A policy applies the same few patterns to every package of a tree: compile each once.
  const key = `${matcher.kind}\0${matcher.pattern}`;
  let compiled = compiledPatterns.get(key);
  if (!compiled) {
    if (matcher.kind === 'regexp') {
      const regExp = anchored(matcher.pattern);
      compiled = (actual) => regExp.test(actual);
    } else {
      compiled = globMatcher(matcher.pattern);
    }
    compiledPatterns.set(key, compiled);
  }
  return compiled;
}

type GlobToken = { kind: 'literal'; text: string } | { kind: 'one' } | { kind: 'segment' } | { kind: 'any' };

/**
 * The glob as globToRegExp reads it, matched without building a regular expression: a policy
 * with one identity per package has as many distinct globs as packages, and compiling each to a
 * RegExp cost more than the rest of a warm audit.
 */
function globMatcher(glob: string): (actual: string) => boolean {
  const tokens: GlobToken[] = [];
  let literal = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char !== '*' && char !== '?') {
      literal += char;
      continue;
    }
    if (literal) tokens.push({ kind: 'literal', text: literal });
    literal = '';
    if (char === '?') tokens.push({ kind: 'one' });
    else if (glob[i + 1] === '*') {
      tokens.push({ kind: 'any' });
      i++;
    } else tokens.push({ kind: 'segment' });
  }
  if (literal) tokens.push({ kind: 'literal', text: literal });
  if (tokens.length === 1 && tokens[0]!.kind === 'literal') {
    const { text } = tokens[0]!;
    return (actual) => actual === text;
  }
  return (actual) => matchTokens(tokens, actual, 0, 0, new Set());
}

/** `*` spans no `/`, `**` no line terminator (as `.` in a RegExp); `failed` bounds the backtracking. */
function matchTokens(tokens: readonly GlobToken[], actual: string, tokenIndex: number, position: number, failed: Set<number>): boolean {
  for (let t = tokenIndex, at = position; ; ) {
    const token = tokens[t];
    if (!token) return at === actual.length;
    if (token.kind === 'literal') {
      if (!actual.startsWith(token.text, at)) return false;
      at += token.text.length;
      t++;
      continue;
    }
    if (token.kind === 'one') {
      if (at >= actual.length || actual[at] === '/') return false;
      at++;
      t++;
      continue;
    }
    const state = t * (actual.length + 1) + at;
    if (failed.has(state)) return false;
    for (let end = at; end <= actual.length; end++) {
      if (matchTokens(tokens, actual, t + 1, end, failed)) return true;
      const next = actual[end];
      if (next === undefined || (token.kind === 'segment' ? next === '/' : LINE_TERMINATORS.has(next))) break;
    }
    failed.add(state);
    return false;
  }
}

const LINE_TERMINATORS = new Set(['\n', '\r', '\u2028', '\u2029']);

const compiledPatterns = new Map<string, (actual: string) => boolean>();

export function describeMatcher(matcher: StringMatcher): string {
  return matcher.kind === 'exact' ? `"${matcher.value}"` : `${matcher.kind} ${JSON.stringify(matcher.pattern)}`;
}

function anchored(pattern: string): RegExp {
  try {
    // Compiled alone first: `x)|(?:.*` is not a regular expression, but wrapped it would compile
    // to `^(?:x)|(?:.*)$` and match anything.
    new RegExp(pattern);
    return new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    throw new PatternError(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

/**
 * `*` matches within one path segment, `**` across segments; everything else is literal.
 * @example
 * ```ts
 * import { globToRegExp } from 'pkgseal';
 *
 * globToRegExp('@corp/*').test('@corp/ui'); // true
 * globToRegExp('@corp/*').test('@corp/ui/extra'); // false: one * stays within a segment
 * globToRegExp('https://github.com/corp/**').test('https://github.com/corp/app/x.yml'); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        i++;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
