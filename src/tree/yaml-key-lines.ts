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
