/**
 * Where each mapping key of block-style YAML (as pnpm writes its lockfile) is written: 1-based
 * lines by key path (keys joined with NUL), up to `maxDepth` keys deep, for the last document of
 * the stream. A line scan, not a parser — the document is parsed elsewhere; this only tells a
 * report where to point, and a key it cannot place simply has no line.
 */
export function yamlKeyLines(text: string, maxDepth: number): Map<string, number> {
  const lines = text.split('\n');
  let start = 0;
  for (let index = 0; index < lines.length; index++) if (lines[index]!.startsWith('---') && /^---\s*$/.test(lines[index]!)) start = index + 1;
  const found = new Map<string, number>();
  const open: Array<{ indent: number; key: string }> = [];
  for (let index = start; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, '');
    const indent = line.length - line.trimStart().length;
    const rest = line.slice(indent);
    if (rest === '' || rest.startsWith('#')) continue;
    while (open.length > 0 && open[open.length - 1]!.indent >= indent) open.pop();
    // Most lines of a lockfile are deeper than any key asked for.
    if (open.length >= maxDepth) continue;
    const key = readKey(rest);
    if (!key) continue;
    const path = [...open.map((entry) => entry.key), key.text];
    const id = path.join('\0');
    if (path.length <= maxDepth && !found.has(id)) found.set(id, index + 1);
    if (key.rest.trim() === '' || key.rest.trimStart().startsWith('#')) open.push({ indent, key: key.text });
  }
  return found;
}

/** The key at the start of `text` (plain, 'single' or "double" quoted) and what follows its colon. */
function readKey(text: string): { text: string; rest: string } | undefined {
  let key: string;
  let end: number;
  if (text.startsWith("'")) {
    const close = /^'((?:[^']|'')*)'/.exec(text);
    if (!close) return undefined;
    key = close[1]!.replace(/''/g, "'");
    end = close[0].length;
  } else if (text.startsWith('"')) {
    const close = /^"((?:[^"\\]|\\.)*)"/.exec(text);
    if (!close) return undefined;
    try {
      key = JSON.parse(close[0]) as string;
    } catch {
      return undefined;
    }
    end = close[0].length;
  } else {
    if (text.startsWith('- ') || text === '-' || /^[[{&*!|>%@`]/.test(text)) return undefined;
    const colon = /:(?:\s|$)/.exec(text);
    if (!colon) return undefined;
    key = text.slice(0, colon.index).trimEnd();
    end = colon.index;
  }
  if (text[end] !== ':' || (end + 1 < text.length && !/\s/.test(text[end + 1]!))) return undefined;
  return { text: key, rest: text.slice(end + 1) };
}

/**
 * Where each block-mapping key of one document is written, as a reader that parses the document
 * records it (src/tree/pnpm-lock-yaml.ts): the keys in the order of their lines, each with its
 * depth (1 for the document's keys), so that the keys of a key's value are the next ones one
 * deeper. Nothing is joined or indexed until a line is asked for.
 */
export class KeyLines {
  private readonly keys: string[] = [];
  private readonly lines: number[] = [];
  private readonly depths: number[] = [];
  /** Key → entry, for the keys of each entry's value (-1: the document's), made when first asked. */
  private readonly indexes = new Map<number, Map<string, number>>();

  add(key: string, line: number, depth: number): void {
    this.keys.push(key);
    this.lines.push(line);
    this.depths.push(depth);
  }

  /** The line of the key at `path` (the document's key first), as yamlKeyLines gives it for the path joined with NUL. */
  line(path: readonly string[]): number | undefined {
    let entry = -1;
    for (let depth = 0; depth < path.length; depth++) {
      entry = this.below(entry).get(path[depth]!) ?? -1;
      if (entry === -1) return undefined;
    }
    return this.lines[entry];
  }

  /** Every line by key path joined with NUL: what yamlKeyLines returns. */
  toMap(): Map<string, number> {
    const found = new Map<string, number>();
    const walk = (parent: number, prefix: string | undefined): void => {
      for (const [key, entry] of this.below(parent)) {
        const id = prefix === undefined ? key : `${prefix}\0${key}`;
        found.set(id, this.lines[entry]!);
        walk(entry, id);
      }
    };
    walk(-1, undefined);
    return found;
  }

  private below(parent: number): Map<string, number> {
    let index = this.indexes.get(parent);
    if (index === undefined) {
      index = new Map();
      const depth = parent === -1 ? 0 : this.depths[parent]!;
      for (let entry = parent + 1; entry < this.keys.length && this.depths[entry]! > depth; entry++) {
        if (this.depths[entry] === depth + 1) index.set(this.keys[entry]!, entry);
      }
      this.indexes.set(parent, index);
    }
    return index;
  }
}
