/**
 * Loading the dependency tree an audit checks (src/tree/): npm lockfiles v1–v3 and shrinkwrap
 * through Arborist, pnpm lockfile v9, node_modules, `--omit`, unsupported sources, deduplication,
 * lockfile line locations and npm's registry configuration. Fixtures: fixtures/tree/README.md.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

import Arborist from '@npmcli/arborist';

import { loadTree, TreeError } from '../src/tree/load-tree.js';
import { loadNpmConfig, packageOrigin, registryResolverFromNpmConfig } from '../src/tree/npm-registry-config.js';
import type { DependencyTree, OmitKind, TreePackage } from '../src/tree/tree.types.js';

const FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'tree');
const NPMJS = 'https://registry.npmjs.org/';
const CORP = 'https://npm.corp.example/';
const fixture = (name: string): string => join(FIXTURES, name);
const npmjsOnly = (): string => NPMJS;
/** `@sindresorhus` is configured on the corp registry: shows where registryFor is (not) consulted. */
const scopedToCorp = (name: string): string => (name.startsWith('@sindresorhus/') ? CORP : NPMJS);

const temporaryDirs: string[] = [];
after(async () => {
  await Promise.all(temporaryDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function temporaryDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pkgseal-tree-'));
  temporaryDirs.push(dir);
  return dir;
}

async function copyOf(fixtureName: string): Promise<string> {
  const dir = await temporaryDir();
  await cp(fixture(fixtureName), dir, { recursive: true });
  return dir;
}

function ids(tree: DependencyTree): string[] {
  return tree.packages.map((entry) => `${entry.name}@${entry.version}`);
}

function byId(tree: DependencyTree, id: string): TreePackage {
  const found = tree.packages.filter((entry) => `${entry.name}@${entry.version}` === id);
  assert.equal(found.length, 1, `exactly one ${id} in ${ids(tree).join(', ')}`);
  return found[0]!;
}

async function rejectsWithTreeError(load: Promise<unknown>, code: TreeError['code'], message: string | RegExp): Promise<void> {
  await assert.rejects(load, (error: unknown) => {
    assert.ok(error instanceof TreeError, `a TreeError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    return true;
  });
}

const BASIC = ['@sindresorhus/is@4.6.0', 'is-number@6.0.0', 'is-number@7.0.0', 'is-odd@3.0.1', 'ms@2.1.3'];

describe('npm lockfiles (Arborist loadVirtual)', () => {
  for (const version of [1, 2, 3]) {
    it(`reads lockfile v${version} written by npm: names, versions, integrity, resolved, registry, paths, dev`, async () => {
      const tree = await loadTree(fixture(`npm-v${version}`), { registryFor: npmjsOnly });
      assert.equal(tree.kind, 'npm-lockfile');
      assert.equal(tree.root, fixture(`npm-v${version}`));
      assert.equal(tree.source, join(fixture(`npm-v${version}`), 'package-lock.json'));
      assert.deepEqual(ids(tree), BASIC);
      for (const entry of tree.packages) {
        assert.match(entry.integrity ?? '', /^sha512-/);
        assert.equal(entry.resolved, `${NPMJS}${entry.name}/-/${entry.name.replace(/^@[^/]+\//, '')}-${entry.version}.tgz`);
        assert.equal(entry.registry, NPMJS);
        assert.equal(entry.unsupportedSource, undefined);
      }
      assert.deepEqual(byId(tree, 'is-number@6.0.0').paths, ['node_modules/is-odd/node_modules/is-number']);
      assert.deepEqual(
        tree.packages.filter((entry) => entry.dev).map((entry) => entry.name),
        ['is-number', 'is-odd'],
      );
    });
  }

  it('rejects a lockfileVersion it does not know, naming the file', async () => {
    const dir = await copyOf('npm-v3');
    const lockfile = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8'));
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ ...lockfile, lockfileVersion: 4 }));
    await rejectsWithTreeError(loadTree(dir, { registryFor: npmjsOnly }), 'BAD_LOCKFILE', `${join(dir, 'package-lock.json')}: lockfileVersion 4 is not supported (need 1, 2 or 3)`);
  });

  it('prefers npm-shrinkwrap.json over package-lock.json and pnpm-lock.yaml (both unparseable there)', async () => {
    const tree = await loadTree(fixture('npm-shrinkwrap'), { registryFor: npmjsOnly });
    assert.equal(tree.kind, 'npm-shrinkwrap');
    assert.equal(tree.source, join(fixture('npm-shrinkwrap'), 'npm-shrinkwrap.json'));
    assert.deepEqual(ids(tree), BASIC);
    assert.match(byId(tree, 'ms@2.1.3').location?.file ?? '', /npm-shrinkwrap\.json$/);
  });

  it('prefers package-lock.json over pnpm-lock.yaml', async () => {
    const dir = await copyOf('npm-v3');
    await cp(join(fixture('pnpm-omit'), 'pnpm-lock.yaml'), join(dir, 'pnpm-lock.yaml'));
    const tree = await loadTree(dir, { registryFor: npmjsOnly });
    assert.equal(tree.kind, 'npm-lockfile');
    assert.deepEqual(ids(tree), BASIC);
  });

  it('fails with the folder when there is no lockfile at all', async () => {
    const dir = await temporaryDir();
    await writeFile(join(dir, 'package.json'), '{"name":"empty","version":"1.0.0"}');
    await rejectsWithTreeError(loadTree(dir, { registryFor: npmjsOnly }), 'NO_LOCKFILE', `${dir}: no package-lock.json, npm-shrinkwrap.json or pnpm-lock.yaml`);
  });
});

