/**
 * Acceptance of pnpm-plugin-pkgseal (SPEC section 3, issue 5), end to end against real processes
 * on 127.0.0.1: Verdaccio 6 (logging every request) as the registry, the local Sigstore stack as
 * Fulcio and Rekor, and real pnpm 10.34.9 and 12.21.0 installing from Verdaccio with the plugin
 * built from src/ (scripts/build-pnpm-plugin.mjs), published to Verdaccio and added the supported
 * way, `pnpm add --config pnpm-plugin-pkgseal`.
 *
 * The packages: `@e2e/good` (and its dependency `@e2e/dep`) signed by acme/lib's release workflow,
 * which the policy requires; `@e2e/bad` signed by attacker/fork; `@e2e/unsigned` with no bundle.
 * Each has a postinstall script that writes `ran-postinstall-<name>` into the folder pnpm ran in,
 * and every consumer allows those scripts, so a package that got installed leaves a mark. "Not
 * fetched" is read from Verdaccio's request log: no GET of the tarball while that command ran.
 *
 * What is proved, for each pnpm:
 *  1. the bundle is one file that needs nothing but Node built-ins;
 *  2. the lockfile objects pnpm hands to hooks read as the same packages as pnpm-lock.yaml;
 *  3. a tree that meets the policy installs (and its scripts run);
 *  4. a fresh resolution that pulls @e2e/bad or @e2e/unsigned fails with the report before that
 *     tarball is fetched, also when the package is already in pnpm's store;
 *  5. a frozen-lockfile install and a CI=true install of a lockfile that violates the policy fail
 *     before anything is fetched, and the same command installs it once the policy allows it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import * as esbuild from 'esbuild';
import { parse as parseYaml } from 'yaml';
// @ts-expect-error: a plain ES module script, typed by its use here.
import { buildPnpmPlugin, loadInEmptyFolder, PLUGIN_DIR } from '../scripts/build-pnpm-plugin.mjs';
import { auditDependencyTree } from '../src/cli/audit-run.js';
import { loadPolicy } from '../src/policy/load-policy.js';
import { npmPackageStatement } from '../src/sign/statement.js';
import { loadTree, mergeDuplicates } from '../src/tree/load-tree.js';
import { readPnpmLockfile, readPnpmLockfileObject } from '../src/tree/pnpm-lockfile.js';
import type { TreePackage } from '../src/tree/tree.types.js';
import { startLocalSigstore, type LocalSigstore } from './support/local-sigstore.js';
import { cleanEnv, describeRun, e2ePolicy, githubClaims, type GithubSigner, npmrcFor, type ProcessResult, resolvePnpm, run, storedBundlePath } from './support/publish-fixtures.js';
import { REPO_ROOT } from './support/realdata.js';
import { startVerdaccio, type Verdaccio } from './support/verdaccio.js';

const PNPM_VERSIONS = ['10.34.9', '12.21.0'] as const;
type PnpmVersion = (typeof PNPM_VERSIONS)[number];
const ACME: GithubSigner = { repository: 'acme/lib' };
const ATTACKER: GithubSigner = { repository: 'attacker/fork', ref: 'refs/heads/main' };
const PLUGIN = 'pnpm-plugin-pkgseal';
/** The packages the plugin consumers may run scripts of: all that leave a mark. */
const MARKING = ['@e2e/good', '@e2e/bad', '@e2e/unsigned'];

const scratch = mkdtempSync(join(tmpdir(), 'pkgseal-pnpm-plugin-'));
const STORE = join(scratch, 'bundles');
/** The plugin package as published: hooks/pnpm-plugin's files plus a bundle built here, not in the working tree. */
const PLUGIN_PACKAGE = join(scratch, 'plugin-package');
const TIMEOUT = 120_000;

let verdaccio: Verdaccio;
let sigstore: LocalSigstore;
let bundlePath: string;
const pnpmBin: Partial<Record<PnpmVersion, string>> = {};

