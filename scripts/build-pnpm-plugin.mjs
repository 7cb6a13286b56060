#!/usr/bin/env node
/**
 * Builds hooks/pnpm-plugin/pnpmfile.cjs: the pnpm plugin as one self-contained CommonJS file
 * (pnpm config dependencies may not have dependencies), bundled by esbuild from
 * src/pnpm-plugin/pnpmfile.ts. Only Node built-ins stay outside the bundle.
 *
 * pkgseal's modules find their data files next to themselves (`import.meta.url`), which a single
 * CommonJS file cannot: SOURCE_REWRITES puts those files into the bundle instead. Each rewrite
 * must apply exactly as written, so a change to one of those lines stops the build rather than
 * shipping a plugin that fails at install time.
 *
 * Usage: node scripts/build-pnpm-plugin.mjs [--check]   (--check: also load the bundle in an empty folder)
 */
import { builtinModules } from 'node:module';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'src/pnpm-plugin/pnpmfile.ts');
export const PLUGIN_DIR = join(ROOT, 'hooks/pnpm-plugin');
const BUNDLE = join(PLUGIN_DIR, 'pnpmfile.cjs');

/** file (relative to the repository) → [text as written, text in the bundle]. */
const SOURCE_REWRITES = {
  'src/cli/audit-run.ts': [["JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))", "require('../../package.json')"]],
  'src/policy/load-policy.ts': [
    ["JSON.parse(readFileSync(createRequire(import.meta.url).resolve('../../policy.schema.json'), 'utf8'))", "require('../../policy.schema.json')"],
  ],
  'src/policy/policy-validator.generated.ts': [['const require = createRequire(import.meta.url);', '']],
  'src/policy/json-locations.ts': [["createRequire(import.meta.url)('json-source-map')", "require('json-source-map')"]],
  'src/trust/public-good.ts': [
    ['const require = createRequire(import.meta.url);', ''],
    ["const seedsPath = require.resolve('@sigstore/tuf/seeds.json');", ''],
    ["JSON.parse(readFileSync(seedsPath, 'utf8'))", "require('@sigstore/tuf/seeds.json')"],
  ],
  'src/tree/lockfile-locations.ts': [['const require = createRequire(import.meta.url);', '']],
  // A default npm computes when its config loads: the path of a node-gyp beside npm. The audit
  // never reads it; in the bundle it is '' (what npm gets when there is none), not a lookup.
  'node_modules/@npmcli/config/lib/definitions/definitions.js': [["return require.resolve('node-gyp/bin/node-gyp.js')", "return ''"]],
};

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Rewrites the lines above, and fails on any other `import.meta` in a bundled source file. */
const bundleDataFiles = {
  name: 'pkgseal-data-files',
  setup(build) {
    const thirdParty = Object.keys(SOURCE_REWRITES).filter((file) => file.startsWith('node_modules/'));
    const rewritten = new RegExp(`^${escapeRegExp(ROOT)}/(src/.*\\.ts|${thirdParty.map(escapeRegExp).join('|')})$`);
    build.onLoad({ filter: rewritten }, async ({ path }) => {
      const file = relative(ROOT, path);
      let contents = await readFile(path, 'utf8');
      for (const [written, bundled] of SOURCE_REWRITES[file] ?? []) {
        const count = contents.split(written).length - 1;
        if (count !== 1) throw new Error(`${file}: expected "${written}" once, found it ${count} times; update SOURCE_REWRITES in scripts/build-pnpm-plugin.mjs`);
        contents = contents.replace(written, () => bundled);
      }
      const line = contents.split('\n').findIndex((text) => text.includes('import.meta'));
      if (line !== -1) throw new Error(`${file}:${line + 1}: import.meta has no meaning in the bundle; add a rewrite to SOURCE_REWRITES in scripts/build-pnpm-plugin.mjs`);
      return { contents, loader: file.endsWith('.ts') ? 'ts' : 'js' };
    });
    // Unused exports of pkgseal's own modules (Arborist, pacote behind load-tree.ts) drop out.
    build.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'resolved' || !args.importer.startsWith(join(ROOT, 'src'))) return undefined;
      const result = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolved' });
      return result.path.startsWith(join(ROOT, 'src')) ? { ...result, sideEffects: false } : result;
    });
  },
};

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Bundles the plugin into `outDir` (default hooks/pnpm-plugin; tests build into a folder of their
 * own); returns the bundle's path, its size and every module it leaves to `require` at run time.
 */
export async function buildPnpmPlugin({ outDir = PLUGIN_DIR } = {}) {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const plugin = JSON.parse(readFileSync(join(PLUGIN_DIR, 'package.json'), 'utf8'));
  if (plugin.version !== version) throw new Error(`hooks/pnpm-plugin/package.json has version ${plugin.version}, pkgseal ${version}: make them equal`);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: join(outDir, 'pnpmfile.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18.12',
    // pnpm 10 runs on Node 18.12+; the plugin must load wherever pnpm does.
    legalComments: 'none',
    banner: { js: `/* pnpm-plugin-pkgseal ${version}: built from pkgseal's src/pnpm-plugin by scripts/build-pnpm-plugin.mjs. Do not edit. */` },
    metafile: true,
    logLevel: 'silent',
    plugins: [bundleDataFiles],
  });
  // Warnings about files that end up outside the bundle (Arborist, run-script) are not the plugin's.
  const [output] = Object.values(result.metafile.outputs);
  const problems = result.warnings.filter((warning) => !warning.location || (output.inputs[warning.location.file]?.bytesInOutput ?? 0) > 0);
  if (problems.length > 0) throw new Error((await esbuild.formatMessages(problems, { kind: 'warning' })).join('\n'));
  const runtimeRequires = [...new Set(output.imports.filter((imported) => imported.external).map((imported) => imported.path))].sort();
  const foreign = runtimeRequires.filter((path) => !BUILTINS.has(path));
  if (foreign.length > 0) throw new Error(`the bundle would require modules that are not Node built-ins: ${foreign.join(', ')}`);
  return { bundle: join(outDir, 'pnpmfile.cjs'), runtimeRequires, bytes: output.bytes };
}

/**
 * Copies the bundle into an empty folder and loads it there with plain `node`, as pnpm loads a
 * config dependency: no node_modules anywhere above it to resolve a forgotten dependency from.
 * Returns the hook names it exports and the number of its pnpm 12 fetchers.
 */
export function loadInEmptyFolder(bundle = BUNDLE) {
  const folder = mkdtempSync(join(tmpdir(), 'pkgseal-pnpm-plugin-load-'));
  try {
    copyFileSync(bundle, join(folder, 'pnpmfile.cjs'));
    const probe = "const plugin = require('./pnpmfile.cjs'); console.log(JSON.stringify({ hooks: Object.keys(plugin.hooks).sort(), fetchers: plugin.fetchers.length }))";
    return JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: folder, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' }));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { bundle, bytes } = await buildPnpmPlugin();
  if (process.argv.includes('--check')) loadInEmptyFolder(bundle);
  console.log(`${relative(ROOT, bundle)}: ${(bytes / 1024).toFixed(0)} KiB`);
}
