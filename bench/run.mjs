#!/usr/bin/env node
// pkgseal audit vs pnpm audit signatures vs npm audit signatures, on a real tree of ~1,800 packages
// served by a local registry (bench/server.mjs) with registry signatures and Sigstore bundles made
// by bench/prepare.mjs. See bench/README.md.
//
// Usage: node bench/run.mjs [--runs N] [--json] [--sizes 250,500,1000,1500] [--profile] [--only a,b]
//   --runs N      repetitions of each measured command (default 5); median, min and max are shown
//   --json        print one JSON document instead of the tables
//   --profile     also run pkgseal once per audit kind under --cpu-prof and list the top costs
//   --only KINDS  comma-separated subset of: version,small,pnpm,npm,registry,signed,linear,floor
//   --save FILE   also write the JSON report to FILE;  --keep  keep the scratch folder (and profiles)
// Needs a built pkgseal (`npm run build`); builds bench/.cache with prepare.mjs when missing.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_DIR, BENCH_OWNER, CACHE, GITHUB_ISSUER, RELEASE_WORKFLOW, REPO_ROOT, WORKLOAD_DIR,
  lockEntryName, readWorkload, repositoryOf, splitSpec,
} from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    sizes: { type: 'string', default: '250,500,1000,1500' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    save: { type: 'string' },
  },
});
const RUNS = Math.max(1, Number(args.runs));
const SIZES = args.sizes.split(',').map(Number).filter((n) => n > 0);
const ONLY = args.only ? new Set(args.only.split(',')) : undefined;
const wants = (kind) => !ONLY || ONLY.has(kind);
const TIME = '/usr/bin/time';
/** Leaf certificate by its CA, SCT, DSSE signature, Rekor SET, signed checkpoint. */
const ECDSA_VERIFIES_PER_BUNDLE = 5;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

if (!existsSync(join(REPO_ROOT, 'dist/cli/main.js'))) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
if (!existsSync(TIME)) throw new Error('GNU time (/usr/bin/time) is needed for CPU and peak memory');

// 1. Inputs ------------------------------------------------------------------------------------
const workload = readWorkload();
const metaFresh = existsSync(CACHE.meta) && JSON.parse(readFileSync(CACHE.meta, 'utf8')).workloadDigest === workload.digest;
if (!metaFresh) {
  log('bench/.cache is missing or stale: running bench/prepare.mjs (fetches the packuments once, signs everything)');
  const prepared = spawnSync(process.execPath, [join(BENCH_DIR, 'prepare.mjs'), '--force'], { stdio: 'inherit' });
  if (prepared.status !== 0) throw new Error('bench/prepare.mjs failed');
}
const meta = JSON.parse(readFileSync(CACHE.meta, 'utf8'));
const PNPM = join(CACHE.tools, 'node_modules', '.bin', 'pnpm');

const work = mkdtempSync(join(os.tmpdir(), 'pkgseal-bench-'));
// Every run uses a snapshot of dist/ taken now, so a rebuild of the work tree during the benchmark
// (npm run build empties dist/ first) changes nothing; dependencies resolve through a symlink.
const snapshot = join(work, 'pkgseal');
cpSync(join(REPO_ROOT, 'dist'), join(snapshot, 'dist'), { recursive: true });
for (const file of ['package.json', 'policy.schema.json']) cpSync(join(REPO_ROOT, file), join(snapshot, file));
symlinkSync(join(REPO_ROOT, 'node_modules'), join(snapshot, 'node_modules'), 'dir');
const PKGSEAL = join(snapshot, 'dist/cli/main.js');
const server = await startServerProcess();
const REGISTRY = server.url;
log(`registry ${REGISTRY} (${server.line}); scratch ${work}`);

/** Child environment: nothing inherited from `npm run` (npm_config_* would override .npmrc), no colour, no progress. */
function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|NPM_CONFIG_|PNPM_|PKGSEAL_|NODE_OPTIONS$)/i.test(key)) env[key] = value;
  }
  return {
    ...env,
    CI: 'true',
    NO_COLOR: '1',
    npm_config_registry: REGISTRY,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    PKGSEAL_CACHE_SECRET: 'pkgseal-bench',
    XDG_CONFIG_HOME: join(work, 'xdg-config'),
    ...extra,
  };
}

// Project folders: the full tree for npm (installed), pnpm and pkgseal, and prefix subsets.
function project(name, files) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.npmrc'), `registry=${REGISTRY}\n`);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}
const packageJsonText = readFileSync(join(WORKLOAD_DIR, 'package.json'), 'utf8');
const npmProject = project('npm-lockfile', { 'package.json': packageJsonText, 'package-lock.json': readFileSync(join(WORKLOAD_DIR, 'package-lock.json'), 'utf8') });
const pnpmProject = project('pnpm-lockfile', { 'package.json': packageJsonText, 'pnpm-lock.yaml': readFileSync(join(WORKLOAD_DIR, 'pnpm-lock.yaml'), 'utf8') });

