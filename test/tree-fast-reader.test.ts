/**
 * The direct reader of npm lockfiles v2/v3 (src/tree/npm-lockfile-direct.ts): it gives exactly
 * what Arborist's loadVirtual gives, falls back to Arborist wherever the two could differ, never
 * loads Arborist itself, and finds each entry's line without json-source-map.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';

import { readNpmLockfileTree, readNpmLockfileTreeDirectly, readNpmLockfileTreeWithArborist } from '../src/tree/arborist-tree.js';
import { scanLockfileJson } from '../src/tree/json-key-lines.js';
import { parseNpmLockfileText } from '../src/tree/lockfile-locations.js';
import type { TreePackage } from '../src/tree/tree.types.js';
import { REPO_ROOT } from './support/realdata.js';

type Json = Record<string, any>;
type RegistryFor = (name: string) => string;

const FIXTURES = join(REPO_ROOT, 'fixtures', 'tree');
const BENCH = join(REPO_ROOT, 'bench', 'workload');
const NPMJS = 'https://registry.npmjs.org/';
const npmjsOnly: RegistryFor = () => NPMJS;
/** Consulted only where no `resolved` names the registry: shows both readers ask it alike. */
const scopedToCorp: RegistryFor = (name) => (name.startsWith('@sindresorhus/') || name.startsWith('@esbuild/') ? 'https://npm.corp.example/' : NPMJS);
const require = createRequire(import.meta.url);
const jsonSourceMap = require('json-source-map') as { parse(text: string): { pointers: Record<string, { key?: { line: number } }> } };

