/**
 * A memo of a pure function of some bytes, kept with the object they belong to (a trusted
 * certificate, which recurs in every bundle). An entry answers only while the bytes it was
 * computed from are, compared in full, exactly the bytes given now.
 */
export class BytesMemo<V> {
  readonly #entries = new WeakMap<object, { input: Buffer[]; value: V }>();

  get(owner: object, input: Buffer[], compute: () => V): V {
    const entry = this.#entries.get(owner);
    if (entry && entry.input.length === input.length && entry.input.every((bytes, i) => bytes.equals(input[i]!))) return entry.value;
    const value = compute();
    this.#entries.set(owner, { input: input.map((bytes) => Buffer.from(bytes)), value });
    return value;
  }
}
