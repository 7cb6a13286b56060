import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { evaluateSignedRule, findRule, type Verdict } from '../policy/evaluate.js';
import { loadPolicy, PolicyError } from '../policy/load-policy.js';
import type { PackageRule, Policy } from '../policy/policy.types.js';
import { formatJson, formatText, summarize, type AuditReport } from '../report/audit-report.js';
import { readDirEvidence } from '../sources/dir-source.js';
import type { TrustMaterial } from '../trust/trust.types.js';
import { LockfileError, readNpmLockfile } from '../tree/npm-lockfile.js';
import type { TreePackage } from '../tree/tree.types.js';
import { parseSha512Integrity } from '../verify/artifact.js';
import { VerificationError } from '../verify/errors.js';
import { classifyEvidence, verifyEvidence } from '../verify/npm-attestations.js';
import { loadTrust } from './trust-options.js';
import { EXIT, UsageError } from './usage-error.js';

interface AuditFlags {
  policy?: string;
  offline?: boolean;
  format: 'text' | 'json';
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('Check every package in a project\'s lockfile against the policy: who must have signed it')
    .argument('[dir]', 'project folder holding package-lock.json', '.')
    .option('--policy <file>', 'policy file (default: <dir>/pkgseal.policy.json)')
    .option('--offline', 'no network: evidence only from dir sources')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', `
Examples:
  $ pkgseal audit
  $ pkgseal audit fixtures/demo --offline --format json

Exit codes: 0 all packages conform (or mode: warn), 1 violations, 2 usage or configuration error.`)
    .action(async (dir: string, flags: AuditFlags) => {
      process.exitCode = await runAudit(dir, flags);
    });
}

async function runAudit(dir: string, flags: AuditFlags): Promise<number> {
  const policyFile = flags.policy ?? join(dir, 'pkgseal.policy.json');
  const policy = await loadPolicy(policyFile).catch(rethrowAsUsage);
  const packages = await readNpmLockfile(join(dir, 'package-lock.json')).catch(rethrowAsUsage);
  const trustByName = new Map<string, TrustMaterial>();
  for (const entry of policy.trust) {
    trustByName.set(entry.name, await loadTrust(entry.trustedRoot ? { trustedRoot: entry.trustedRoot } : {}));
  }
  const results = [];
  for (const pkg of packages) results.push({ package: pkg, verdict: await auditPackage(pkg, policy, trustByName, flags) });
  const report: AuditReport = { policy: resolve(policyFile), mode: policy.mode, results };
  process.stdout.write(flags.format === 'json' ? formatJson(report) : formatText(report));
  return summarize(report).violations > 0 && policy.mode === 'enforce' ? EXIT.violation : EXIT.ok;
}

function rethrowAsUsage(error: unknown): never {
  if (error instanceof PolicyError || error instanceof LockfileError) throw new UsageError(error.message);
  throw error;
}

async function auditPackage(pkg: TreePackage, policy: Policy, trustByName: Map<string, TrustMaterial>, flags: AuditFlags): Promise<Verdict> {
  const spec = `${pkg.name}@${pkg.version}`;
  const rule = findRule(policy, pkg.name, pkg.version);
  if (!rule) return { outcome: 'violation', reason: 'no policy entry matches this package', fix: `add an entry whose "match" covers "${pkg.name}" to ${policy.file}` };
  if (rule.require === 'none') return { outcome: 'pass', reason: `policy entry "${rule.match}" requires nothing` };
  if (pkg.unsupportedSource) return { outcome: 'violation', reason: `unsupported source (${pkg.unsupportedSource})`, fix: `set require "none" for "${pkg.name}" if this is intended` };
  if (rule.require === 'registry-signature') {
    return { outcome: 'violation', reason: 'registry signatures are not checked by this version yet', fix: 'require "signed" or "provenance" for this entry' };
  }
  const sha512 = pkg.integrity ? parseSha512Integrity(pkg.integrity) : undefined;
  if (!sha512) return { outcome: 'violation', reason: 'the lockfile has no sha512 integrity for it', fix: 'regenerate the lockfile with npm 7 or newer' };
  return verifySigned(pkg, spec, sha512, rule, policy, trustByName, flags);
}

async function verifySigned(
  pkg: TreePackage,
  spec: string,
  sha512: Buffer,
  rule: PackageRule,
  policy: Policy,
  trustByName: Map<string, TrustMaterial>,
  flags: AuditFlags,
): Promise<Verdict> {
  const trust = trustByName.get(rule.trust ?? policy.trust[0]!.name)!;
  const tried: string[] = [];
  for (const source of policy.sources) {
    if (source.kind !== 'dir') {
      tried.push(flags.offline ? `${source.kind} (skipped: --offline)` : `${source.kind} (not supported by this version yet)`);
      continue;
    }
    const found = await readDirEvidence(source.dir, pkg.name, pkg.version);
    if (!found) {
      tried.push(`dir ${source.dir} (nothing for ${spec})`);
      continue;
    }
    try {
      const attestations = verifyEvidence(classifyEvidence(JSON.parse(found.text)), {
        trust,
        npmPackage: { name: pkg.name, version: pkg.version, sha512 },
      });
      return evaluateSignedRule(rule, spec, attestations);
    } catch (error) {
      const reason = error instanceof VerificationError ? error.message : error instanceof SyntaxError ? 'evidence is not valid JSON' : String(error);
      return { outcome: 'violation', reason: `evidence ${found.location} does not verify: ${reason}`, fix: `re-sign ${spec} or remove the bad evidence` };
    }
  }
  return { outcome: 'violation', reason: `no evidence found (tried: ${tried.join(', ') || 'no sources'})`, fix: `publish ${spec} with pkgseal, or add its bundle to a dir source` };
}