const temporaryDirs: string[] = [];
after(async () => {
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pkgseal-fast-reader-'));
  temporaryDirs.push(dir);
  return dir;
}

/** A project folder with this package.json (none when undefined) and lockfile. */
async function project(manifest: Json | string | undefined, lockfile: Json | string, lockfileName = 'package-lock.json'): Promise<string> {
  const dir = await temporaryDir();
  if (manifest !== undefined) await writeFile(join(dir, 'package.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, lockfileName), typeof lockfile === 'string' ? lockfile : JSON.stringify(lockfile, null, 2));
  return dir;
}

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await readFile(path, 'utf8')) as Json;
}

/** package.json and package-lock.json of a fixture, to edit. */
async function fixtureFiles(name: string): Promise<{ manifest: Json; lockfile: Json }> {
  return { manifest: await readJson(join(FIXTURES, name, 'package.json')), lockfile: await readJson(join(FIXTURES, name, 'package-lock.json')) };
}

function lockfileIn(dir: string, name = 'package-lock.json'): string {
  return join(dir, name);
}

/** What a reading gives, or the first line of what it throws: errors must agree too. */
async function outcome(read: Promise<TreePackage[]>): Promise<{ packages: TreePackage[] } | { error: string }> {
  try {
    return { packages: await read };
  } catch (error) {
    return { error: String((error as Error).message).split('\n', 1)[0]! };
  }
}

async function assertSameAsArborist(dir: string, file: string, registryFor: RegistryFor = npmjsOnly): Promise<TreePackage[]> {
  const direct = await readNpmLockfileTreeDirectly(dir, file, registryFor);
  assert.ok(direct, 'read directly, without Arborist');
  // Same packages in the same order (Arborist's inventory order), not only after loadTree's sort.
  assert.deepStrictEqual(direct, await readNpmLockfileTreeWithArborist(dir, file, registryFor));
  return direct;
}

/** The 1-based line json-source-map gives the key `packages["<location>"]`, as before the direct reader. */
function sourceMapLines(text: string): (location: string) => number | undefined {
  const { pointers } = jsonSourceMap.parse(text.replace(/^\uFEFF/, ''));
  return (location) => {
    const key = pointers[`/packages/${location.replace(/~/g, '~0').replace(/\//g, '~1')}`]?.key;
    return key ? key.line + 1 : undefined;
  };
}

describe('direct reading equals Arborist loadVirtual', () => {
  for (const [name, lockfileName] of [
    ['npm-v2', 'package-lock.json'],
    ['npm-v3', 'package-lock.json'],
    ['npm-omit', 'package-lock.json'],
    ['npm-no-resolved', 'package-lock.json'],
    ['npm-shrinkwrap', 'npm-shrinkwrap.json'],
  ] as const) {
    it(`fixtures/tree/${name}: same packages, flags, registries and lines, in the same order`, async () => {
      const dir = join(FIXTURES, name);
      for (const registryFor of [npmjsOnly, scopedToCorp]) await assertSameAsArborist(dir, lockfileIn(dir, lockfileName), registryFor);
    });
  }

  it('the 2,156-entry bench/workload lockfile (aliases, optional platform packages, peers, extraneous)', async () => {
    const dir = await temporaryDir();
    for (const file of ['package.json', 'package-lock.json']) await cp(join(BENCH, file), join(dir, file));
    const packages = await assertSameAsArborist(dir, lockfileIn(dir), scopedToCorp);
    assert.equal(packages.length, 2156);
    assert.ok(packages.some((entry) => entry.optional) && packages.some((entry) => entry.peer));
  });
});

/** Edits that keep a lockfile plain: the direct reader must still read it, and agree. */
const PLAIN_EDITS = ['flag', 'dropResolved', 'dropIntegrity', 'emptyResolved', 'alias', 'otherRegistry', 'remoteTarball', 'codeload', 'extraneous', 'shuffle'] as const;
/** Edits after which Arborist may read the tree otherwise: whatever the reader does, the answer is Arborist's. */
const UNSAFE_EDITS = [
  'gitResolved', 'githubTarball', 'fileResolved', 'link', 'orphan', 'inBundle', 'underscoreResolved', 'noVersion', 'numericSpec',
  'rootSpec', 'rootMove', 'rootPeerMeta', 'manifestSpec', 'caseTwin', 'dotSegment', 'workspacesField',
] as const;
type EditKind = (typeof PLAIN_EDITS)[number] | (typeof UNSAFE_EDITS)[number];
interface Edit { kind: EditKind; pick: number; bit: boolean }

const FLAGS = ['dev', 'optional', 'peer', 'devOptional'] as const;

function applyEdit(manifest: Json, lockfile: Json, { kind, pick, bit }: Edit): void {
  const packages = lockfile.packages as Json;
  const locations = Object.keys(packages).filter((location) => location !== '');
  const location = locations[pick % locations.length]!;
  const entry = packages[location] as Json;
  const name = location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const rootDependencies = Object.keys(packages['']!.dependencies ?? {});
  const rootDependency = rootDependencies[pick % rootDependencies.length]!;
  switch (kind) {
    case 'flag': {
      const flag = FLAGS[pick % FLAGS.length]!;
      if (bit) entry[flag] = true;
      else delete entry[flag];
      break;
    }
    case 'dropResolved': delete entry.resolved; break;
    case 'dropIntegrity': delete entry.integrity; break;
    case 'emptyResolved': entry.resolved = ''; break;
    case 'alias': entry.name = bit ? `@alias/pkg-${pick % 7}` : `aliased-${pick % 7}`; break;
    case 'otherRegistry': entry.resolved = `https://npm.corp.example/repo/${name}/-/${name.replace(/^@[^/]+\//, '')}-${entry.version}.tgz`; break;
    case 'remoteTarball': entry.resolved = `https://downloads.example.com/${name}.tgz`; break;
    case 'codeload': entry.resolved = 'https://codeload.github.com/user/repo/tar.gz/0123456789abcdef0123456789abcdef01234567'; break;
    case 'extraneous': entry.extraneous = true; break;
    case 'shuffle': {
      const rotated = [...locations.slice(pick % locations.length), ...locations.slice(0, pick % locations.length)];
      lockfile.packages = Object.fromEntries([['', packages['']], ...(bit ? rotated.reverse() : rotated).map((key) => [key, packages[key]])]);
      break;
    }
    case 'gitResolved': entry.resolved = bit ? 'git+ssh://git@github.com/user/repo.git#0123456789abcdef0123456789abcdef01234567' : 'github:user/repo#abc'; break;
    case 'githubTarball': entry.resolved = bit ? 'https://github.com/user/repo/archive/v1.tar.gz' : 'https://www.gitlab.com/user/repo.git'; break;
    case 'fileResolved': entry.resolved = bit ? 'file:vendor/x-1.0.0.tgz' : 'file:../elsewhere/x-1.0.0.tgz'; break;
    case 'link': packages[location] = { resolved: bit ? 'vendor/x' : location, link: true }; break;
    case 'orphan': {
      const nested = locations.find((key) => key.includes('/node_modules/'));
      if (nested) delete packages[nested.slice(0, nested.lastIndexOf('/node_modules/'))];
      break;
    }
    case 'inBundle': entry.inBundle = true; break;
    case 'underscoreResolved': entry._resolved = 'https://downloads.example.com/other.tgz'; delete entry.resolved; break;
    case 'noVersion': delete entry.version; break;
    case 'numericSpec': entry.dependencies = { ...(entry.dependencies ?? {}), 'some-dep': 1 }; break;
    case 'rootSpec': packages['']!.dependencies[rootDependency] = '^99.0.0'; break;
    case 'rootMove': {
      const spec = packages['']!.dependencies[rootDependency];
      delete packages['']!.dependencies[rootDependency];
      packages['']!.devDependencies = { ...(packages['']!.devDependencies ?? {}), [rootDependency]: spec };
      break;
    }
    case 'rootPeerMeta':
      packages['']!.peerDependencies = { [rootDependency]: '*' };
      packages['']!.peerDependenciesMeta = { [rootDependency]: { optional: bit } };
      break;
    case 'manifestSpec': manifest.dependencies = { ...(manifest.dependencies ?? {}), [rootDependency]: bit ? '*' : 'latest' }; break;
    case 'caseTwin': packages[location.toUpperCase().replace(/NODE_MODULES/g, 'node_modules')] = { ...entry }; break;
    case 'dotSegment': packages[`node_modules/${bit ? '.' : '..'}/${name}`] = { ...entry }; break;
    case 'workspacesField': (bit ? manifest : packages['']!).workspaces = []; break;
  }
}

const editOf = (kinds: readonly EditKind[]) => fc.record({ kind: fc.constantFrom(...kinds), pick: fc.nat(1000), bit: fc.boolean() });
const propertyOptions = (seed: number) => ({ seed, numRuns: 40, includeErrorInReport: true });

describe('random edits', () => {
  it('edits that keep the lockfile plain (flags, resolved, aliases, registries, order) are read directly, as Arborist reads them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('npm-v3', 'npm-omit'), fc.array(editOf(PLAIN_EDITS), { minLength: 1, maxLength: 6 }), async (fixture, edits) => {
        const { manifest, lockfile } = await fixtureFiles(fixture);
        for (const edit of edits) applyEdit(manifest, lockfile, edit);
        const dir = await project(manifest, lockfile);
        await assertSameAsArborist(dir, lockfileIn(dir), scopedToCorp);
      }),
      propertyOptions(1),
    );
  });

  it('any edit, plain or not, gives Arborist\'s answer (or its error)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('npm-v3', 'npm-omit'), fc.array(editOf([...PLAIN_EDITS, ...UNSAFE_EDITS]), { minLength: 1, maxLength: 4 }), async (fixture, edits) => {
        const { manifest, lockfile } = await fixtureFiles(fixture);
        for (const edit of edits) applyEdit(manifest, lockfile, edit);
        const dir = await project(manifest, lockfile);
        assert.deepStrictEqual(await outcome(readNpmLockfileTree(dir, lockfileIn(dir), scopedToCorp)), await outcome(readNpmLockfileTreeWithArborist(dir, lockfileIn(dir), scopedToCorp)));
      }),
      propertyOptions(2),
    );
  });
});

