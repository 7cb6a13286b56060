#!/usr/bin/env node
/**
 * Bundles the CLI (src/cli/main.ts) with esbuild into dist/cli/main.js — replacing tsc's output
 * for that one file — plus chunks beside it (dist/cli/chunk-*.js, loaded on demand). Node then
 * reads a few files instead of resolving and compiling hundreds of modules: a warm audit of 1,804
 * packages took ~0.6 s unbundled and ~0.47 s bundled (bench/README.md). The library entry
 * (dist/index.js) stays tsc's output.
 *
 * Packages that only sign, pack or read lockfile v1 / node_modules (Arborist, pacote and what
 * they load) stay external: they are loaded lazily, and some find their own files through
 * `__dirname`, which means nothing inside a bundle. The build fails if bundled code still uses
 * `__dirname` or `__filename`. Data files are found at run time as before (`import.meta.url` of a
 * chunk in dist/cli/ is as deep as the module it came from), and `require` is Node's, made for the
 * chunk, so dependencies left outside resolve from node_modules.
 *
 * Usage: node scripts/bundle-cli.mjs   (after tsc; `npm run build` runs both)
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist/cli');

/** Loaded only by sign, publish, pack and the Arborist fallbacks; they carry their own files. */
export const EXTERNAL = [
  '@npmcli/arborist',
  '@npmcli/run-script',
  'pacote',
  'sigstore',
  '@sigstore/sign',
  '@sigstore/tuf',
  'tuf-js',
  'make-fetch-happen',
];

for (const file of readdirSync(OUT)) if (/^chunk-.*\.js$/.test(file) || file === 'main.js.map') rmSync(join(OUT, file));

const result = await esbuild.build({
  entryPoints: { main: join(ROOT, 'src/cli/main.ts') },
  outdir: OUT,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  external: EXTERNAL,
  banner: { js: "import { createRequire as __pkgsealCreateRequire } from 'node:module';\nconst require = __pkgsealCreateRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const problems = [];
for (const file of Object.keys(result.metafile.outputs)) {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (/\b__(dirname|filename)\b/.test(line) && !/^\s*(\*|\/\/)/.test(line)) problems.push(`${file}:${index + 1}: ${line.trim().slice(0, 120)}`);
  });
}
if (problems.length > 0) {
  process.stderr.write(`bundled code uses __dirname/__filename (add its package to EXTERNAL in scripts/bundle-cli.mjs):\n${problems.join('\n')}\n`);
  process.exit(1);
}
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
process.stderr.write(`dist/cli/main.js: bundled into ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB\n`);