describe('--omit', () => {
  const OMIT_SETS: OmitKind[][] = [[], ['dev'], ['optional'], ['peer'], ['dev', 'optional'], ['dev', 'optional', 'peer']];

  /** What npm itself would keep: Arborist's Node#shouldOmit over the same virtual tree. */
  async function keptByArborist(dir: string, omit: OmitKind[]): Promise<string[]> {
    const tree = await new Arborist({ path: dir }).loadVirtual();
    const omitSet = new Set(omit);
    const kept = new Set<string>();
    for (const node of tree.inventory.values()) {
      const shouldOmit = (node as unknown as { shouldOmit(omit: Set<string>): boolean }).shouldOmit(omitSet);
      if (!node.isProjectRoot && !shouldOmit) kept.add(`${node.packageName}@${node.version}`);
    }
    return [...kept].sort();
  }

  for (const omit of OMIT_SETS) {
    it(`keeps what npm keeps with --omit=${omit.join(',') || '(nothing)'}, from package-lock.json and from pnpm-lock.yaml`, async () => {
      const expected = await keptByArborist(fixture('npm-omit'), omit);
      const fromNpm = await loadTree(fixture('npm-omit'), { registryFor: npmjsOnly, omit });
      const fromPnpm = await loadTree(fixture('pnpm-omit'), { registryFor: npmjsOnly, omit });
      assert.deepEqual(ids(fromNpm).sort(), expected);
      assert.deepEqual(ids(fromPnpm).sort(), expected);
    });
  }

  it('drops a devOptional package only when both dev and optional are omitted; dev+optional goes with either', async () => {
    const kept = async (omit: OmitKind[]) => ids(await loadTree(fixture('npm-omit'), { registryFor: npmjsOnly, omit }));
    const tree = await loadTree(fixture('npm-omit'), { registryFor: npmjsOnly });
    assert.deepEqual(
      ['kind-of@3.2.2', 'is-buffer@1.1.6'].map((id) => ({ ...byId(tree, id) }).devOptional),
      [true, true],
    );
    assert.ok(byId(tree, '@esbuild/linux-x64@0.25.0').dev && byId(tree, '@esbuild/linux-x64@0.25.0').optional);
    assert.ok((await kept(['dev'])).includes('kind-of@3.2.2'));
    assert.ok((await kept(['optional'])).includes('kind-of@3.2.2'));
    assert.ok(!(await kept(['dev', 'optional'])).includes('kind-of@3.2.2'));
    assert.ok(!(await kept(['dev'])).includes('@esbuild/linux-x64@0.25.0'));
    assert.ok(!(await kept(['optional'])).includes('@esbuild/linux-x64@0.25.0'));
    assert.ok(!(await kept(['peer'])).includes('redux@5.0.1'));
    assert.ok((await kept(['dev', 'optional'])).includes('redux@5.0.1'));
  });

  it('classifies pnpm packages as npm does (dev, optional, devOptional, peer)', async () => {
    const flags = (tree: DependencyTree) => tree.packages.map((entry) => [`${entry.name}@${entry.version}`, entry.dev, entry.optional, entry.devOptional, entry.peer]);
    assert.deepEqual(flags(await loadTree(fixture('pnpm-omit'), { registryFor: npmjsOnly })), flags(await loadTree(fixture('npm-omit'), { registryFor: npmjsOnly })));
  });
});

