/**
 * (Re)generates fixtures/demo/: an offline demo consumer project for the README.
 *
 *   npx tsx scripts/make-demo-fixtures.ts
 *
 * It packs two tiny npm packages (@demo/good-lib@1.0.0 and @demo/evil-lib@1.0.0) with
 * `npm pack`, writes a consumer project (package.json + lockfileVersion 3 package-lock.json)
 * depending on both, and signs an in-toto SLSA provenance statement for each tarball with REAL
 * Sigstore protocols (Fulcio, Rekor, RFC 3161 TSA, OIDC) against local in-process services
 * (test/support/local-sigstore.ts). good-lib is signed by the identity the demo policy expects
 * (demo-org/good-lib's release workflow on a tag); evil-lib by another one (attacker/fork on main).
 *
 * The layout is deterministic; keys, certificates and signatures differ on every run.
 * At the end the generated files are read back and checked with pkgseal's verifier:
 * good-lib must verify, evil-lib must fail with IDENTITY_MISMATCH.
 *
 * It also writes fixtures/newcomer/: the sample project of docs/getting-started.md, sharing nothing
 * with the demo (its own packages, its own local Sigstore instance and trusted_root.json, no policy):
 * @demo/good-lib@1.0.0 and @demo/util@2.0.0 signed by their release workflows (demo-org/…), and an
 * update, @demo/good-lib@1.0.1, signed by attacker/fork. `package-lock.json` has 1.0.0,
 * `package-lock.next.json` 1.0.1 (the update landing).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startLocalSigstore } from '../test/support/local-sigstore.js';
import { trustMaterialFromTrustedRoot, VerificationError, verifyArtifact, type ExpectedIdentity } from '../src/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO_ROOT, 'fixtures/demo');
const NEWCOMER = join(REPO_ROOT, 'fixtures/newcomer');
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const VERSION = '1.0.0';

const POLICY = {
  $schema: '../../policy.schema.json',
  version: 1,
  mode: 'enforce',
  trust: [{ name: 'demo', trustedRoot: './trusted_root.json' }],
  sources: [{ dir: './evidence' }],
  packages: [
    {
      match: '@demo/*',
      require: 'signed',
      identities: [
        {
          issuer: GITHUB_ISSUER,
          subject: 'https://github.com/demo-org/*/.github/workflows/release.yml@refs/tags/v*',
          repository: 'demo-org/good-lib',
        },
      ],
    },
  ],
};

interface DemoPackage {
  /** Unscoped name, e.g. `good-lib`. */
  short: string;
  description: string;
  source: string;
  /** The GitHub Actions run that "published" it. */
  repository: string;
  workflowRef: string;
  ref: string;
  /** Default: VERSION. */
  version?: string;
}

const PACKAGES: DemoPackage[] = [
  {
    short: 'good-lib',
    description: 'Demo package published by its own release workflow.',
    source: "export function greet(name) {\n  return `Hello, ${name}!`;\n}\n",
    repository: 'demo-org/good-lib',
    workflowRef: 'demo-org/good-lib/.github/workflows/release.yml@refs/tags/v1.0.0',
    ref: 'refs/tags/v1.0.0',
  },
  {
    short: 'evil-lib',
    description: 'Demo package published from a fork by someone else.',
    source: "export function greet(name) {\n  return `Hello, ${name}!`;\n}\n// pretend something nasty happens here\n",
    repository: 'attacker/fork',
    workflowRef: 'attacker/fork/.github/workflows/release.yml@refs/heads/main',
    ref: 'refs/heads/main',
  },
];

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';
/** Stable fake hex digests (commit SHAs, ids) derived from a label. */
const fakeHex = (label: string, bytes = 20): string => createHash('sha256').update(label).digest('hex').slice(0, bytes * 2);
const fakeNumber = (label: string): string => String(parseInt(fakeHex(label, 4), 16) % 900_000_000 + 100_000_000);

interface Packed {
  pkg: DemoPackage;
  name: string;
  tarballName: string;
  tarballPath: string;
  sha512: Buffer;
  integrity: string;
  resolved: string;
}