/** npm-package-arg reads some as git repositories, some not; Arborist rewrites those it does. */
const TRICKY_URLS = [
  'HTTPS://REGISTRY.NPMJS.ORG/ms/-/ms-2.1.3.tgz',
  'https://registry.npmjs.org:8443/ms/-/ms-2.1.3.tgz',
  'http://localhost:4873/ms/-/ms-2.1.3.tgz',
  'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz?token=abc#sha1',
  'https://npm.pkg.github.com/download/@vercel/ms/2.1.3/0123abcd',
  'https://codeload.github.com/vercel/ms/tar.gz/0123456789abcdef0123456789abcdef01234567',
  'https://github.com./vercel/ms/archive/2.1.3.tar.gz',
  'https://xn--80ak6aa92e.example/ms-2.1.3.tgz',
  'https://GitHub.com/vercel/ms',
  'https://www.github.com/vercel/ms.git',
  'https://gist.github.com/vercel/0123abcd',
  'https://gitlab.com/vercel/ms/-/archive/2.1.3/ms-2.1.3.tar.gz',
  'https://bitbucket.org/vercel/ms/get/2.1.3.tar.gz',
  'https://git.sr.ht/~vercel/ms',
  'https://user:secret@registry.npmjs.org/ms/-/ms-2.1.3.tgz',
  'https://registry.npmjs.org/ms/-/ms 2.1.3.tgz',
  'https://registry.npmjs.org',
];

