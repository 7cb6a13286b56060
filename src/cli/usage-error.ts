/** A mistake in how pkgseal was called or configured: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, violation: 1, usage: 2 } as const;