function packPackage(pkg: DemoPackage, tmp: string): Packed {
  const name = `@demo/${pkg.short}`;
  const version = pkg.version ?? VERSION;
  const folder = join(tmp, 'src', `${pkg.short}-${version}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'package.json'),
    json({
      name,
      version,
      description: pkg.description,
      type: 'module',
      main: 'index.js',
      license: 'MIT',
      repository: { type: 'git', url: `git+https://github.com/${pkg.repository}.git` },
    }),
  );
  writeFileSync(join(folder, 'index.js'), pkg.source);

  const packDir = join(tmp, 'packed');
  mkdirSync(packDir, { recursive: true });
  const stdout = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir, folder], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_loglevel: 'error' },
  });
  const [report] = JSON.parse(stdout) as Array<{ filename: string; integrity: string }>;
  if (!report) throw new Error(`npm pack ${name}: no report`);
  const tarballPath = join(packDir, report.filename);
  const sha512 = createHash('sha512').update(readFileSync(tarballPath)).digest();
  const integrity = `sha512-${sha512.toString('base64')}`;
  if (integrity !== report.integrity) throw new Error(`npm pack ${name}: integrity ${report.integrity} differs from computed ${integrity}`);
  return {
    pkg,
    name,
    tarballName: report.filename,
    tarballPath,
    sha512,
    integrity,
    resolved: `https://registry.npmjs.org/${name}/-/${pkg.short}-${version}.tgz`,
  };
}

/** GitHub-Actions-shaped OIDC claims (become Fulcio certificate extensions and the SAN). */
function claimsFor(pkg: DemoPackage): Record<string, string> {
  const owner = pkg.repository.split('/')[0]!;
  const sha = fakeHex(`${pkg.repository}@${pkg.ref}`);
  return {
    iss: GITHUB_ISSUER,
    repository: pkg.repository,
    repository_owner: owner,
    repository_id: fakeNumber(`repo:${pkg.repository}`),
    repository_owner_id: fakeNumber(`owner:${owner}`),
    repository_visibility: 'public',
    ref: pkg.ref,
    sha,
    event_name: 'push',
    workflow: 'release',
    workflow_ref: pkg.workflowRef,
    workflow_sha: sha,
    job_workflow_ref: pkg.workflowRef,
    job_workflow_sha: sha,
    runner_environment: 'github-hosted',
    run_id: fakeNumber(`run:${pkg.repository}@${pkg.ref}`),
    run_attempt: '1',
  };
}

/** in-toto Statement v1 with a small SLSA provenance v1 predicate, as npm publishes them. */
function statementFor(packed: Packed, claims: Record<string, string>): object {
  const { pkg } = packed;
  const repoURL = `https://github.com/${pkg.repository}`;
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `pkg:npm/${packed.name.replace(/^@/, '%40')}@${pkg.version ?? VERSION}`, digest: { sha512: packed.sha512.toString('hex') } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
        externalParameters: {
          workflow: { ref: pkg.ref, repository: repoURL, path: '.github/workflows/release.yml' },
        },
        internalParameters: {
          github: {
            event_name: claims.event_name,
            repository_id: claims.repository_id,
            repository_owner_id: claims.repository_owner_id,
          },
        },
        resolvedDependencies: [{ uri: `git+${repoURL}@${pkg.ref}`, digest: { gitCommit: claims.sha } }],
      },
      runDetails: {
        builder: { id: 'https://github.com/actions/runner/github-hosted' },
        metadata: { invocationId: `${repoURL}/actions/runs/${claims.run_id}/attempts/${claims.run_attempt}` },
      },
    },
  };
}