describe('falls back to Arborist', () => {
  /** The reader declines, and loadTree's reading still is Arborist's. */
  async function assertFallsBack(dir: string, file = lockfileIn(dir)): Promise<TreePackage[] | undefined> {
    assert.equal(await readNpmLockfileTreeDirectly(dir, file, npmjsOnly), undefined, 'not read directly');
    const withArborist = await outcome(readNpmLockfileTreeWithArborist(dir, file, npmjsOnly));
    assert.deepStrictEqual(await outcome(readNpmLockfileTree(dir, file, npmjsOnly)), withArborist);
    return 'packages' in withArborist ? withArborist.packages : undefined;
  }

  const flagsOf = (packages: TreePackage[], path: string) => {
    const found = packages.find((entry) => entry.paths[0] === path);
    return found && { dev: found.dev, optional: found.optional, peer: found.peer };
  };

  it('lockfile v1: no packages map', async () => {
    await assertFallsBack(join(FIXTURES, 'npm-v1'));
  });

  it('links, workspaces and file: folders (entries outside node_modules, link: true)', async () => {
    const dir = await temporaryDir();
    await cp(join(FIXTURES, 'npm-sources'), dir, { recursive: true });
    const packages = await assertFallsBack(dir);
    assert.ok(packages?.some((entry) => entry.unsupportedSource === 'workspace'));
  });

  it('an entry in a dependency\'s bundle (inBundle): Arborist leaves it out', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    lockfile.packages['node_modules/is-odd'].bundleDependencies = ['is-number'];
    lockfile.packages['node_modules/is-odd/node_modules/is-number'].inBundle = true;
    const packages = await assertFallsBack(await project(manifest, lockfile));
    assert.ok(packages && !packages.some((entry) => entry.paths[0] === 'node_modules/is-odd/node_modules/is-number'));
  });

  it('package.json out of sync with the lockfile root: Arborist recalculates every flag, the lockfile\'s would be wrong', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    manifest.dependencies['is-odd'] = manifest.devDependencies['is-odd'];
    delete manifest.devDependencies;
    const packages = await assertFallsBack(await project(manifest, lockfile));
    assert.equal(lockfile.packages['node_modules/is-odd'].dev, true, 'the lockfile still says dev');
    assert.deepEqual(flagsOf(packages!, 'node_modules/is-odd'), { dev: false, optional: false, peer: false });
    assert.deepEqual(flagsOf(packages!, 'node_modules/is-odd/node_modules/is-number'), { dev: false, optional: false, peer: false });
  });

  it('a nested entry whose parent folder has no entry: Arborist gives it no flags, the lockfile says dev', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    delete lockfile.packages['node_modules/is-odd'];
    const packages = await assertFallsBack(await project(manifest, lockfile));
    assert.deepEqual(flagsOf(packages!, 'node_modules/is-odd/node_modules/is-number'), { dev: false, optional: false, peer: false });
  });

  it('yarn.lock beside the lockfile: Arborist fills in a missing resolved from it', async () => {
    const { manifest } = await fixtureFiles('npm-no-resolved');
    const lockfile = await readJson(join(FIXTURES, 'npm-no-resolved', 'package-lock.json'));
    const dir = await project(manifest, lockfile);
    const ms = lockfile.packages['node_modules/ms'];
    await writeFile(join(dir, 'yarn.lock'), `ms@^2.1.3:\n  version "2.1.3"\n  resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz"\n  integrity ${ms.integrity}\n`);
    const packages = await assertFallsBack(dir);
    assert.equal(packages?.find((entry) => entry.name === 'ms')?.resolved, 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz');
  });

  it('npm-shrinkwrap.json beside a package-lock.json Arborist cannot read: its error', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    const dir = await project(manifest, lockfile, 'npm-shrinkwrap.json');
    await mkdir(join(dir, 'package-lock.json'));
    await assert.rejects(readNpmLockfileTree(dir, lockfileIn(dir, 'npm-shrinkwrap.json'), npmjsOnly), /requires existing shrinkwrap/);
    await assertFallsBack(dir, lockfileIn(dir, 'npm-shrinkwrap.json'));
  });

  const ROOT_CASES: [string, (manifest: Json, lockfile: Json) => Json | string | undefined][] = [
    ['no package.json', () => undefined],
    ['a package.json that is not JSON', () => '{ "name": '],
    ['package.json workspaces', (manifest) => ({ ...manifest, workspaces: [] })],
    ['package.json overrides', (manifest) => ({ ...manifest, overrides: { ms: '2.1.3' } })],
    ['package.json bundleDependencies', (manifest) => ({ ...manifest, bundleDependencies: ['ms'] })],
    ['a peerDependenciesMeta only the lockfile root has', (manifest, lockfile) => {
      lockfile.packages[''].peerDependencies = { ms: '^2.1.3' };
      lockfile.packages[''].peerDependenciesMeta = { ms: { optional: true } };
      return { ...manifest, peerDependencies: { ms: '^2.1.3' } };
    }],
    ['workspaces in the lockfile root entry only', (manifest, lockfile) => {
      lockfile.packages[''].workspaces = ['packages/*'];
      return manifest;
    }],
    ['a dependency spec that differs', (manifest) => ({ ...manifest, dependencies: { ...manifest.dependencies, ms: '2.1.3' } })],
    ['dependencies named alike but for case, in both', (manifest, lockfile) => {
      // Arborist keys root edges case-insensitively: MS replaces ms, and the flags are recalculated.
      lockfile.packages[''].devDependencies.MS = '^2.1.3';
      return { ...manifest, devDependencies: { ...manifest.devDependencies, MS: '^2.1.3' } };
    }],
  ];
  for (const [what, edit] of ROOT_CASES) {
    it(`${what}`, async () => {
      const { manifest, lockfile } = await fixtureFiles('npm-v3');
      await assertFallsBack(await project(edit(manifest, lockfile), lockfile));
    });
  }

  const ENTRY_CASES: [string, (packages: Json) => void][] = [
    ['a link entry (a file: folder), with its target', (packages) => {
      packages['vendor/ms'] = { ...packages['node_modules/ms'] };
      packages['node_modules/ms'] = { resolved: 'vendor/ms', link: true };
    }],
    ['an entry outside node_modules', (packages) => void (packages['vendor/x'] = { version: '1.0.0' })],
    ['a git resolved', (packages) => void (packages['node_modules/ms'].resolved = 'git+ssh://git@github.com/vercel/ms.git#0123456789abcdef0123456789abcdef01234567')],
    ['an https URL on a git host', (packages) => void (packages['node_modules/ms'].resolved = 'https://github.com/vercel/ms/archive/2.1.3.tar.gz')],
    ['a file: tarball', (packages) => void (packages['node_modules/ms'].resolved = 'file:vendor/ms-2.1.3.tgz')],
    ['an entry with _resolved', (packages) => void (packages['node_modules/ms']._resolved = 'https://example.com/ms.tgz')],
    ['an entry without a version', (packages) => void delete packages['node_modules/ms'].version],
    ['a location with a dot segment', (packages) => void (packages['node_modules/./ms'] = { ...packages['node_modules/ms'] })],
    ['locations equal but for case', (packages) => void (packages['node_modules/MS'] = { ...packages['node_modules/ms'] })],
    ['a dependency spec that is not a string', (packages) => void (packages['node_modules/ms'].dependencies = { x: 1 })],
  ];
  for (const [what, edit] of ENTRY_CASES) {
    it(`${what}`, async () => {
      const { manifest, lockfile } = await fixtureFiles('npm-v3');
      edit(lockfile.packages);
      await assertFallsBack(await project(manifest, lockfile));
    });
  }

  it('resolved URLs: kept as written where read directly, else Arborist\'s rewriting', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    let readDirectly = 0;
    for (const resolved of TRICKY_URLS) {
      lockfile.packages['node_modules/ms'].resolved = resolved;
      const dir = await project(manifest, lockfile);
      const direct = await readNpmLockfileTreeDirectly(dir, lockfileIn(dir), npmjsOnly);
      const withArborist = await readNpmLockfileTreeWithArborist(dir, lockfileIn(dir), npmjsOnly);
      if (direct) readDirectly++;
      assert.deepStrictEqual(direct ?? withArborist, withArborist, resolved);
      assert.deepStrictEqual(await readNpmLockfileTree(dir, lockfileIn(dir), npmjsOnly), withArborist, resolved);
    }
    // At least the eight registry and remote URLs at the top of the list.
    assert.ok(readDirectly >= 8, `${readDirectly} read directly`);
  });

  it('a __proto__ key (json-source-map and JSON.parse read it differently): indexed and read as before', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    const text = JSON.stringify(lockfile, null, 2).replace('"node_modules/ms": {', '"node_modules/ms": { "__proto__": { "dev": true },');
    assert.equal(parseNpmLockfileText(text).readAsJsonParse, false);
    await assertFallsBack(await project(manifest, text));
  });
});

