import { lineStartsOf, scanJson, textPosition } from '../trust/json-scan.js';

/** What one pass over valid JSON text finds for npm lockfile line numbers. */
export interface LockfileJsonScan {
  /** 1-based line of each key of the top-level `packages` object (the last one where a key repeats, as JSON.parse keeps). */
  packagesKeyLines: Map<string, number>;
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Some key, at any depth, is `__proto__` (JSON.parse makes it a property, other parsers a prototype). */
  hasProtoKey: boolean;
}

/**
 * One pass over JSON text that JSON.parse accepts (so a raw newline is always whitespace, never
 * inside a string): the line of each `packages` key, the nesting depth, any `__proto__` key.
 */
export function scanLockfileJson(text: string): LockfileJsonScan {
  const packagesKeyLines = new Map<string, number>();
  let hasProtoKey = false;
  let maxDepth = 0;
  let topIsObject = false;
  let topLevelKey: string | undefined;
  let inPackages = false;
  const lineStarts = lineStartsOf(text);
  scanJson(text, {
    open(isObject, depth) {
      maxDepth = Math.max(maxDepth, depth);
      if (depth === 1) topIsObject = isObject;
      if (depth === 2) inPackages = isObject && topIsObject && topLevelKey === 'packages';
    },
    key(key, offset, depth) {
      if (key === '__proto__') hasProtoKey = true;
      if (depth === 1) topLevelKey = key;
      else if (depth === 2 && inPackages) packagesKeyLines.set(key, textPosition(lineStarts, offset).line);
    },
  });
  return { packagesKeyLines, maxDepth, hasProtoKey };
}