function writeReadme(): void {
  writeFileSync(
    join(OUT, 'README.md'),
    [
      '# Demo project (generated)',
      '',
      'An offline demo consumer project for pkgseal: `package.json`, `package-lock.json`, the policy',
      '`pkgseal.policy.json`, the two dependency tarballs and their Sigstore evidence (`evidence/`),',
      'signed by local Sigstore services described by `trusted_root.json`.',
      '`@demo/good-lib` is signed by the identity the policy allows; `@demo/evil-lib` by another one.',
      '',
      'Do not edit by hand: `npx tsx scripts/make-demo-fixtures.ts` regenerates this folder.',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'pkgseal-demo-'));
  const sigstore = await startLocalSigstore();
  try {
    // Fresh output (only what this script owns).
    for (const sub of ['tarballs', 'evidence']) rmSync(join(OUT, sub), { recursive: true, force: true });
    mkdirSync(join(OUT, 'tarballs'), { recursive: true });
    mkdirSync(join(OUT, 'evidence/@demo'), { recursive: true });

    // 1. Packages.
    const packed = PACKAGES.map((pkg) => packPackage(pkg, tmp));
    for (const p of packed) copyFileSync(p.tarballPath, join(OUT, 'tarballs', p.tarballName));

    // 2. Consumer project.
    const dependencies = Object.fromEntries(packed.map((p) => [p.name, VERSION]));
    writeFileSync(join(OUT, 'package.json'), json({ name: 'demo-app', version: '1.0.0', private: true, dependencies }));
    writeFileSync(
      join(OUT, 'package-lock.json'),
      json({
        name: 'demo-app',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'demo-app', version: '1.0.0', dependencies },
          ...Object.fromEntries(
            packed.map((p) => [`node_modules/${p.name}`, { version: VERSION, resolved: p.resolved, integrity: p.integrity, license: 'MIT' }]),
          ),
        },
      }),
    );

    // 3. Evidence, signed through real Sigstore protocols (Fulcio + Rekor + TSA).
    for (const p of packed) {
      const claims = claimsFor(p.pkg);
      const bundle = await sigstore.signStatement(statementFor(p, claims), { claims, tsa: true });
      writeFileSync(join(OUT, 'evidence', `${p.name}@${VERSION}.sigstore.json`), json(bundle));
    }

    // 4. Trust root of the local instance; 5. policy; 6. README.
    writeFileSync(join(OUT, 'trusted_root.json'), json(sigstore.trustedRoot));
    writeFileSync(join(OUT, 'pkgseal.policy.json'), json(POLICY));
    writeReadme();
  } finally {
    await sigstore.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  // Sanity check: read everything back from disk and verify with pkgseal.
  const trust = trustMaterialFromTrustedRoot(JSON.parse(readFileSync(join(OUT, 'trusted_root.json'), 'utf8')));
  const policy = JSON.parse(readFileSync(join(OUT, 'pkgseal.policy.json'), 'utf8')) as typeof POLICY;
  const rule = policy.packages[0]!.identities[0]!;
  const expectedIdentity: ExpectedIdentity = {
    issuer: { kind: 'exact', value: rule.issuer },
    subject: { kind: 'glob', pattern: rule.subject },
    repository: rule.repository,
  };
  const lock = JSON.parse(readFileSync(join(OUT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; resolved?: string; integrity?: string }>;
  };
  const verdicts: Record<string, string> = {};
  for (const pkg of PACKAGES) {
    const name = `@demo/${pkg.short}`;
    const entry = lock.packages[`node_modules/${name}`]!;
    const tarball = readFileSync(join(OUT, 'tarballs', `demo-${pkg.short}-${VERSION}.tgz`));
    const sha512 = createHash('sha512').update(tarball).digest();
    if (`sha512-${sha512.toString('base64')}` !== entry.integrity) throw new Error(`${name}: tarball does not match the lockfile integrity`);
    const evidence: unknown = JSON.parse(readFileSync(join(OUT, 'evidence', `${name}@${VERSION}.sigstore.json`), 'utf8'));
    try {
      const [attestation] = verifyArtifact({ evidence, trust, npmPackage: { name, version: VERSION, sha512 }, expectedIdentity });
      const signer = attestation!.signer.kind === 'certificate' ? attestation!.signer.identity.subject : attestation!.signer.keyID;
      const times = attestation!.timestamps.map((t) => `${t.source} ${t.time.toISOString()}`).join(', ');
      verdicts[name] = `PASS (signer ${signer}; ${attestation!.predicateType}; timestamps: ${times})`;
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      verdicts[name] = `FAIL ${error.code}: ${error.message}`;
    }
  }

  console.log(`wrote ${OUT}`);
  for (const [name, verdict] of Object.entries(verdicts)) console.log(`${name}@${VERSION}: ${verdict}`);
  const good = verdicts['@demo/good-lib'] ?? '';
  const evil = verdicts['@demo/evil-lib'] ?? '';
  if (!good.startsWith('PASS') || !evil.startsWith('FAIL IDENTITY_MISMATCH')) {
    console.error('unexpected verdicts: good-lib must pass and evil-lib must fail with IDENTITY_MISMATCH');
    process.exitCode = 1;
  }
}

const NEWCOMER_PACKAGES: DemoPackage[] = [
  {
    short: 'good-lib',
    description: 'Sample package, published by its own release workflow.',
    source: "export function greet(name) {\n  return `Hi, ${name}.`;\n}\n",
    repository: 'demo-org/good-lib',
    workflowRef: 'demo-org/good-lib/.github/workflows/release.yml@refs/tags/v1.0.0',
    ref: 'refs/tags/v1.0.0',
    version: '1.0.0',
  },
  {
    short: 'util',
    description: 'Sample utility package, published by its own release workflow.',
    source: 'export const identity = (value) => value;\n',
    repository: 'demo-org/util',
    workflowRef: 'demo-org/util/.github/workflows/release.yml@refs/tags/v2.0.0',
    ref: 'refs/tags/v2.0.0',
    version: '2.0.0',
  },
  {
    short: 'good-lib',
    description: 'Sample package, published by its own release workflow.',
    source: "export function greet(name) {\n  return `Hi, ${name}.`;\n}\n// the update: published from a fork by someone else\n",
    repository: 'attacker/fork',
    workflowRef: 'attacker/fork/.github/workflows/release.yml@refs/heads/main',
    ref: 'refs/heads/main',
    version: '1.0.1',
  },
];

function lockfileFor(name: string, dependencies: Record<string, string>, packed: Packed[]): object {
  return {
    name,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name, version: '1.0.0', dependencies },
      ...Object.fromEntries(
        packed.map((p) => [`node_modules/${p.name}`, { version: p.pkg.version ?? VERSION, resolved: p.resolved, integrity: p.integrity, license: 'MIT' }]),
      ),
    },
  };
}

