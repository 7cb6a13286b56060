#!/usr/bin/env node
// Builds bench/.cache/ (git-ignored) from the committed workload lockfiles:
//   1. every packument of the tree, fetched once (full, `Accept: application/json`) from the real
//      registry and trimmed to the versions in the tree and their `time`;
//   2. a benchmark registry key (ECDSA P-256) and `dist.signatures` by it on every version, as the
//      npm registry signs: ECDSA-SHA256 over `${name}@${version}:${integrity}`;
//   3. one Sigstore bundle per name@version (DSSE, in-toto statement about the tarball's sha512),
//      signed through HTTP by the local Sigstore services of test/support/local-sigstore.ts
//      (Fulcio, Rekor, OIDC), each package with its own GitHub-style identity;
//   4. the tree "installed" for `npm audit signatures` (package.json files + hidden lockfile);
//   5. pnpm 12 from the npm registry.
// Usage: node bench/prepare.mjs [--force] [--concurrency N] [--upstream URL]   (bench/run.mjs runs it when needed;
// the upstream registry defaults to $BENCH_UPSTREAM, then $npm_config_registry, then registry.npmjs.org)
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BENCH_OWNER, CACHE, CACHE_DIR, GITHUB_ISSUER, PNPM_VERSION, PUBLISH_PREDICATE, RELEASE_WORKFLOW, REPO_ROOT,
  keyIdOf, lockEntryName, packumentFile, readWorkload, repositoryOf, splitSpec,
} from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    force: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '8' },
    upstream: { type: 'string', default: process.env.BENCH_UPSTREAM ?? process.env.npm_config_registry ?? 'https://registry.npmjs.org/' },
  },
});
const concurrency = Math.max(1, Number(args.concurrency));
const upstream = args.upstream.endsWith('/') ? args.upstream : `${args.upstream}/`;

const log = (line) => process.stderr.write(`[prepare] ${line}\n`);
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

/** Runs `fn` over `items`, `limit` at a time; resolves to the results in order. */
async function pool(items, limit, fn, label) {
  const results = new Array(items.length);
  let next = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
      done += 1;
      if (label && (done % 250 === 0 || done === items.length)) log(`${label}: ${done}/${items.length} (${seconds(started).toFixed(1)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value));
}

async function fetchJson(url, attempts = 4) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
      const text = await response.text();
      return { document: JSON.parse(text), bytes: Buffer.byteLength(text) };
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

// ---------------------------------------------------------------------------------------------

const workload = readWorkload();
if (existsSync(CACHE.meta) && !args.force) {
  const meta = JSON.parse(readFileSync(CACHE.meta, 'utf8'));
  if (meta.workloadDigest === workload.digest) {
    log(`bench/.cache is up to date (${meta.versions} versions of ${meta.names} packages); --force rebuilds it`);
    process.exit(0);
  }
  log('the workload lockfiles changed: rebuilding bench/.cache');
}
const preserveUpstream = existsSync(CACHE.upstream);
for (const dir of [CACHE.registry, CACHE.bundles, CACHE.installed]) rmSync(dir, { recursive: true, force: true });
rmSync(CACHE.meta, { force: true });
mkdirSync(CACHE_DIR, { recursive: true });

// Every name@version of either lockfile, with the integrity the lockfiles record.
const specs = new Map([...workload.npm, ...workload.pnpm]);
for (const [spec, integrity] of workload.pnpm) {
  const npmIntegrity = workload.npm.get(spec);
  if (npmIntegrity && npmIntegrity !== integrity) throw new Error(`${spec}: npm and pnpm lockfiles disagree on the integrity`);
}
const versionsByName = new Map();
for (const spec of specs.keys()) {
  const [name, version] = splitSpec(spec);
  if (!versionsByName.has(name)) versionsByName.set(name, new Set());
  versionsByName.get(name).add(version);
}
const names = [...versionsByName.keys()].sort();
log(`workload: ${workload.npm.size} name@version in package-lock.json, ${workload.pnpm.size} in pnpm-lock.yaml, ${specs.size} together, ${names.length} packages`);

// 1. Packuments -------------------------------------------------------------------------------
const fetchStart = process.hrtime.bigint();
let fullBytes = 0;
let fetched = 0;
mkdirSync(CACHE.upstream, { recursive: true });
await pool(names, concurrency, async (name) => {
  const file = join(CACHE.upstream, packumentFile(name));
  const wanted = versionsByName.get(name);
  if (preserveUpstream && existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8'));
    if ([...wanted].every((version) => kept.versions[version])) return;
  }
  const { document, bytes } = await fetchJson(`${upstream}${name.replace('/', '%2f')}`);
  fullBytes += bytes;
  fetched += 1;
  const versions = {};
  const time = {};
  for (const version of wanted) {
    const manifest = document.versions?.[version];
    if (!manifest) throw new Error(`${name}@${version} is not in the registry's packument`);
    versions[version] = manifest;
    if (document.time?.[version]) time[version] = document.time[version];
  }
  if (document.time?.created) time.created = document.time.created;
  if (document.time?.modified) time.modified = document.time.modified;
  const latest = [...wanted].sort(compareVersions).at(-1);
  writeJson(file, { _id: name, name, 'dist-tags': { latest }, versions, time });
}, 'packuments');
const fetchSeconds = seconds(fetchStart);
log(`fetched ${fetched} full packuments (${(fullBytes / 2 ** 20).toFixed(1)} MiB) in ${fetchSeconds.toFixed(1)} s`);

