/**
 * A memo of a pure function, keyed by every byte of its input, so an entry only ever answers for
 * exactly the input it was computed from. It is emptied when full: it is meant for the few
 * trust-material certificates and keys that recur in every bundle.
 */
export class PureMemo<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly maxEntries: number) {}

  get(key: string, compute: () => V): V {
    if (this.#entries.has(key)) return this.#entries.get(key)!;
    const value = compute();
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }
}

/** One memo key from several inputs, each prefixed with its length so no two inputs share a key. */
export function memoKey(parts: Array<string | Buffer>): string {
  return parts.map((part) => `${part.length}:${typeof part === 'string' ? part : part.toString('latin1')}`).join('');
}