/** fixtures/newcomer/: the project docs/getting-started.md starts from (no policy: `pkgseal init` writes it). */
async function makeNewcomer(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'pkgseal-newcomer-'));
  const sigstore = await startLocalSigstore();
  try {
    rmSync(NEWCOMER, { recursive: true, force: true });
    mkdirSync(join(NEWCOMER, 'tarballs'), { recursive: true });
    mkdirSync(join(NEWCOMER, 'evidence/@demo'), { recursive: true });
    const packed = NEWCOMER_PACKAGES.map((pkg) => packPackage(pkg, tmp));
    for (const p of packed) copyFileSync(p.tarballPath, join(NEWCOMER, 'tarballs', p.tarballName));
    for (const p of packed) {
      const claims = claimsFor(p.pkg);
      const bundle = await sigstore.signStatement(statementFor(p, claims), { claims, tsa: true });
      writeFileSync(join(NEWCOMER, 'evidence', `${p.name}@${p.pkg.version}.sigstore.json`), json(bundle));
    }
    const [good, util, update] = packed as [Packed, Packed, Packed];
    const dependencies = { '@demo/good-lib': '^1.0.0', '@demo/util': '^2.0.0' };
    writeFileSync(join(NEWCOMER, 'package.json'), json({ name: 'my-app', version: '1.0.0', private: true, dependencies }));
    writeFileSync(join(NEWCOMER, 'package-lock.json'), json(lockfileFor('my-app', dependencies, [good, util])));
    writeFileSync(join(NEWCOMER, 'package-lock.next.json'), json(lockfileFor('my-app', dependencies, [update, util])));
    writeFileSync(join(NEWCOMER, 'trusted_root.json'), json(sigstore.trustedRoot));
    writeFileSync(
      join(NEWCOMER, 'README.md'),
      [
        '# Newcomer sample project (generated)',
        '',
        'The project [docs/getting-started.md](../../docs/getting-started.md) starts from: `package.json`,',
        '`package-lock.json` (`@demo/good-lib@1.0.0`, `@demo/util@2.0.0`, both signed by their',
        "organisation's release workflows, demo-org/…), and `package-lock.next.json`, the same project",
        'after an update to `@demo/good-lib@1.0.1`, which `attacker/fork` signed. The tarballs and their',
        'Sigstore evidence (`evidence/`) were made by a local Sigstore instance described by',
        '`trusted_root.json` (not the demo\'s). There is no policy: `pkgseal init --from-tree` writes it.',
        '',
        'Do not edit by hand: `npx tsx scripts/make-demo-fixtures.ts` regenerates this folder.',
        '',
      ].join('\n'),
    );
  } finally {
    await sigstore.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  // Sanity check: every bundle verifies against the newcomer's root, signed by the expected repository.
  const trust = trustMaterialFromTrustedRoot(JSON.parse(readFileSync(join(NEWCOMER, 'trusted_root.json'), 'utf8')));
  for (const pkg of NEWCOMER_PACKAGES) {
    const name = `@demo/${pkg.short}`;
    const sha512 = createHash('sha512').update(readFileSync(join(NEWCOMER, 'tarballs', `demo-${pkg.short}-${pkg.version}.tgz`))).digest();
    const evidence: unknown = JSON.parse(readFileSync(join(NEWCOMER, 'evidence', `${name}@${pkg.version}.sigstore.json`), 'utf8'));
    const [attestation] = verifyArtifact({
      evidence,
      trust,
      npmPackage: { name, version: pkg.version!, sha512 },
      expectedIdentity: { issuer: { kind: 'exact', value: GITHUB_ISSUER }, repository: pkg.repository },
    });
    const signer = attestation!.signer.kind === 'certificate' ? attestation!.signer.identity.subject : attestation!.signer.keyID;
    console.log(`${name}@${pkg.version}: PASS (signer ${signer})`);
  }
  console.log(`wrote ${NEWCOMER}`);
}

await main();
await makeNewcomer();