describe('the direct path never loads Arborist', () => {
  /** Runs loadTree in a fresh node and lists every module it resolved or required from @npmcli/arborist. */
  async function arboristModulesLoaded(dir: string): Promise<{ packages: number; arboristModules: string[] }> {
    const scratch = await temporaryDir();
    const log = join(scratch, 'resolved.log');
    await writeFile(log, '');
    await writeFile(
      join(scratch, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const resolved = await next(specifier, context);\n  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');\n  return resolved;\n}\n`,
    );
    await writeFile(join(scratch, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    await writeFile(
      join(scratch, 'child.mjs'),
      [
        `import { createRequire } from 'node:module';`,
        `const { loadTree } = await import(${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'src', 'tree', 'load-tree.ts')).href)});`,
        `const tree = await loadTree(process.argv[2], { registryFor: () => 'https://registry.npmjs.org/' });`,
        `const required = Object.keys(createRequire(import.meta.url).cache);`,
        `process.stdout.write(JSON.stringify({ packages: tree.packages.length, required }));`,
      ].join('\n'),
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(join(scratch, 'register.mjs')).href, join(scratch, 'child.mjs'), dir], { cwd: REPO_ROOT });
    const { packages, required } = JSON.parse(stdout) as { packages: number; required: string[] };
    const resolved = (await readFile(log, 'utf8')).split('\n');
    return { packages, arboristModules: [...resolved, ...required].filter((module) => module.includes('@npmcli/arborist')) };
  }

  it('reads the bench lockfile with no @npmcli/arborist module resolved or required', async () => {
    const dir = await temporaryDir();
    for (const file of ['package.json', 'package-lock.json']) await cp(join(BENCH, file), join(dir, file));
    // 2,156 entries, 1,804 once merged by name, version and integrity.
    assert.deepEqual(await arboristModulesLoaded(dir), { packages: 1804, arboristModules: [] });
  });

  it('(control) a lockfile v1 does load it, so the check above can fail', async () => {
    const { arboristModules } = await arboristModulesLoaded(join(FIXTURES, 'npm-v1'));
    assert.ok(arboristModules.some((module) => module.startsWith('file:') && module.includes('@npmcli/arborist')), 'resolved through the ESM loader');
    assert.ok(arboristModules.some((module) => module.endsWith(join('@npmcli', 'arborist', 'lib', 'index.js'))), 'required');
  });
});

describe('line numbers without json-source-map', () => {
  async function assertLinesAsSourceMap(dir: string, file: string): Promise<TreePackage[]> {
    const expected = sourceMapLines(await readFile(file, 'utf8'));
    const packages = await readNpmLockfileTreeDirectly(dir, file, npmjsOnly);
    assert.ok(packages);
    for (const entry of packages) assert.deepEqual(entry.location, { file, line: expected(entry.paths[0]!) }, entry.paths[0]);
    return packages;
  }

  it('the lines json-source-map gave, for npm-formatted lockfiles', async () => {
    for (const name of ['npm-v2', 'npm-v3', 'npm-omit']) await assertLinesAsSourceMap(join(FIXTURES, name), lockfileIn(join(FIXTURES, name)));
    const dir = await temporaryDir();
    for (const file of ['package.json', 'package-lock.json']) await cp(join(BENCH, file), join(dir, file));
    assert.equal((await assertLinesAsSourceMap(dir, lockfileIn(dir))).length, 2156);
  });

  it('line 1 for every entry of a minified lockfile', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-omit');
    const dir = await project(manifest, JSON.stringify(lockfile));
    const packages = await assertLinesAsSourceMap(dir, lockfileIn(dir));
    assert.deepEqual(new Set(packages.map((entry) => entry.location?.line)), new Set([1]));
  });

  it('the key\'s own line in a lockfile re-indented with tabs, CRLF, a BOM and escaped keys', async () => {
    const { manifest, lockfile } = await fixtureFiles('npm-v3');
    lockfile.packages['node_modules/ms'].description = 'braces { } [ ], quotes \\" and "keys": inside a string';
    const text = '\uFEFF' + JSON.stringify(lockfile, null, '\t').replace(/\n/g, '\r\n').replace('"node_modules/ms"', '"node_modules\\/m\\u0073"');
    const dir = await project(manifest, text);
    const packages = await assertLinesAsSourceMap(dir, lockfileIn(dir));
    const lines = text.split('\n');
    for (const entry of packages) {
      const keyLine = lines[entry.location!.line - 1]!;
      assert.ok(entry.paths[0] === 'node_modules/ms' ? keyLine.includes('node_modules\\/m\\u0073') : keyLine.includes(`"${entry.paths[0]}"`), keyLine);
    }
  });

  it('random formatting: whitespace, line breaks and escapes anywhere JSON allows them', () => {
    const sample = { lockfileVersion: 3, name: 'x', packages: { '': { dependencies: { a: '1' } }, 'node_modules/a': { version: '1.0.0', note: 'x"{[\\,:]}' }, 'node_modules/@s/b': { version: '2.0.0', list: [1, { deep: [] }] } }, after: { packages: { 'node_modules/not-this': {} } } };
    const whitespace = fc.array(fc.constantFrom(' ', '\t', '\n', '\r\n', '\r'), { maxLength: 3 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.infiniteStream(whitespace), fc.infiniteStream(fc.boolean()), (spaces, escapes) => {
        const text = printJson(sample, () => spaces.next().value as string, () => escapes.next().value as boolean);
        assert.deepStrictEqual(JSON.parse(text), sample);
        const expected = sourceMapLines(text);
        const { packagesKeyLines } = scanLockfileJson(text);
        assert.deepEqual([...packagesKeyLines.keys()], Object.keys(sample.packages));
        for (const [location, line] of packagesKeyLines) assert.equal(line, expected(location), location);
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

/** JSON with `space()` between all tokens and, where `escape()` says, keys written with escapes. */
function printJson(value: unknown, space: () => string, escape: () => boolean): string {
  const print = (item: unknown): string => {
    if (Array.isArray(item)) return `[${space()}${item.map((element) => print(element) + space()).join(`,${space()}`)}]`;
    if (item !== null && typeof item === 'object') {
      const members = Object.entries(item).map(([key, member]) => `${printKey(key)}${space()}:${space()}${print(member)}${space()}`);
      return `{${space()}${members.join(`,${space()}`)}}`;
    }
    return JSON.stringify(item);
  };
  const printKey = (key: string): string => {
    const plain = JSON.stringify(key);
    if (!escape()) return plain;
    return plain.replace(/[/a-z]/g, (char) => (char === '/' ? '\\/' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`));
  };
  return space() + print(value) + space();
}
