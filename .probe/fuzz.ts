import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { verifyArtifact } from '/work/main/src/verify/verify-artifact.ts';
import { VerificationError } from '/work/main/src/verify/errors.ts';
import { trustMaterialFromTrustedRoot } from '/work/main/src/trust/trusted-root.ts';
import { publicGoodTrustMaterial } from '/work/main/src/trust/public-good.ts';

const R = '/work/shared/realdata';
const cases = JSON.parse(readFileSync(join(R, 'conformance/cases.json'), 'utf8'));
const passing = cases.cases.filter((c: any) => c.expected === 'pass' && c.verification.type === 'keyless');
const counts: Record<string, number> = {};
const others: string[] = [];
for (const c of passing) {
  const rootDoc = JSON.parse(readFileSync(c.trusted_root === 'public-good' ? join(R, 'trust/public-good.trusted_root.json') : join(R, 'conformance', c.trusted_root), 'utf8'));
  const trust = trustMaterialFromTrustedRoot(rootDoc);
  const bundleText = readFileSync(join(R, 'conformance', c.bundle), 'utf8');
  const artifact = { kind: 'bytes' as const, data: readFileSync(join(R, 'conformance', c.artifact)) };
  const expectedIdentity = { subject: { kind: 'exact' as const, value: c.verification.certificate_identity }, issuer: { kind: 'exact' as const, value: c.verification.certificate_oidc_issuer } };
  verifyArtifact({ evidence: JSON.parse(bundleText), trust, artifact, expectedIdentity });
  // byte flips in the raw text
  fc.assert(fc.property(fc.nat(), fc.integer({min:1,max:255}), (pos, x) => {
    const i = pos % bundleText.length;
    const text = bundleText.slice(0, i) + String.fromCharCode(bundleText.charCodeAt(i) ^ x) + bundleText.slice(i + 1);
    let doc: unknown;
    try { doc = JSON.parse(text); } catch { return true; }
    try {
      verifyArtifact({ evidence: doc, trust, artifact, expectedIdentity });
      if (false) counts['PASS:' + c.id + ':' + i + ':' + JSON.stringify(bundleText.slice(Math.max(0,i-30), i+10))] = 1;
    } catch (e) {
      if (e instanceof VerificationError) counts[e.code] = (counts[e.code] ?? 0) + 1;
      else others.push(`${c.id} @${i} ${JSON.stringify(bundleText.slice(Math.max(0,i-20), i+5))}: ${(e as Error).name}: ${(e as Error).message} ${(e as Error).stack?.split("\n").filter(l=>l.includes("/src/")).slice(0,3).join(" <- ")}`);
    }
    return true;
  }), { numRuns: 1500, seed: 42 });
}
console.log(counts);
console.log(others.length);
console.log([...new Set(others.map(o => o.replace(/^.*?: /, '').replace(/\(.*?\)/g,'')))].join('\n'));