describe('unsupported sources and registries', () => {
  it('reports npm workspaces, links, file tarballs, git and remote tarballs; another registry is a registry', async () => {
    const tree = await loadTree(fixture('npm-sources'), { registryFor: npmjsOnly });
    const sources = Object.fromEntries(tree.packages.map((entry) => [`${entry.name}@${entry.version}`, entry.unsupportedSource ?? entry.registry]));
    assert.deepEqual(sources, {
      '@corp/x@1.0.0': CORP,
      '@exp/a@0.1.0': 'workspace',
      '@exp/b@0.2.0': 'workspace',
      'git-dep@1.0.0': 'git',
      'is-number@7.0.0': NPMJS,
      'local-dir@1.0.0': 'link',
      'local-tgz@1.0.0': 'file',
      'ms@2.1.2': NPMJS,
      'ms@2.1.3': NPMJS,
      'redux@5.0.1': NPMJS,
      'redux-thunk@3.1.0': NPMJS,
      'remote-dep@1.0.0': 'remote',
    });
    // The workspace folders themselves are not packages of the tree.
    assert.ok(!tree.packages.some((entry) => entry.paths.some((path) => path === 'packages/a' || path === 'local-dir')));
  });

  it('reports a git dependency in a lockfile v1 (version holds the git URL)', async () => {
    const dir = await copyOf('npm-v1');
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    manifest.dependencies['git-dep'] = 'github:example/git-dep';
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    const lockfile = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8'));
    lockfile.dependencies['git-dep'] = { version: `git+ssh://git@github.com/example/git-dep.git#${commit}`, from: 'git-dep@github:example/git-dep' };
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2));
    const tree = await loadTree(dir, { registryFor: npmjsOnly });
    const gitDep = tree.packages.find((entry) => entry.name === 'git-dep');
    assert.equal(gitDep?.unsupportedSource, 'git');
    assert.equal(gitDep?.resolved, `git+ssh://git@github.com/example/git-dep.git#${commit}`);
  });

  it('reports pnpm workspaces, links, directories, file tarballs, git (both shapes) and remote tarballs', async () => {
    const tree = await loadTree(fixture('pnpm-sources'), { registryFor: npmjsOnly });
    const sources = Object.fromEntries(tree.packages.map((entry) => [`${entry.name}@${entry.version}`, entry.unsupportedSource ?? entry.registry]));
    assert.deepEqual(sources, {
      '@corp/x@1.0.0': CORP,
      '@exp/lib@link:packages/lib': 'workspace',
      'git-dep@1.0.0': 'git',
      'hosted-dep@2.0.0': 'git',
      'is-number@7.0.0': NPMJS,
      'linked-dir@link:linked-dir': 'link',
      'local-dir@file:local-dir': 'directory',
      'local-tgz@1.0.0': 'file',
      'ms@2.1.3': NPMJS,
      'redux@5.0.0': NPMJS,
      'redux@5.0.1': NPMJS,
      'redux-thunk@3.1.0': NPMJS,
      'remote-dep@1.0.0': 'remote',
    });
    assert.deepEqual(byId(tree, '@exp/lib@link:packages/lib').paths, ['packages/app/node_modules/@exp/lib']);
    // ms is a dev dependency of packages/lib but a production dependency of the root.
    assert.equal(byId(tree, 'ms@2.1.3').dev, false);
  });

  it('reports a link: dependency of a pnpm package (an override) with that package\'s flags', async () => {
    const dir = await temporaryDir();
    await writeFile(
      join(dir, 'pnpm-lock.yaml'),
      "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    devDependencies:\n      a:\n        specifier: 1.0.0\n        version: 1.0.0\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  a@1.0.0:\n    dependencies:\n      b: link:vendor/b\n",
    );
    const tree = await loadTree(dir, { registryFor: npmjsOnly });
    assert.deepEqual(
      tree.packages.map((entry) => [entry.name, entry.version, entry.unsupportedSource, entry.dev, entry.paths]),
      [
        ['a', '1.0.0', undefined, true, ['node_modules/.pnpm/a@1.0.0']],
        ['b', 'link:vendor/b', 'link', true, ['node_modules/.pnpm/a@1.0.0/node_modules/b']],
      ],
    );
    assert.deepEqual(ids(await loadTree(dir, { registryFor: npmjsOnly, omit: ['dev'] })), []);
  });

  it('derives the registry from a registry tarball URL and calls anything else not from a registry', () => {
    assert.deepEqual(packageOrigin('@corp/x', 'https://npm.corp.example/repo/npm/@corp/x/-/x-1.0.0.tgz', npmjsOnly), { registry: 'https://npm.corp.example/repo/npm/' });
    assert.deepEqual(packageOrigin('@corp/x', 'https://npm.corp.example/@corp%2fx/-/x-1.0.0.tgz', npmjsOnly), { registry: CORP });
    assert.deepEqual(packageOrigin('ms', undefined, scopedToCorp), { registry: NPMJS });
    // A tarball under another package's name is not this package's registry tarball.
    assert.equal(packageOrigin('ms', 'https://registry.npmjs.org/evil/-/evil-1.0.0.tgz', npmjsOnly).unsupportedSource, 'remote');
    assert.equal(packageOrigin('ms', 'https://example.com/ms-2.1.3.tgz', npmjsOnly).unsupportedSource, 'remote');
    assert.equal(packageOrigin('x', 'github:user/x#abc', npmjsOnly).unsupportedSource, 'git');
    assert.equal(packageOrigin('x', 'user/x#abc', npmjsOnly).unsupportedSource, 'git');
    assert.equal(packageOrigin('x', 'git://example.com/x.git', npmjsOnly).unsupportedSource, 'git');
    assert.equal(packageOrigin('x', 'https://codeload.github.com/user/x/tar.gz/abc', npmjsOnly).unsupportedSource, 'git');
    assert.equal(packageOrigin('x', 'file:/project/vendor/x-1.0.0.tgz', npmjsOnly).unsupportedSource, 'file');
    assert.equal(packageOrigin('x', 'file:/project/vendor/x', npmjsOnly).unsupportedSource, 'directory');
  });

  it('takes the registry from registryFor when the lockfile has no resolved (omit-lockfile-registry-resolved)', async () => {
    const tree = await loadTree(fixture('npm-no-resolved'), { registryFor: scopedToCorp });
    assert.deepEqual(ids(tree), BASIC);
    assert.ok(tree.packages.every((entry) => entry.resolved === undefined && entry.integrity?.startsWith('sha512-')));
    assert.equal(byId(tree, '@sindresorhus/is@4.6.0').registry, CORP);
    assert.equal(byId(tree, 'ms@2.1.3').registry, NPMJS);
  });

  it('does not take the registry from registryFor when resolved names one', async () => {
    const tree = await loadTree(fixture('npm-v3'), { registryFor: scopedToCorp });
    assert.equal(byId(tree, '@sindresorhus/is@4.6.0').registry, NPMJS);
  });

  it('takes a pnpm registry from the tarball when there is one, else from registryFor', async () => {
    const sources = await loadTree(fixture('pnpm-sources'), { registryFor: () => 'https://mirror.example/' });
    assert.equal(byId(sources, '@corp/x@1.0.0').registry, CORP);
    assert.equal(byId(sources, 'ms@2.1.3').registry, 'https://mirror.example/');
    const omit = await loadTree(fixture('pnpm-omit'), { registryFor: scopedToCorp });
    assert.equal(byId(omit, '@sindresorhus/is@4.6.0').registry, CORP);
    assert.equal(byId(omit, '@sindresorhus/is@4.6.0').resolved, undefined);
  });
});