/** A valid v3 lockfile made of the shortest prefix of the packages map with `size` distinct name@version. */
function subsetProject(size) {
  const lock = workload.npmLock;
  const seen = new Set();
  const packages = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    if (seen.size >= size) break;
    packages[path] = entry;
    if (!entry.link) seen.add(`${lockEntryName(path, entry)}@${entry.version}`);
  }
  const dependencies = {};
  for (const [name, range] of Object.entries(lock.packages[''].dependencies ?? {})) if (packages[`node_modules/${name}`]) dependencies[name] = range;
  const root = { ...lock.packages[''], dependencies };
  const packageJson = { ...JSON.parse(packageJsonText), dependencies };
  const lockfile = { ...lock, packages: { '': root, ...packages } };
  const names = [...new Set([...seen].map((spec) => splitSpec(spec)[0]))].sort();
  return { dir: project(`subset-${size}`, { 'package.json': JSON.stringify(packageJson, null, 2), 'package-lock.json': JSON.stringify(lockfile, null, 2) }), packages: seen.size, names };
}

// Policies: registry signatures only; or every package signed by its own GitHub release workflow.
const registryTrust = { registry: REGISTRY, keys: CACHE.keys };
const policyNone = join(work, 'policy-none.json');
writeFileSync(policyNone, JSON.stringify({ version: 1, mode: 'enforce', trust: [{ name: 'public-good' }], sources: ['registry'], defaults: { require: 'none' } }, null, 2));
const policyRegistry = join(work, 'policy-registry-signature.json');
writeFileSync(policyRegistry, JSON.stringify({ version: 1, mode: 'enforce', trust: [registryTrust], sources: ['registry'], defaults: { require: 'registry-signature' } }, null, 2));
const names = [...new Set([...workload.npm.keys(), ...workload.pnpm.keys()].map((spec) => splitSpec(spec)[0]))].sort();
/** A policy with one entry per package name (sorted), each naming that package's own signer. */
function signedPolicy(file, packageNames) {
  writeFileSync(file, JSON.stringify({
  version: 1,
  mode: 'enforce',
  trust: [{ name: 'bench-sigstore', trustedRoot: CACHE.trustedRoot }, registryTrust],
  sources: [{ url: `${REGISTRY}bundles/{name}/{version}.sigstore.json` }],
  packages: packageNames.map((name) => ({
    match: name,
    require: 'signed',
    identities: [{
      issuer: GITHUB_ISSUER,
      repository: repositoryOf(name),
      workflow: RELEASE_WORKFLOW,
      subject: `https://github.com/${repositoryOf(name)}/${RELEASE_WORKFLOW}@refs/tags/v*`,
    }],
  })),
  }, null, 2));
  return file;
}
const policySigned = signedPolicy(join(work, 'policy-signed.json'), names);

// The same evidence and the same checks, with one identity pattern for the whole tree instead of one
// entry per package: the difference is what the size of the policy costs.
const policySignedGlob = join(work, 'policy-signed-one-pattern.json');
writeFileSync(policySignedGlob, JSON.stringify({
  version: 1,
  mode: 'enforce',
  trust: [{ name: 'bench-sigstore', trustedRoot: CACHE.trustedRoot }, registryTrust],
  sources: [{ url: `${REGISTRY}bundles/{name}/{version}.sigstore.json` }],
  packages: [{ match: '**', require: 'signed', identities: [{ issuer: GITHUB_ISSUER, subject: `https://github.com/${BENCH_OWNER}/*/${RELEASE_WORKFLOW}@refs/tags/v*` }] }],
}, null, 2));