function compareVersions(a, b) {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

// 2. Registry key and dist.signatures ---------------------------------------------------------
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = publicKey.export({ format: 'der', type: 'spki' });
const keyid = keyIdOf(spki);
writeFileSync(CACHE.privateKey, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
writeJson(CACHE.keys, { keys: [{ expires: null, keyid, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: spki.toString('base64') }] });

const signStart = process.hrtime.bigint();
let trimmedBytes = 0;
const manifests = new Map();
for (const name of names) {
  const packument = JSON.parse(readFileSync(join(CACHE.upstream, packumentFile(name)), 'utf8'));
  for (const [version, manifest] of Object.entries(packument.versions)) {
    const integrity = specs.get(`${name}@${version}`);
    if (manifest.dist?.integrity !== integrity) throw new Error(`${name}@${version}: the registry's integrity ${manifest.dist?.integrity} differs from the lockfile's ${integrity}`);
    // Only the benchmark key's signature; no attestations (they would point at the real registry).
    delete manifest.dist.attestations;
    const sig = cryptoSign('sha256', Buffer.from(`${name}@${version}:${integrity}`), { key: privateKey, dsaEncoding: 'der' });
    manifest.dist.signatures = [{ keyid, sig: sig.toString('base64') }];
    manifests.set(`${name}@${version}`, manifest);
  }
  const body = JSON.stringify(packument);
  trimmedBytes += Buffer.byteLength(body);
  mkdirSync(CACHE.registry, { recursive: true });
  writeFileSync(join(CACHE.registry, packumentFile(name)), body);
}
log(`registry key ${keyid}; signed ${specs.size} versions in ${seconds(signStart).toFixed(2)} s; packuments served: ${(trimmedBytes / 2 ** 20).toFixed(1)} MiB`);

// 3. Sigstore bundles -------------------------------------------------------------------------
const { tsImport } = await import('tsx/esm/api');
const { startLocalSigstore } = await tsImport(join(REPO_ROOT, 'test/support/local-sigstore.ts'), import.meta.url);
const sigstore = await startLocalSigstore();
writeFileSync(CACHE.trustedRoot, JSON.stringify(sigstore.trustedRoot, null, 2));
const bundleStart = process.hrtime.bigint();
try {
  await pool([...specs.keys()].sort(), concurrency, async (spec) => {
    const [name, version] = splitSpec(spec);
    const sha512 = Buffer.from(specs.get(spec).slice('sha512-'.length), 'base64').toString('hex');
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `pkg:npm/${name.replace(/^@/, '%40')}@${version}`, digest: { sha512 } }],
      predicateType: PUBLISH_PREDICATE,
      predicate: { tool: 'pkgseal bench/prepare.mjs' },
    };
    const bundle = await sigstore.signStatement(statement, { claims: githubClaims(name, version) });
    writeJson(join(CACHE.bundles, name, `${version}.sigstore.json`), bundle);
  }, 'bundles');
} finally {
  await sigstore.close();
}
const bundleSeconds = seconds(bundleStart);
log(`signed ${specs.size} Sigstore bundles through local Fulcio/Rekor in ${bundleSeconds.toFixed(1)} s (concurrency ${concurrency})`);

