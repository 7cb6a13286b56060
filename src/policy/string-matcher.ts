/** How an expected value is written: exact text, an anchored regular expression, or a glob. */
export type StringMatcher = { kind: 'exact'; value: string } | { kind: 'regexp'; pattern: string } | { kind: 'glob'; pattern: string };

export class PatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatternError';
  }
}

/**
 * Compiles a matcher to a predicate. Regular expressions are always anchored — unlike
 * @sigstore/verify, where a policy for `...@refs/tags/v1.0` also accepts `...@refs/tags/v1.0.0`.
 */
export function compileMatcher(matcher: StringMatcher): (actual: string) => boolean {
  switch (matcher.kind) {
    case 'exact':
      return (actual) => actual === matcher.value;
    case 'regexp':
      return anchored(matcher.pattern).test.bind(anchored(matcher.pattern));
    case 'glob':
      return globToRegExp(matcher.pattern).test.bind(globToRegExp(matcher.pattern));
  }
}

export function describeMatcher(matcher: StringMatcher): string {
  return matcher.kind === 'exact' ? `"${matcher.value}"` : `${matcher.kind} ${JSON.stringify(matcher.pattern)}`;
}

function anchored(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (error) {
    throw new PatternError(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

/** `*` matches within one path segment, `**` across segments; everything else is literal. */
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