// 2. Measurement ---------------------------------------------------------------------------------
/** Runs one child under GNU time: wall (hrtime), user+sys CPU and peak RSS (of the child and its waited-for descendants). */
async function measureOnce({ command, argv, cwd, env }) {
  const timeFile = join(work, 'time.txt');
  await fetch(`${REGISTRY}-/bench/reset`, { method: 'POST' });
  const start = process.hrtime.bigint();
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, command, ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const [, user, sys, maxKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  const stats = await (await fetch(`${REGISTRY}-/bench/stats`)).json();
  return { wall, cpu: user + sys, user, sys, rssMiB: maxKiB / 1024, code, stdout, stderr, requests: stats.requests };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

const results = [];
const planned = [];
/**
 * Plans `spec` for RUNS measured repetitions. `before(i)` prepares each repetition (e.g. an empty
 * cache), `once()` runs before the first; `check(run)` returns the packages the tool reported as
 * verified, or throws. execute() runs the plan round-robin — one repetition of every row, then the
 * next — so that load from other work on the machine spreads over all rows alike.
 */
function plan(id, label, spec, { before, once, check, group = 'main' } = {}) {
  planned.push({ id, label, spec, before, once, check, group, reps: [] });
}
async function execute() {
  for (const row of planned) await row.once?.();
  for (let i = 0; i < RUNS; i++) {
    for (const row of planned) {
      row.before?.(i);
      const run = await measureOnce(row.spec);
      run.verified = row.check(run);
      row.reps.push(run);
    }
    log(`round ${i + 1}/${RUNS} done (load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  }
  for (const { id, label, spec, group, reps } of planned) {
    const result = {
      id, label, group,
      command: [spec.command === process.execPath ? 'node' : spec.command, ...spec.argv].join(' ').replaceAll(work, '$SCRATCH').replaceAll(REPO_ROOT, '.'),
      runs: reps.length,
      packages: reps[0].verified,
      wallSeconds: summary(reps.map((r) => r.wall)),
      cpuSeconds: summary(reps.map((r) => r.cpu)),
      peakRssMiB: summary(reps.map((r) => r.rssMiB)),
      requests: reps.at(-1).requests,
      reps: reps.map((r) => ({ wall: r.wall, cpu: r.cpu, rssMiB: r.rssMiB })),
    };
    results.push(result);
    log(`${label}: ${fmt(result.wallSeconds.median)} s median (${fmt(result.wallSeconds.min)}–${fmt(result.wallSeconds.max)}), CPU ${fmt(result.cpuSeconds.median)} s, peak ${result.peakRssMiB.max.toFixed(0)} MiB, ${result.packages ?? '-'} packages, ${result.requests} requests`);
  }
}
const fmt = (x, digits = 3) => (x >= 100 ? x.toFixed(1) : x >= 10 ? x.toFixed(2) : x.toFixed(digits));

function failure(label, run) {
  return new Error(`${label} exited ${run.code}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
}
/** `N packages: P passed, …` from pkgseal's text report; every package must pass. */
function pkgsealPassed(label) {
  return (run) => {
    const match = /(\d+) packages: (\d+) passed, (\d+) violations/.exec(run.stdout);
    if (run.code !== 0 || !match || match[1] !== match[2]) throw failure(label, run);
    return Number(match[2]);
  };
}
function pkgsealAudit(dir, policy, cacheDir, extra = []) {
  return { command: process.execPath, argv: [PKGSEAL, 'audit', dir, '--policy', policy, '--cache-dir', cacheDir, ...extra], cwd: dir, env: childEnv() };
}
const freshDir = (name) => () => {
  rmSync(join(work, name), { recursive: true, force: true });
  mkdirSync(join(work, name), { recursive: true });
};

const environment = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memoryGiB: os.totalmem() / 2 ** 30,
  loadAverageAtStart: os.loadavg(),
  runs: RUNS,
  pnpm: meta.pnpm,
  npm: spawnSync('npm', ['--version'], { encoding: 'utf8', env: childEnv() }).stdout.trim(),
  pkgseal: spawnSync(process.execPath, [PKGSEAL, '--version'], { encoding: 'utf8' }).stdout.trim(),
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim(),
  srcModified: spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((line) => line.slice(3)),
  workload: { npmLockfileVersions: meta.npmLockVersions, pnpmLockfileVersions: meta.pnpmLockVersions, packageNames: meta.names, packumentsServedMiB: meta.servedMiB, fullPackumentsMiB: meta.fetch.fullMiB },
  prepare: { packumentFetchSeconds: meta.fetch.seconds, bundleSigningSeconds: meta.bundles.seconds, bundles: meta.bundles.count, concurrency: meta.bundles.concurrency },
};

// 3. The runs ----------------------------------------------------------------------------------
try {
  if (wants('version')) {
    plan('pkgseal-version', 'pkgseal --version', { command: process.execPath, argv: [PKGSEAL, '--version'], cwd: work, env: childEnv() }, {
      check: (run) => { if (run.code !== 0) throw failure('pkgseal --version', run); return undefined; },
    });
  }
  if (wants('small')) {
    const small = subsetProject(10);
    plan('pkgseal-registry-10', 'pkgseal audit, 10 packages (registry-signature)', pkgsealAudit(small.dir, policyRegistry, join(work, 'cache-small')), {
      before: freshDir('cache-small'), check: pkgsealPassed('pkgseal audit (10)'),
    });
    plan('pkgseal-signed-10-cold', 'pkgseal audit, 10 packages (signed, cold)', pkgsealAudit(small.dir, policySigned, join(work, 'cache-small')), {
      before: freshDir('cache-small'), check: pkgsealPassed('pkgseal audit signed (10)'),
    });
  }
  if (wants('pnpm')) {
    // A fresh store and cache each time: pnpm gets no metadata from an earlier run.
    const pnpmHome = join(work, 'pnpm-home');
    plan('pnpm-audit-signatures', `pnpm ${meta.pnpm} audit signatures`, {
      command: PNPM,
      argv: ['audit', 'signatures', '--store-dir', join(pnpmHome, 'store'), '--cache-dir', join(pnpmHome, 'cache')],
      cwd: pnpmProject,
      env: childEnv({ XDG_CACHE_HOME: join(pnpmHome, 'xdg-cache'), XDG_DATA_HOME: join(pnpmHome, 'xdg-data'), XDG_STATE_HOME: join(pnpmHome, 'xdg-state') }),
    }, {
      before: freshDir('pnpm-home'),
      check: (run) => {
        const match = /(\d+) packages? ha(?:s|ve) verified registry signatures/.exec(run.stdout);
        if (run.code !== 0 || !match) throw failure('pnpm audit signatures', run);
        return Number(match[1]);
      },
    });
  }
  let npmOutcome;
  if (wants('npm')) {
    // Attempted once: npm initialises Sigstore's TUF client (tuf-repo-cdn.sigstore.dev) before it
    // looks at any package, whatever the registry. --fetch-retries 0 only makes the failure quick.
    const npmCache = join(work, 'npm-cache');
    const run = await measureOnce({ command: 'npm', argv: ['audit', 'signatures', '--registry', REGISTRY, '--cache', npmCache, '--fetch-retries', '0'], cwd: CACHE.installed, env: childEnv() });
    const verified = /audited (\d+) packages/.exec(run.stdout);
    const errors = (run.stderr.match(/^npm error .*$/gm) ?? []).map((line) => line.replace(/^npm error /, ''));
    const reason = errors.find((line) => /^network request/.test(line)) ?? errors.filter((line) => !/^(code|syscall|errno|A complete log)/.test(line)).join('; ');
    npmOutcome = run.code === 0 && verified
      ? { ran: true, packages: Number(verified[1]), wallSeconds: run.wall }
      : { ran: false, exitCode: run.code, wallSeconds: run.wall, requestsToBenchRegistry: run.requests, reason: reason || run.stderr.trim().split('\n').slice(-3).join(' ') };
    log(npmOutcome.ran ? `npm audit signatures ran (${run.wall.toFixed(2)} s)` : `npm ${environment.npm} audit signatures could not run: ${npmOutcome.reason}`);
    if (npmOutcome.ran) {
      plan('npm-audit-signatures', `npm ${environment.npm} audit signatures (installed tree)`, { command: 'npm', argv: ['audit', 'signatures', '--registry', REGISTRY, '--cache', npmCache], cwd: CACHE.installed, env: childEnv() }, {
        check: (r) => { const m = /audited (\d+) packages/.exec(r.stdout); if (r.code !== 0 || !m) throw failure('npm audit signatures', r); return Number(m[1]); },
      });
    }
  }
  if (wants('registry')) {
    plan('pkgseal-registry-pnpm-lock', 'pkgseal audit registry-signature (pnpm-lock.yaml)', pkgsealAudit(pnpmProject, policyRegistry, join(work, 'cache-reg')), {
      before: freshDir('cache-reg'), check: pkgsealPassed('pkgseal audit (pnpm-lock.yaml)'),
    });
    plan('pkgseal-registry-npm-lock', 'pkgseal audit registry-signature (package-lock.json)', pkgsealAudit(npmProject, policyRegistry, join(work, 'cache-reg')), {
      before: freshDir('cache-reg'), check: pkgsealPassed('pkgseal audit (package-lock.json)'),
    });
  }
  if (wants('signed')) {
    // The same run with nothing to check: start-up, reading the tree and the policy, the report.
    // What a signed audit costs beyond it is the per-package work compared with the floor.
    plan('pkgseal-none', 'pkgseal audit, require none (start-up, tree, policy, report)', pkgsealAudit(npmProject, policyNone, join(work, 'cache-none')), {
      before: freshDir('cache-none'), check: pkgsealPassed('pkgseal audit (require none)'),
    });
    plan('pkgseal-signed-cold', 'pkgseal audit signed, every package its identity (cold cache)', pkgsealAudit(npmProject, policySigned, join(work, 'cache-signed')), {
      before: freshDir('cache-signed'), check: pkgsealPassed('pkgseal audit signed (cold)'),
    });
    plan('pkgseal-signed-one-pattern-cold', 'pkgseal audit signed, one identity pattern for all (cold cache)', pkgsealAudit(npmProject, policySignedGlob, join(work, 'cache-signed-one')), {
      before: freshDir('cache-signed-one'), check: pkgsealPassed('pkgseal audit signed, one pattern (cold)'),
    });
    // One unmeasured run fills each warm cache; every measured run then finds it full.
    const fill = (name, policy) => async () => {
      freshDir(name)();
      pkgsealPassed(`pkgseal audit signed (filling ${name})`)(await measureOnce(pkgsealAudit(npmProject, policy, join(work, name))));
    };
    plan('pkgseal-signed-warm', 'pkgseal audit signed, every package its identity (warm cache)', pkgsealAudit(npmProject, policySigned, join(work, 'cache-warm')), {
      once: fill('cache-warm', policySigned), check: pkgsealPassed('pkgseal audit signed (warm)'),
    });
    plan('pkgseal-signed-one-pattern-warm', 'pkgseal audit signed, one identity pattern for all (warm cache)', pkgsealAudit(npmProject, policySignedGlob, join(work, 'cache-warm-one')), {
      once: fill('cache-warm-one', policySignedGlob), check: pkgsealPassed('pkgseal audit signed, one pattern (warm)'),
    });
  }
  if (wants('linear')) {
    for (const size of SIZES) {
      const subset = subsetProject(size);
      plan(`linear-registry-${size}`, `pkgseal audit registry-signature, ${subset.packages} packages`, pkgsealAudit(subset.dir, policyRegistry, join(work, 'cache-lin')), {
        group: 'linear', before: freshDir('cache-lin'), check: pkgsealPassed(`pkgseal audit (${size})`),
      });
      plan(`linear-signed-${size}`, `pkgseal audit signed (cold, one pattern), ${subset.packages} packages`, pkgsealAudit(subset.dir, policySignedGlob, join(work, 'cache-lin')), {
        group: 'linear', before: freshDir('cache-lin'), check: pkgsealPassed(`pkgseal audit signed (${size})`),
      });
      // The policy a project of this size would have: one entry per package of its tree.
      const policy = signedPolicy(join(work, `policy-signed-${size}.json`), subset.names);
      plan(`linear-identities-${size}`, `pkgseal audit signed (cold, ${subset.names.length} policy entries), ${subset.packages} packages`, pkgsealAudit(subset.dir, policy, join(work, 'cache-lin')), {
        group: 'linear', before: freshDir('cache-lin'), check: pkgsealPassed(`pkgseal audit signed, per-package policy (${size})`),
      });
    }
  }
  let floor;
  const floorRuns = [];
  if (wants('floor')) {
    plan('floor', 'floor: node crypto micro-benchmark (process)', { command: process.execPath, argv: [join(BENCH_DIR, 'floor.mjs'), '--registry', REGISTRY], cwd: work, env: childEnv() }, {
      group: 'floor',
      check: (run) => { if (run.code !== 0) throw failure('floor', run); floorRuns.push(JSON.parse(run.stdout)); return undefined; },
    });
  }
  await execute();
  if (floorRuns.length) {
    const inner = floorRuns;
    const result = results.find((r) => r.id === 'floor');
    floor = {
      ecdsaP256VerifyReusedKeyMicroseconds: summary(inner.map((f) => f.ecdsaP256Verify.reusedKey.usPerOp)),
      ecdsaP256VerifyPemEachTimeMicroseconds: summary(inner.map((f) => f.ecdsaP256Verify.pemEachTime.usPerOp)),
      sha512MiBPerSecond: summary(inner.map((f) => f.sha512.MiBPerSecond)),
      jsonParseMiBPerSecond: inner[0].jsonParse ? summary(inner.map((f) => f.jsonParse.MiBPerSecond)) : undefined,
      fetchPackumentsWallMs: inner[0].fetchPackuments ? summary(inner.map((f) => f.fetchPackuments.wallMs)) : undefined,
      fetchPackumentsCpuMs: inner[0].fetchPackuments ? summary(inner.map((f) => f.fetchPackuments.cpuMs)) : undefined,
      fetchPackumentsRequests: inner[0].fetchPackuments?.requests,
      peakRssMiB: result.peakRssMiB,
    };
  }

  let profile;
  if (args.profile) {
    profile = {};
    const small = subsetProject(10);
    const kinds = [
      ['registry-signature', npmProject, policyRegistry, true],
      ['registry-signature, 10 packages', small.dir, policyRegistry, true],
      ['signed, cold', npmProject, policySigned, true],
      ['signed, warm', npmProject, policySigned, false],
    ];
    for (const [kind, project, policy, fresh] of kinds) {
      const dir = join(work, `cpuprof-${kind.replace(/\W+/g, '-')}`);
      if (fresh) freshDir('cache-prof')();
      const spec = pkgsealAudit(project, policy, join(work, 'cache-prof'));
      spec.argv = ['--cpu-prof', '--cpu-prof-dir', dir, ...spec.argv];
      const run = await measureOnce(spec);
      pkgsealPassed(`pkgseal audit ${kind} (profiled)`)(run);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      profile[kind] = { wallSeconds: run.wall, ...summariseProfile(JSON.parse(readFileSync(join(dir, file), 'utf8'))) };
      if (args.keep) profile[kind].file = join(dir, file);
      log(`profiled pkgseal audit ${kind}: ${run.wall.toFixed(2)} s`);
    }
  }

  // 4. Report ------------------------------------------------------------------------------------
  environment.loadAverageAtEnd = os.loadavg();
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  const ratio = (a, b) => (byId[a] && byId[b] ? byId[a].wallSeconds.median / byId[b].wallSeconds.median : undefined);
  const ratios = {
    'pkgseal registry-signature (pnpm-lock.yaml) / pnpm audit signatures': ratio('pkgseal-registry-pnpm-lock', 'pnpm-audit-signatures'),
    'pkgseal registry-signature (package-lock.json) / pnpm audit signatures': ratio('pkgseal-registry-npm-lock', 'pnpm-audit-signatures'),
    'pkgseal signed cold / pnpm audit signatures': ratio('pkgseal-signed-cold', 'pnpm-audit-signatures'),
    'pkgseal signed warm / pnpm audit signatures': ratio('pkgseal-signed-warm', 'pnpm-audit-signatures'),
    'pkgseal signed cold / warm': ratio('pkgseal-signed-cold', 'pkgseal-signed-warm'),
    'pkgseal signed cold, one identity per package / one pattern for all': ratio('pkgseal-signed-cold', 'pkgseal-signed-one-pattern-cold'),
  };
  for (const key of Object.keys(ratios)) if (ratios[key] === undefined) delete ratios[key];
  const linear = {};
  const linearKinds = { registry: 'registry-signature', signed: 'signed (cold), one identity pattern', identities: 'signed (cold), one policy entry per package of the tree' };
  for (const [kind, name] of Object.entries(linearKinds)) {
    const points = results.filter((r) => r.id.startsWith(`linear-${kind}-`)).map((r) => ({ packages: r.packages, seconds: r.wallSeconds.median, cpuSeconds: r.cpuSeconds.median, peakRssMiB: r.peakRssMiB.median }));
    if (points.length >= 2) linear[name] = { points, fit: fitLine(points), cpuFit: fitLine(points.map((p) => ({ packages: p.packages, seconds: p.cpuSeconds }))) };
  }
  const floorEstimate = floor && byId['pkgseal-registry-npm-lock']
    ? { registrySignatureVerifiesSeconds: (byId['pkgseal-registry-npm-lock'].packages * floor.ecdsaP256VerifyReusedKeyMicroseconds.median) / 1e6 }
    : undefined;
  if (floorEstimate && byId['pkgseal-signed-cold'] && byId['pkgseal-none']) {
    // Per bundle, the ECDSA P-256 verifies no verifier can skip: the leaf certificate by its CA, its
    // SCT, the DSSE signature, the Rekor SET and the signed checkpoint.
    const floorUs = ECDSA_VERIFIES_PER_BUNDLE * floor.ecdsaP256VerifyReusedKeyMicroseconds.median;
    const cold = byId['pkgseal-signed-cold'];
    const perPackageUs = ((cold.cpuSeconds.median - byId['pkgseal-none'].cpuSeconds.median) * 1e6) / cold.packages;
    // The DSSE signature is made with the bundle's own leaf key, which no run has seen before: a
    // verifier parses that key once per bundle, as the floor's "PEM parsed each time" verify does.
    const withLeafKeyUs = (ECDSA_VERIFIES_PER_BUNDLE - 1) * floor.ecdsaP256VerifyReusedKeyMicroseconds.median + floor.ecdsaP256VerifyPemEachTimeMicroseconds.median;
    floorEstimate.signedCold = {
      ecdsaVerifiesPerBundle: ECDSA_VERIFIES_PER_BUNDLE,
      floorMicrosecondsPerPackage: floorUs,
      cpuMicrosecondsPerPackage: perPackageUs,
      ratio: perPackageUs / floorUs,
      floorWithLeafKeyMicrosecondsPerPackage: withLeafKeyUs,
      ratioWithLeafKey: perPackageUs / withLeafKeyUs,
    };
  }
  const report = { environment, results, ratios, linear, npm: npmOutcome, floor, floorEstimate, profile };

  if (args.save) writeFileSync(args.save, `${JSON.stringify(report, null, 2)}\n`);
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(renderText(report));
} finally {
  await server.close();
  if (!args.keep) rmSync(work, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------

async function startServerProcess() {
  const child = spawn(process.execPath, [join(BENCH_DIR, 'server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`bench/server.mjs exited ${code}`)));
  });
  const url = /listening (\S+)/.exec(line)[1];
  return {
    url,
    line: line.replace(/^listening \S+ /, ''),
    pid: child.pid,
    close: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Least squares seconds = a + b·packages, with R². */
function fitLine(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.packages, 0) / n;
  const my = points.reduce((s, p) => s + p.seconds, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.packages - mx) * (p.seconds - my), 0);
  const sxx = points.reduce((s, p) => s + (p.packages - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssTot = points.reduce((s, p) => s + (p.seconds - my) ** 2, 0);
  const ssRes = points.reduce((s, p) => s + (p.seconds - (intercept + slope * p.packages)) ** 2, 0);
  return { msPerPackage: slope * 1000, interceptSeconds: intercept, r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot };
}

/** Self time per function and per module (package or pkgseal source file) from a .cpuprofile. */
function summariseProfile(cpuprofile) {
  const selfUs = new Map();
  const byId = new Map(cpuprofile.nodes.map((node) => [node.id, node]));
  for (let i = 0; i < cpuprofile.samples.length; i++) {
    const id = cpuprofile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (cpuprofile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const functions = new Map();
  const modules = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = moduleOf(url);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    modules.set(where, (modules.get(where) ?? 0) + us);
  }
  // Inclusive time of pkgseal's own functions, and of the dependency functions they call (each
  // counted once per sample): the synchronous work under them (await continuations are not).
  const parent = new Map();
  for (const node of cpuprofile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusiveOwn = new Map();
  const inclusiveDeps = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id, below; cur !== undefined; below = cur, cur = parent.get(cur)) {
      const { functionName, url, lineNumber } = byId.get(cur).callFrame;
      const where = moduleOf(url);
      if (!where.startsWith('pkgseal ')) continue;
      const own = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
      if (!seen.has(own)) inclusiveOwn.set(own, (inclusiveOwn.get(own) ?? 0) + us);
      seen.add(own);
      const callee = below === undefined ? undefined : byId.get(below).callFrame;
      const calleeWhere = callee ? moduleOf(callee.url) : '';
      if (callee && !calleeWhere.startsWith('pkgseal ') && !calleeWhere.startsWith('(')) {
        const dep = `${callee.functionName || '(anonymous)'} ${calleeWhere}:${callee.lineNumber + 1} ← ${functionName || '(anonymous)'}`;
        if (!seen.has(dep)) inclusiveDeps.set(dep, (inclusiveDeps.get(dep) ?? 0) + us);
        seen.add(dep);
      }
    }
  }
  const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { sampledMs: total / 1000, topFunctions: top(functions, 15), topModules: top(modules, 12), inclusivePkgseal: top(inclusiveOwn, 12), inclusiveCalls: top(inclusiveDeps, 10) };
}

function moduleOf(url) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? `pkgseal ${url.slice(dist + 1)}` : url.replace(/^file:\/\//, '');
}

function renderText(report) {
  const lines = [];
  const e = report.environment;
  lines.push(`pkgseal ${e.pkgseal} benchmark — ${e.date} — commit ${e.commit}${e.srcModified.length ? ` with uncommitted changes to ${e.srcModified.join(', ')}` : ''}`);
  lines.push(`node ${e.node}, ${e.cpus} × ${e.cpuModel}, ${e.memoryGiB.toFixed(0)} GiB; load average ${e.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')} at start, ${e.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')} at end`);
  lines.push(`workload: ${e.workload.npmLockfileVersions} name@version in package-lock.json, ${e.workload.pnpmLockfileVersions} in pnpm-lock.yaml, ${e.workload.packageNames} packuments (${e.workload.packumentsServedMiB.toFixed(1)} MiB served, trimmed from ${e.workload.fullPackumentsMiB.toFixed(0)} MiB upstream)`);
  lines.push(`runs: ${e.runs} per row (median, min–max); CPU = user + sys of the process tree; RSS = peak resident set (GNU time)`);
  lines.push('');
  const header = ['run', 'packages', 'wall s (median)', 'min–max', 'CPU s', 'peak RSS MiB', 'requests'];
  const rows = report.results.map((r) => [r.label, r.packages === undefined ? '' : String(r.packages), fmt(r.wallSeconds.median), `${fmt(r.wallSeconds.min)}–${fmt(r.wallSeconds.max)}`, fmt(r.cpuSeconds.median), `${r.peakRssMiB.median.toFixed(0)} (max ${r.peakRssMiB.max.toFixed(0)})`, String(r.requests)]);
  if (report.npm && !report.npm.ran) rows.push([`npm ${e.npm} audit signatures (installed tree)`, '', 'not run', '', '', '', String(report.npm.requestsToBenchRegistry)]);
  lines.push(...table(header, rows));
  if (report.npm && !report.npm.ran) {
    lines.push('');
    lines.push(`npm audit signatures could not run (exit ${report.npm.exitCode} after ${report.npm.wallSeconds.toFixed(1)} s): ${report.npm.reason}`);
    lines.push('  npm initialises Sigstore\'s TUF client over the network before it reads any key or packument; without that network it cannot run, and npm is not patched here. pnpm is the peer.');
  }
  if (Object.keys(report.ratios).length) {
    lines.push('');
    lines.push('wall-time ratios (medians):');
    for (const [name, value] of Object.entries(report.ratios)) lines.push(`  ${name}: ${value.toFixed(2)}×`);
  }
  for (const [kind, data] of Object.entries(report.linear)) {
    lines.push('');
    lines.push(`linearity, pkgseal audit ${kind}: ${data.points.map((p) => `${p.packages} → ${fmt(p.seconds)} s (${((p.seconds / p.packages) * 1000).toFixed(2)} ms/pkg, ${p.peakRssMiB.toFixed(0)} MiB)`).join('; ')}`);
    lines.push(`  fit: ${fmt(data.fit.interceptSeconds)} s + ${data.fit.msPerPackage.toFixed(3)} ms/package wall (R² ${data.fit.r2.toFixed(4)}); CPU ${fmt(data.cpuFit.interceptSeconds)} s + ${data.cpuFit.msPerPackage.toFixed(3)} ms/package (R² ${data.cpuFit.r2.toFixed(4)})`);
  }
  if (report.floor) {
    const f = report.floor;
    lines.push('');
    lines.push(`floor (node ${e.node}): ECDSA P-256 verify ${f.ecdsaP256VerifyReusedKeyMicroseconds.median.toFixed(1)} µs with a reused KeyObject, ${f.ecdsaP256VerifyPemEachTimeMicroseconds.median.toFixed(1)} µs parsing the PEM each time; SHA-512 ${f.sha512MiBPerSecond.median.toFixed(0)} MiB/s${f.jsonParseMiBPerSecond ? `; JSON.parse of the served packuments ${f.jsonParseMiBPerSecond.median.toFixed(0)} MiB/s` : ''}`);
    if (f.fetchPackumentsWallMs) lines.push(`  Node's http client fetching and parsing the ${f.fetchPackumentsRequests} packuments (keep-alive, 16 at a time, no other work): ${f.fetchPackumentsWallMs.median.toFixed(0)} ms wall, ${f.fetchPackumentsCpuMs.median.toFixed(0)} ms CPU`);
    if (report.floorEstimate) lines.push(`  ${report.results.find((r) => r.id === 'pkgseal-registry-npm-lock').packages} registry-signature verifies cost ${(report.floorEstimate.registrySignatureVerifiesSeconds * 1000).toFixed(0)} ms of CPU at that rate`);
    const cold = report.floorEstimate?.signedCold;
    if (cold) lines.push(`  signed, cold: ${cold.cpuMicrosecondsPerPackage.toFixed(0)} µs of CPU per package beyond the require-none run, against a floor of ${cold.floorMicrosecondsPerPackage.toFixed(0)} µs (${cold.ecdsaVerifiesPerBundle} ECDSA verifies per bundle): ${cold.ratio.toFixed(2)}× the floor`);
    if (cold) lines.push(`    (${cold.ratioWithLeafKey.toFixed(2)}× a floor of ${cold.floorWithLeafKeyMicrosecondsPerPackage.toFixed(0)} µs that parses each bundle's leaf key, as one of the ${cold.ecdsaVerifiesPerBundle} verifies must)`);
  }
  if (report.profile) {
    for (const [kind, data] of Object.entries(report.profile)) {
      lines.push('');
      lines.push(`CPU profile, pkgseal audit ${kind} (${fmt(data.wallSeconds)} s wall, ${data.sampledMs.toFixed(0)} ms sampled on the main thread): top self time`);
      lines.push(...table(['function', 'self ms', 'share'], data.topFunctions.map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`])));
      lines.push('  by module:');
      lines.push(...table(['module', 'self ms', 'share'], data.topModules.map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`])).map((l) => `  ${l}`));
      lines.push('  inclusive, pkgseal functions (synchronous work under them):');
      lines.push(...table(['function', 'total ms', 'share'], data.inclusivePkgseal.map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`])).map((l) => `  ${l}`));
      lines.push('  inclusive, dependency calls made by pkgseal:');
      lines.push(...table(['call', 'total ms', 'share'], data.inclusiveCalls.map((f) => [f.name, f.ms.toFixed(0), `${(f.share * 100).toFixed(1)}%`])).map((l) => `  ${l}`));
    }
  }
  lines.push('');
  return lines.join('\n');
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`, ...rows.map(line)];
}