/** OIDC claims of a GitHub Actions release of `name` (the local Fulcio copies them into the certificate). */
function githubClaims(name, version) {
  const repository = repositoryOf(name);
  const ref = `refs/tags/v${version}`;
  const workflowRef = `${repository}/${RELEASE_WORKFLOW}@${ref}`;
  return {
    iss: GITHUB_ISSUER,
    repository,
    repository_owner: BENCH_OWNER,
    repository_id: '123456',
    repository_owner_id: '654321',
    workflow_ref: workflowRef,
    job_workflow_ref: workflowRef,
    ref,
    sha: '0123456789abcdef0123456789abcdef01234567',
    event_name: 'push',
    runner_environment: 'github-hosted',
    run_id: '42',
    run_attempt: '1',
  };
}

// 4. The tree as npm ci --ignore-scripts leaves it, for `npm audit signatures` -------------------
// npm's audit reads only each node_modules/**/package.json and node_modules/.package-lock.json.
const installStart = process.hrtime.bigint();
writeJson(join(CACHE.installed, 'package.json'), workload.packageJson);
writeFileSync(join(CACHE.installed, 'package-lock.json'), JSON.stringify(workload.npmLock, null, 2));
for (const [path, entry] of Object.entries(workload.npmLock.packages)) {
  if (path === '' || entry.link) continue;
  const manifest = manifests.get(`${lockEntryName(path, entry)}@${entry.version}`);
  const packageJson = Object.fromEntries(Object.entries(manifest).filter(([key]) => !key.startsWith('_') && key !== 'dist' && key !== 'maintainers'));
  writeJson(join(CACHE.installed, path, 'package.json'), packageJson);
}
const hidden = { ...workload.npmLock, packages: Object.fromEntries(Object.entries(workload.npmLock.packages).filter(([path]) => path !== '')) };
delete hidden.packages[''];
writeFileSync(join(CACHE.installed, 'node_modules', '.package-lock.json'), JSON.stringify(hidden, null, 2));
log(`laid out the installed tree in ${seconds(installStart).toFixed(1)} s`);

// 5. pnpm 12 ----------------------------------------------------------------------------------
const pnpmBin = join(CACHE.tools, 'node_modules', '.bin', 'pnpm');
if (!existsSync(pnpmBin)) {
  mkdirSync(CACHE.tools, { recursive: true });
  writeJson(join(CACHE.tools, 'package.json'), { name: 'bench-tools', private: true });
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts=false', `pnpm@${PNPM_VERSION}`], { cwd: CACHE.tools, stdio: ['ignore', 'inherit', 'inherit'] });
  if (install.status !== 0) throw new Error(`npm install pnpm@${PNPM_VERSION} failed`);
}
const pnpmVersion = spawnSync(pnpmBin, ['--version'], { encoding: 'utf8' }).stdout.trim();
log(`pnpm ${pnpmVersion}`);

writeJson(CACHE.meta, {
  created: new Date().toISOString(),
  workloadDigest: workload.digest,
  upstream,
  names: names.length,
  versions: specs.size,
  npmLockVersions: workload.npm.size,
  pnpmLockVersions: workload.pnpm.size,
  keyid,
  fetch: { seconds: fetchSeconds, packumentsFetched: fetched, fullMiB: fullBytes / 2 ** 20 },
  servedMiB: trimmedBytes / 2 ** 20,
  bundles: { count: specs.size, seconds: bundleSeconds, concurrency },
  pnpm: pnpmVersion,
});
log('done');