before(async () => {
  mkdirSync(STORE, { recursive: true });
  cpSync(PLUGIN_DIR as string, PLUGIN_PACKAGE, { recursive: true, filter: (source) => !/\.(cjs|mjs|tgz)$/.test(source) });
  const env = cleanEnv(scratch);
  const [built, registry, local, ...pnpms] = await Promise.all([
    buildPnpmPlugin({ outDir: PLUGIN_PACKAGE }) as Promise<{ bundle: string }>,
    startVerdaccio({ logLevel: 'http' }),
    startLocalSigstore(),
    ...PNPM_VERSIONS.map((version) => resolvePnpm(version, scratch, env)),
  ]);
  bundlePath = built.bundle;
  verdaccio = registry;
  sigstore = local;
  PNPM_VERSIONS.forEach((version, index) => (pnpmBin[version] = pnpms[index]));
  await publishFixtures();
});

after(async () => {
  await Promise.all([verdaccio?.close(), sigstore?.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Fixtures

interface FixturePackage {
  name: string;
  signer?: GithubSigner;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const FIXTURES: FixturePackage[] = [
  { name: '@e2e/dep', signer: ACME },
  { name: '@e2e/good', signer: ACME, dependencies: { '@e2e/dep': '1.0.0' } },
  { name: '@e2e/bad', signer: ATTACKER },
  { name: '@e2e/unsigned' },
  // Only for the lockfile shapes: a dev tool, an optional package and one with a peer.
  { name: '@e2e/tool', dependencies: { '@e2e/dep': '1.0.0' } },
  { name: '@e2e/opt' },
  { name: '@e2e/with-peer', peerDependencies: { '@e2e/dep': '^1.0.0' } },
];

/** `npm pack` of a folder, as bytes (the tarball is written to scratch, not next to the sources). */
function pack(dir: string): Buffer {
  const destination = mkdtempSync(join(scratch, 'pack-'));
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir, env: cleanEnv(scratch), encoding: 'utf8' })) as [{ filename: string }];
  return readFileSync(join(destination, packed.filename));
}

/** Publishes the plugin and the fixtures to Verdaccio; signs each fixture that has a signer into STORE. */
async function publishFixtures(): Promise<void> {
  const pluginManifest = JSON.parse(readFileSync(join(PLUGIN_PACKAGE, 'package.json'), 'utf8')) as { name: string; version: string };
  await verdaccio.publish(pack(PLUGIN_PACKAGE), pluginManifest);
  const tokens = new Map<GithubSigner, Promise<string>>();
  const tokenOf = (signer: GithubSigner) => tokens.get(signer) ?? tokens.set(signer, sigstore.mintToken(githubClaims(signer))).get(signer)!;
  await Promise.all(
    FIXTURES.map(async (fixture) => {
      const dir = join(scratch, 'src', fixture.name.replace('/', '+'));
      mkdirSync(dir, { recursive: true });
      const id = fixture.name.replace('@e2e/', '');
      const marks = MARKING.includes(fixture.name);
      const manifest = {
        name: fixture.name,
        version: '1.0.0',
        license: 'MIT',
        main: 'index.js',
        ...(fixture.dependencies ? { dependencies: fixture.dependencies } : {}),
        ...(fixture.peerDependencies ? { peerDependencies: fixture.peerDependencies } : {}),
        ...(marks ? { scripts: { postinstall: `node -e "require('fs').writeFileSync(require('path').join(process.env.INIT_CWD, 'ran-postinstall-${id}'), '')"` } } : {}),
      };
      writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      writeFileSync(join(dir, 'index.js'), `module.exports = ${JSON.stringify(id)};\n`);
      const tarball = pack(dir);
      await verdaccio.publish(tarball, manifest);
      if (!fixture.signer) return;
      const sha512 = createHash('sha512').update(tarball).digest();
      const statement = npmPackageStatement({ name: fixture.name, version: '1.0.0', sha512 }, { type: 'https://pkgseal.dev/publish/v1', body: { tool: 'pnpm-plugin test' } });
      const bundle = await sigstore.signStatement(statement, { token: await tokenOf(fixture.signer) });
      const file = storedBundlePath(STORE, fixture.name);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify(bundle));
    }),
  );
}

/** The policy of the acceptance: `@e2e/*` signed by acme/lib's release workflow; `permitting` names packages that need nothing. */
function policy(permitting: string[] = []): object {
  const strict = e2ePolicy(sigstore.trustedRootPath, STORE) as { packages: object[] };
  return { ...strict, packages: [...permitting.map((match) => ({ match, require: 'none' })), ...strict.packages] };
}

interface Consumer {
  dir: string;
  pnpm(args: string[], extraEnv?: Record<string, string>): Promise<ProcessResult & { requests: string[] }>;
  setPolicy(document: object): void;
  ranPostinstall(): string[];
  read(file: string): string;
}

/**
 * A project installing from Verdaccio with pnpm `version`, its own store and metadata cache (so
 * nothing comes from an earlier test unless `store` is shared), allowing the fixtures' scripts.
 */
function consumer(version: PnpmVersion, id: string, options: { store?: string; dependencies?: Record<string, string> } = {}): Consumer {
  const dir = join(scratch, `pnpm${version.split('.')[0]}-${id}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: id, version: '0.0.0', private: true, dependencies: options.dependencies ?? {} }, null, 2)}\n`);
  writeFileSync(join(dir, '.npmrc'), npmrcFor(verdaccio.url));
  const workspace = [
    'minimumReleaseAge: 0',
    `storeDir: ${JSON.stringify(options.store ?? join(dir, '.store'))}`,
    `cacheDir: ${JSON.stringify(join(dir, '.pnpm-cache'))}`,
    'allowBuilds:',
    ...MARKING.map((name) => `  '${name}': true`),
    '',
  ];
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), workspace.join('\n'));
  const env = cleanEnv(join(dir, '.isolation'));
  return {
    dir,
    async pnpm(args, extraEnv = {}) {
      const logged = await settledLog();
      const result = await run(pnpmBin[version]!, args, { cwd: dir, env: { ...env, ...extraEnv }, timeoutMs: TIMEOUT });
      const requests = (await settledLog())
        .slice(logged.length)
        .split('\n')
        .flatMap((line) => /^info <-- \S+ requested '([A-Z]+ [^']+)'/.exec(line)?.[1] ?? [])
        .filter((request) => !request.includes(LOG_MARK));
      return { ...result, requests };
    },
    setPolicy: (document) => writeFileSync(join(dir, 'pkgseal.policy.json'), `${JSON.stringify(document, null, 2)}\n`),
    ranPostinstall: () => readdirSync(dir).filter((file) => file.startsWith('ran-postinstall-')).map((file) => file.slice('ran-postinstall-'.length)).sort(),
    read: (file) => readFileSync(join(dir, file), 'utf8'),
  };
}