describe('deduplication', () => {
  it('keeps one package per name, version and integrity with every path; prod at one path is prod', async () => {
    const tree = await loadTree(fixture('npm-sources'), { registryFor: npmjsOnly });
    const ms212 = byId(tree, 'ms@2.1.2');
    assert.deepEqual(ms212.paths, ['packages/a/node_modules/ms', 'packages/b/node_modules/ms']);
    // packages/a needs it as a devDependency, packages/b in production.
    assert.equal(ms212.dev, false);
    assert.deepEqual(byId(tree, 'ms@2.1.3').paths, ['node_modules/ms']);
  });

  it('merges pnpm snapshots that differ only by their peers', async () => {
    const tree = await loadTree(fixture('pnpm-sources'), { registryFor: npmjsOnly });
    assert.deepEqual(byId(tree, 'redux-thunk@3.1.0').paths, ['node_modules/.pnpm/redux-thunk@3.1.0(redux@5.0.0)', 'node_modules/.pnpm/redux-thunk@3.1.0(redux@5.0.1)']);
    assert.equal(tree.packages.filter((entry) => entry.name === 'redux').length, 2);
  });
});

describe('line locations', () => {
  async function linesOf(file: string): Promise<string[]> {
    return (await readFile(file, 'utf8')).split('\n');
  }

  for (const version of [2, 3]) {
    it(`points at the "node_modules/…": { line of each entry in lockfile v${version}`, async () => {
      const tree = await loadTree(fixture(`npm-v${version}`), { registryFor: npmjsOnly });
      const lines = await linesOf(tree.source);
      for (const entry of tree.packages) {
        assert.equal(entry.location?.file, tree.source);
        assert.equal(lines[entry.location!.line - 1], `    "${entry.paths[0]}": {`, `${entry.name}@${entry.version}`);
      }
    });
  }

  it('points at the nested entry of lockfile v1, not at a same-named entry elsewhere', async () => {
    const tree = await loadTree(fixture('npm-v1'), { registryFor: npmjsOnly });
    const lines = await linesOf(tree.source);
    const nested = byId(tree, 'is-number@6.0.0');
    const top = byId(tree, 'is-number@7.0.0');
    assert.notEqual(nested.location?.line, top.location?.line);
    for (const entry of [nested, top]) {
      assert.match(lines[entry.location!.line - 1] ?? '', /^\s+"is-number": \{$/);
      assert.match(lines[entry.location!.line] ?? '', new RegExp(`"version": "${entry.version}"`));
    }
  });

  it('points at the packages: key of each pnpm package, and at the importer key of a link', async () => {
    const tree = await loadTree(fixture('pnpm-sources'), { registryFor: npmjsOnly });
    const lines = await linesOf(tree.source);
    for (const entry of tree.packages) {
      const line = lines[entry.location!.line - 1] ?? '';
      if (entry.version.startsWith('link:')) assert.match(line, new RegExp(`^\\s+'?${entry.name}'?:$`));
      else assert.match(line, new RegExp(`^  '?${entry.name}@`), `${entry.name}@${entry.version}: ${line}`);
    }
    assert.equal(lines[byId(tree, 'redux-thunk@3.1.0').location!.line - 1], '  redux-thunk@3.1.0:');
  });
});

describe('malformed lockfiles', () => {
  async function withLockfile(name: string, text: string): Promise<string> {
    const dir = await temporaryDir();
    await writeFile(join(dir, 'package.json'), '{"name":"broken","version":"1.0.0"}');
    await writeFile(join(dir, name), text);
    return dir;
  }

  const NPM_CASES: [string, string, RegExp][] = [
    ['truncated JSON', '{ "lockfileVersion": 3, "packages": {\n', /package-lock\.json: invalid JSON: Unexpected end of JSON input$/],
    ['a stray comma', '{ "lockfileVersion": 3,\n  "packages": {},\n}', /package-lock\.json: invalid JSON: .* at line 3 column 1$/],
    ['an array', '[]', /package-lock\.json: not an npm lockfile \(expected a JSON object\)$/],
    ['packages not an object', '{"lockfileVersion":3,"packages":5}', /package-lock\.json: packages: expected an object$/],
    ['an entry not an object', '{"lockfileVersion":3,"packages":{"":{},"node_modules/a":"oops"}}', /package-lock\.json: packages\["node_modules\/a"\]: expected an object$/],
    ['a v1 entry with a numeric version', '{"lockfileVersion":1,"dependencies":{"a":{"version":1}}}', /package-lock\.json: dependencies\["a"\]\.version: expected a string$/],
  ];
  for (const [what, text, message] of NPM_CASES) {
    it(`rejects package-lock.json with ${what}`, async () => {
      const dir = await withLockfile('package-lock.json', text);
      await rejectsWithTreeError(loadTree(dir, { registryFor: npmjsOnly }), 'BAD_LOCKFILE', message);
    });
  }

  const PNPM_CASES: [string, string, RegExp][] = [
    ['YAML that does not parse', "lockfileVersion: '9.0'\nimporters: [\n", /pnpm-lock\.yaml: .+ at line \d+, column \d+/],
    ['lockfileVersion 6.0', "lockfileVersion: '6.0'\nimporters: {}\n", /pnpm-lock\.yaml: lockfileVersion 6\.0 is not supported \(need 9\.x\)$/],
    ['no lockfileVersion', 'importers: {}\n', /pnpm-lock\.yaml: lockfileVersion undefined is not supported \(need 9\.x\)$/],
    ['a snapshot without its package', "lockfileVersion: '9.0'\nimporters:\n  .: {}\nsnapshots:\n  a@1.0.0: {}\n", /pnpm-lock\.yaml: snapshots\["a@1\.0\.0"\]: no packages\["a@1\.0\.0"\] entry$/],
    [
      'a registry package without integrity',
      "lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  a@1.0.0:\n    resolution: {}\nsnapshots:\n  a@1.0.0: {}\n",
      /pnpm-lock\.yaml: packages\["a@1\.0\.0"\]\.resolution: no integrity$/,
    ],
    [
      'a dependency that is not in snapshots',
      "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\n",
      /pnpm-lock\.yaml: importers: a@1\.0\.0 is not in snapshots$/,
    ],
  ];
  for (const [what, text, message] of PNPM_CASES) {
    it(`rejects pnpm-lock.yaml with ${what}`, async () => {
      const dir = await withLockfile('pnpm-lock.yaml', text);
      await rejectsWithTreeError(loadTree(dir, { registryFor: npmjsOnly }), 'BAD_LOCKFILE', message);
    });
  }

  it('reads the project document of a pnpm 11+ lockfile that starts with an env document', async () => {
    const dir = await copyOf('pnpm-omit');
    const main = await readFile(join(dir, 'pnpm-lock.yaml'), 'utf8');
    const env = "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    packageManagerDependencies:\n      pnpm:\n        specifier: 12.0.0\n        version: 12.0.0\n\npackages:\n\n  pnpm@12.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  pnpm@12.0.0: {}\n\n---\n";
    await writeFile(join(dir, 'pnpm-lock.yaml'), env + main);
    const tree = await loadTree(dir, { registryFor: npmjsOnly });
    assert.deepEqual(ids(tree), ids(await loadTree(fixture('pnpm-omit'), { registryFor: npmjsOnly })));
    assert.equal(byId(tree, 'ms@2.1.3').location?.line, byId(await loadTree(fixture('pnpm-omit'), { registryFor: npmjsOnly }), 'ms@2.1.3').location!.line + env.split('\n').length - 1);
  });
});

describe('installed: node_modules', () => {
  it('reads what `npm ci --ignore-scripts` installed (Arborist loadActual), running no script', { timeout: 180_000 }, async () => {
    const dir = await copyOf('npm-v3');
    const marker = join(dir, 'script-ran');
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    manifest.scripts = { preinstall: `node -e "require('fs').writeFileSync('${marker}', '')"`, prepare: `node -e "require('fs').writeFileSync('${marker}', '')"` };
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    await promisify(execFile)('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeout: 170_000 });

    const installed = await loadTree(dir, { registryFor: npmjsOnly, installed: true });
    assert.equal(installed.kind, 'node_modules');
    assert.equal(installed.source, join(dir, 'node_modules'));
    const locked = await loadTree(dir, { registryFor: npmjsOnly });
    assert.deepEqual(ids(installed), ids(locked));
    assert.deepEqual(
      installed.packages.map((entry) => [entry.integrity, entry.paths, entry.dev]),
      locked.packages.map((entry) => [entry.integrity, entry.paths, entry.dev]),
    );
    assert.ok(installed.packages.every((entry) => entry.location === undefined));
    assert.ok(!(await readFile(marker).then(() => true, () => false)), 'no lifecycle script ran');
    assert.deepEqual(ids(await loadTree(dir, { registryFor: npmjsOnly, installed: true, omit: ['dev'] })), ['@sindresorhus/is@4.6.0', 'is-number@7.0.0', 'ms@2.1.3']);
  });

  it('reads pnpm node_modules from the lockfile pnpm keeps there (node_modules/.pnpm/lock.yaml)', async () => {
    const dir = await copyOf('pnpm-omit');
    await mkdir(join(dir, 'node_modules', '.pnpm'), { recursive: true });
    await cp(join(dir, 'pnpm-lock.yaml'), join(dir, 'node_modules', '.pnpm', 'lock.yaml'));
    await rm(join(dir, 'pnpm-lock.yaml'));
    const tree = await loadTree(dir, { registryFor: npmjsOnly, installed: true });
    assert.equal(tree.kind, 'node_modules');
    assert.deepEqual(ids(tree), ids(await loadTree(fixture('pnpm-omit'), { registryFor: npmjsOnly })));
  });

  it('fails when there is no node_modules', async () => {
    const dir = await copyOf('npm-v3');
    await rejectsWithTreeError(loadTree(dir, { registryFor: npmjsOnly, installed: true }), 'NO_NODE_MODULES', new RegExp(`^${join(dir, 'node_modules')}: not found`));
  });
});

describe('registryResolverFromNpmConfig', () => {
  /** A project and a home folder of its own, so this machine's npm config does not leak in. */
  async function isolated(projectNpmrc: string, userNpmrc = ''): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
    const dir = await temporaryDir();
    const home = join(dir, 'home');
    const project = join(dir, 'project');
    await mkdir(home);
    await mkdir(project);
    await writeFile(join(project, 'package.json'), '{"name":"project","version":"1.0.0"}');
    if (projectNpmrc) await writeFile(join(project, '.npmrc'), projectNpmrc);
    if (userNpmrc) await writeFile(join(home, '.npmrc'), userNpmrc);
    return { dir: project, env: { HOME: home, PREFIX: join(dir, 'prefix'), PATH: process.env.PATH } };
  }

  it('defaults to the public npm registry', async () => {
    const { dir, env } = await isolated('');
    const registryFor = await registryResolverFromNpmConfig(dir, env);
    assert.equal(registryFor('ms'), NPMJS);
    assert.equal(registryFor('@corp/x'), NPMJS);
  });

  it('honours the project .npmrc (registry and @scope:registry) and the user ~/.npmrc, with trailing slashes', async () => {
    const { dir, env } = await isolated('registry=https://mirror.example/npm\n@corp:registry=https://npm.corp.example/repo/\n', '@user:registry=https://user.example\n@corp:registry=https://user-corp.example/\n');
    const before = { ...env };
    const registryFor = await registryResolverFromNpmConfig(dir, env);
    assert.equal(registryFor('ms'), 'https://mirror.example/npm/');
    assert.equal(registryFor('@corp/x'), 'https://npm.corp.example/repo/');
    assert.equal(registryFor('@user/y'), 'https://user.example/');
    assert.equal(registryFor('@other/z'), 'https://mirror.example/npm/');
    assert.deepEqual(env, before, 'the env passed in is not changed');
  });

  it('lets npm_config_* in the environment override .npmrc', async () => {
    const { dir, env } = await isolated('registry=https://mirror.example/\n@corp:registry=https://npm.corp.example/\n');
    const registryFor = await registryResolverFromNpmConfig(dir, { ...env, npm_config_registry: 'https://env.example/', 'npm_config_@corp:registry': 'https://env-corp.example' });
    assert.equal(registryFor('ms'), 'https://env.example/');
    assert.equal(registryFor('@corp/x'), 'https://env-corp.example/');
  });

  it('exposes npm\'s flat options with per-registry auth, ${VAR} expanded from the environment', async () => {
    const { dir, env } = await isolated('@corp:registry=https://npm.corp.example/\n//npm.corp.example/:_authToken=${CORP_TOKEN}\n');
    const config = await loadNpmConfig(dir, { ...env, CORP_TOKEN: 'token-from-env' });
    assert.equal(config.flat['//npm.corp.example/:_authToken'], 'token-from-env');
    assert.equal(config.flat['@corp:registry'], CORP);
    assert.equal(config.registryFor('@corp/x'), CORP);
  });

  it('feeds loadTree: a scoped registry from .npmrc applies to a lockfile without resolved', async () => {
    const { dir, env } = await isolated('@sindresorhus:registry=https://npm.corp.example/\n');
    await cp(fixture('npm-no-resolved'), dir, { recursive: true });
    const tree = await loadTree(dir, { registryFor: await registryResolverFromNpmConfig(dir, env) });
    assert.equal(byId(tree, '@sindresorhus/is@4.6.0').registry, CORP);
    assert.equal(byId(tree, 'ms@2.1.3').registry, NPMJS);
  });
});