const LOG_MARK = '-/pkgseal-test-log-mark-';
let logMarks = 0;

/**
 * Verdaccio's log once every request made so far is in it: Verdaccio logs a request when it
 * arrives, so a request of our own that shows up last comes after all the earlier ones.
 */
async function settledLog(): Promise<string> {
  const mark = `${LOG_MARK}${++logMarks}`;
  // A kept-alive socket Verdaccio has just closed fails the first try.
  for (let attempt = 1; ; attempt++) {
    try {
      await fetch(`${verdaccio.url}${mark}`).then((response) => response.arrayBuffer());
      break;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
  const deadline = Date.now() + 10_000;
  while (!verdaccio.log().includes(mark)) {
    if (Date.now() > deadline) throw new Error(`Verdaccio never logged ${mark}:\n${verdaccio.log().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return verdaccio.log();
}

/** The tarball GETs a command made, by package: `@e2e/bad/-/bad-1.0.0.tgz` → `@e2e/bad`. */
function tarballsFetched(requests: string[]): string[] {
  return requests.flatMap((request) => /^GET \/(.+?)\/-\/[^/]+\.tgz$/.exec(request.replace(/%2f/gi, '/'))?.[1] ?? []).sort();
}

function output(result: ProcessResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

/** Adds the plugin the supported way and checks that pnpm took it from Verdaccio. */
async function withPlugin(project: Consumer): Promise<Consumer> {
  const added = await project.pnpm(['add', '--config', PLUGIN]);
  assert.equal(added.code, 0, describeRun(added));
  assert.deepEqual(tarballsFetched(added.requests), [PLUGIN], `pnpm fetched the plugin from Verdaccio:\n${added.requests.join('\n')}`);
  assert.match(project.read('pnpm-workspace.yaml'), /configDependencies:\n\s+pnpm-plugin-pkgseal: /);
  assert.ok(existsSync(join(project.dir, 'node_modules/.pnpm-config', PLUGIN, 'pnpmfile.cjs')), 'the plugin is installed as a config dependency');
  return project;
}

/**
 * pnpm 12 wraps its error messages at 80 columns (breaking inside URLs) whatever COLUMNS says:
 * text compared without whitespace or its box-drawing margin reads the same from both pnpms.
 */
function squash(text: string): string {
  return text.replace(/[\s│├╰─▶]+/g, '');
}

/** A failed install: non-zero, the pkgseal report's line for `spec` saying `reason`, its summary line, no stack trace. */
function assertStopped(t: TestContext, result: ProcessResult, spec: string, reason: string): void {
  t.diagnostic(`pnpm said:\n${output(result).trim()}`);
  assert.notEqual(result.code, 0, `expected pnpm to fail: ${describeRun(result)}`);
  const printed = squash(output(result));
  const line = squash(`FAIL ${spec} (node_modules/.pnpm/${spec}): `);
  assert.ok(printed.includes(line), `the report names ${spec}: ${describeRun(result)}`);
  assert.ok(printed.slice(printed.indexOf(line)).includes(squash(reason)), `the report says why (${reason}): ${describeRun(result)}`);
  assert.match(printed, /\d+packages:\d+passed,[1-9]\d*violations/, `the report's summary line: ${describeRun(result)}`);
  assert.ok(!/^\s+at .+:\d+:\d+\)?$/m.test(output(result)), `no stack trace: ${describeRun(result)}`);
}

/** The packages of a tree without where they were read from, for comparing lockfile readers. */
function comparable(packages: TreePackage[]): unknown[] {
  return mergeDuplicates(packages).map(({ location: _lineOf, ...rest }) => rest);
}

const registryFor = () => verdaccio.url;

// ---------------------------------------------------------------------------------------------

describe('the pnpm plugin bundle', () => {
  test('requires nothing but Node built-ins (every require, import and require.resolve esbuild finds in pnpmfile.cjs)', async () => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    const found: string[] = [];
    await esbuild.build({
      entryPoints: [bundlePath],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      logLevel: 'silent',
      plugins: [
        {
          name: 'record-every-import',
          setup(build) {
            build.onResolve({ filter: /.*/ }, (args) => {
              if (args.kind === 'entry-point') return undefined;
              found.push(`${args.kind} ${args.path}`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
    assert.ok(found.length > 0, 'esbuild saw the built-ins the bundle requires');
    assert.deepEqual(found.filter((entry) => !builtins.has(entry.split(' ')[1]!)), []);
    assert.deepEqual(readdirSync(PLUGIN_PACKAGE).filter((file) => /\.(c|m)?js$/.test(file)), ['pnpmfile.cjs'], 'one file');
  });

  test('loads with plain node in an empty folder and exports the hooks pnpm 10 and the fetchers pnpm 12 call', () => {
    assert.deepEqual(loadInEmptyFolder(bundlePath), { hooks: ['afterAllResolved', 'fetchers', 'preResolution', 'readPackage'], fetchers: 1 });
  });

  test('the package has pkgseal\'s version, no dependencies, and packs only pnpmfile.cjs, its README and package.json', () => {
    const manifest = JSON.parse(readFileSync(join(PLUGIN_PACKAGE, 'package.json'), 'utf8')) as Record<string, unknown>;
    const pkgseal = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(manifest.name, PLUGIN);
    assert.equal(manifest.version, pkgseal.version);
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies', 'bundledDependencies']) assert.equal(manifest[field], undefined, field);
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: PLUGIN_PACKAGE, env: cleanEnv(scratch), encoding: 'utf8' })) as [{ files: { path: string }[] }];
    assert.deepEqual(packed.files.map((file) => file.path).sort(), ['README.md', 'package.json', 'pnpmfile.cjs']);
  });
});

describe('lockfile objects as pnpm passes them to hooks', () => {
  for (const fixture of ['pnpm-sources', 'pnpm-omit']) {
    test(`reads the file shape (pnpm 11+) of fixtures/tree/${fixture} as readPnpmLockfile reads its text`, () => {
      const file = join(REPO_ROOT, 'fixtures/tree', fixture, 'pnpm-lock.yaml');
      const text = readFileSync(file, 'utf8');
      const documents = text.split(/^---$/m).filter((document) => document.trim() !== '');
      const fromText = readPnpmLockfile(text, file, () => 'https://registry.npmjs.org/');
      assert.ok(fromText.length > 0);
      assert.deepEqual(comparable(readPnpmLockfileObject(parseYaml(documents[documents.length - 1]!), () => 'https://registry.npmjs.org/')), comparable(fromText));
    });
  }

  test('reads pnpm 12\'s "no lockfile yet" ({}) as no packages', () => {
    assert.deepEqual(readPnpmLockfileObject({}, registryFor), []);
  });
});

for (const version of PNPM_VERSIONS) {
  describe(`pnpm ${version} with pnpm-plugin-pkgseal`, { timeout: 240_000 }, () => {
    test('hands hooks lockfile objects that read as the same packages as the pnpm-lock.yaml it writes', { timeout: TIMEOUT }, async () => {
      const project = consumer(version, 'shapes');
      const manifest = JSON.parse(project.read('package.json')) as Record<string, unknown>;
      const shapes = {
        ...manifest,
        dependencies: { '@e2e/good': '^1.0.0', 'dep-alias': 'npm:@e2e/dep@1.0.0', '@e2e/with-peer': '1.0.0' },
        devDependencies: { '@e2e/tool': '1.0.0' },
        optionalDependencies: { '@e2e/opt': '1.0.0' },
      };
      writeFileSync(join(project.dir, 'package.json'), JSON.stringify(shapes));
      // A project pnpmfile that keeps what pnpm passes (no plugin here: shapes only).
      writeFileSync(
        join(project.dir, '.pnpmfile.cjs'),
        `const fs = require('fs'), path = require('path');
module.exports = { hooks: {
  preResolution(context) { if (context.existsNonEmptyWantedLockfile) fs.writeFileSync(path.join(__dirname, 'pre-resolution.json'), JSON.stringify(context.wantedLockfile)); },
  afterAllResolved(lockfile) { fs.writeFileSync(path.join(__dirname, 'after-all-resolved.json'), JSON.stringify(lockfile)); return lockfile; },
} };\n`,
      );
      const resolved = await project.pnpm(['install', '--lockfile-only']);
      assert.equal(resolved.code, 0, describeRun(resolved));
      const again = await project.pnpm(['install', '--lockfile-only']);
      assert.equal(again.code, 0, describeRun(again));

      const lockfile = join(project.dir, 'pnpm-lock.yaml');
      const fromText = comparable(readPnpmLockfile(project.read('pnpm-lock.yaml'), lockfile, registryFor));
      const names = (fromText as TreePackage[]).map((pkg) => `${pkg.name}@${pkg.version}${pkg.dev ? ' dev' : ''}${pkg.optional ? ' optional' : ''}`);
      assert.deepEqual(names, ['@e2e/dep@1.0.0', '@e2e/good@1.0.0', '@e2e/opt@1.0.0 optional', '@e2e/tool@1.0.0 dev', '@e2e/with-peer@1.0.0'], describeRun(resolved));
      for (const dump of ['after-all-resolved.json', 'pre-resolution.json']) {
        assert.ok(existsSync(join(project.dir, dump)), `pnpm called the hook that wrote ${dump}`);
        assert.deepEqual(comparable(readPnpmLockfileObject(JSON.parse(project.read(dump)), registryFor)), fromText, dump);
      }
    });

    let plugged: Promise<Consumer> | undefined;
    /** The main consumer: the plugin, the strict policy, and @e2e/good installed. */
    const main = () => (plugged ??= (async () => {
      const project = await withPlugin(consumer(version, 'main'));
      project.setPolicy(policy());
      return project;
    })());

    test('is installed as a config dependency from Verdaccio with `pnpm add --config`', { timeout: TIMEOUT }, async () => {
      await main();
    });

    test('lets a tree that meets the policy install, scripts and all, and logs the report', { timeout: TIMEOUT }, async () => {
      const project = await main();
      const added = await project.pnpm(['add', '@e2e/good']);
      assert.equal(added.code, 0, describeRun(added));
      assert.match(output(added), /pkgseal: 2 packages: 2 passed, 0 violations/, describeRun(added));
      assert.deepEqual(tarballsFetched(added.requests), ['@e2e/dep', '@e2e/good']);
      assert.deepEqual(project.ranPostinstall(), ['good'], 'the install script ran: a marker proves what was installed');
    });

    for (const [name, reason] of [
      ['@e2e/bad', 'signed by https://github.com/attacker/fork/.github/workflows/release.yml@refs/heads/main, which the policy does not allow'],
      ['@e2e/unsigned', 'no evidence found (tried: dir'],
    ] as const) {
      test(`stops \`pnpm add ${name}\` with the report before its tarball is fetched`, { timeout: TIMEOUT }, async (t) => {
        const project = await main();
        const before = { manifest: project.read('package.json'), lockfile: project.read('pnpm-lock.yaml') };
        const added = await project.pnpm(['add', name]);
        assertStopped(t, added, `${name}@1.0.0`, reason);
        assert.ok(added.requests.some((request) => request.replace(/%2f/i, '/') === `GET /${name}`), `pnpm did ask Verdaccio about ${name}:\n${added.requests.join('\n')}`);
        assert.deepEqual(tarballsFetched(added.requests), [], `no tarball fetched:\n${added.requests.join('\n')}`);
        assert.deepEqual(project.ranPostinstall(), ['good']);
        assert.deepEqual({ manifest: project.read('package.json'), lockfile: project.read('pnpm-lock.yaml') }, before, 'package.json and pnpm-lock.yaml unchanged');
      });
    }

    test('stops a violating package that is already in pnpm\'s store (no download) before its install script runs', { timeout: TIMEOUT }, async (t) => {
      const store = join(scratch, `pnpm${version}-shared-store`);
      const elsewhere = consumer(version, 'store-filler', { store });
      const filled = await elsewhere.pnpm(['add', '@e2e/bad', '--ignore-scripts']);
      assert.equal(filled.code, 0, describeRun(filled));
      const project = await withPlugin(consumer(version, 'store-hit', { store }));
      project.setPolicy(policy());
      const added = await project.pnpm(['add', '@e2e/bad']);
      assertStopped(t, added, '@e2e/bad@1.0.0', 'attacker/fork');
      assert.deepEqual(tarballsFetched(added.requests), []);
      assert.deepEqual(project.ranPostinstall(), []);
      assert.equal(existsSync(join(project.dir, 'node_modules/@e2e/bad')), false, 'not linked');
    });

    test('stops every install while the policy cannot be read, and only reports in "warn" mode', { timeout: TIMEOUT }, async (t) => {
      const project = await withPlugin(consumer(version, 'no-policy'));
      const unguarded = await project.pnpm(['add', '@e2e/good']);
      t.diagnostic(`pnpm said:\n${output(unguarded).trim()}`);
      assert.notEqual(unguarded.code, 0, describeRun(unguarded));
      assert.ok(squash(output(unguarded)).includes(squash('pkgseal.policy.json: cannot read policy: no such file')), describeRun(unguarded));
      assert.deepEqual(tarballsFetched(unguarded.requests), []);

      project.setPolicy({ ...policy(), mode: 'warn' });
      const warned = await project.pnpm(['add', '@e2e/bad']);
      assert.equal(warned.code, 0, describeRun(warned));
      assert.ok(squash(output(warned)).includes(squash('FAIL @e2e/bad@1.0.0')), describeRun(warned));
      assert.ok(squash(output(warned)).includes(squash('(mode: warn, not failing)')), describeRun(warned));
      assert.deepEqual(project.ranPostinstall(), ['bad']);
    });

    let locked: Promise<Consumer> | undefined;
    /** A lockfile with @e2e/good and @e2e/bad, resolved (nothing downloaded) while the policy let @e2e/bad in; then the policy tightened. */
    const lockedWithBad = () => (locked ??= (async () => {
      const project = await withPlugin(consumer(version, 'frozen'));
      project.setPolicy(policy(['@e2e/bad']));
      const resolved = await project.pnpm(['add', '@e2e/good', '@e2e/bad', '--lockfile-only']);
      assert.equal(resolved.code, 0, describeRun(resolved));
      assert.deepEqual(tarballsFetched(resolved.requests), [], '--lockfile-only downloads nothing');
      assert.match(project.read('pnpm-lock.yaml'), /'@e2e\/bad@1\.0\.0':/);
      project.setPolicy(policy());
      return project;
    })());

    for (const [mode, args, extraEnv] of [
      ['pnpm install --frozen-lockfile', ['install', '--frozen-lockfile'], {}],
      ['CI=true pnpm install', ['install'], { CI: 'true' }],
    ] as const) {
      test(`stops \`${mode}\` of a lockfile that violates the policy before anything is fetched`, { timeout: TIMEOUT }, async (t) => {
        const project = await lockedWithBad();
        const installed = await project.pnpm([...args], extraEnv);
        assertStopped(t, installed, '@e2e/bad@1.0.0', 'attacker/fork');
        assert.ok(squash(output(installed)).includes(squash('pkgseal: the lockfile pnpm is about to install has 1 package that violates the policy pkgseal.policy.json')), describeRun(installed));
        assert.deepEqual(tarballsFetched(installed.requests), [], `nothing fetched:\n${installed.requests.join('\n')}`);
        assert.deepEqual(project.ranPostinstall(), []);
        assert.equal(existsSync(join(project.dir, 'node_modules/@e2e')), false, 'nothing linked');
      });
    }

    test('agrees with `pkgseal audit` on that lockfile, and installs it with the same command once the policy allows @e2e/bad', { timeout: TIMEOUT }, async () => {
      const project = await lockedWithBad();
      const tree = await loadTree(project.dir, { registryFor });
      const audit = await auditDependencyTree(tree, await loadPolicy(join(project.dir, 'pkgseal.policy.json')), {
        npmOptions: { registry: verdaccio.url },
        offline: false,
        concurrency: 4,
        cache: false,
        env: cleanEnv(join(project.dir, '.isolation')),
      });
      assert.deepEqual(
        audit.results.filter((result) => result.outcome !== 'pass').map((result) => `${result.name}@${result.version}`),
        ['@e2e/bad@1.0.0'],
      );

      project.setPolicy(policy(['@e2e/bad']));
      const installed = await project.pnpm(['install', '--frozen-lockfile']);
      assert.equal(installed.code, 0, describeRun(installed));
      assert.deepEqual(tarballsFetched(installed.requests), ['@e2e/bad', '@e2e/dep', '@e2e/good'], 'the same install does fetch @e2e/bad when allowed');
      assert.deepEqual(project.ranPostinstall(), ['bad', 'good'], 'and runs its script: what the gate prevented');
    });
  });
}
