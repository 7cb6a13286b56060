import { readFileSync } from 'node:fs';
import { verifyArtifact } from '/work/main/src/verify/verify-artifact.ts';
import { trustMaterialFromTrustedRoot } from '/work/main/src/trust/trusted-root.ts';
const dir = '/work/shared/realdata/conformance/cases/' + process.argv[2];
const t = readFileSync(dir + '/bundle.sigstore.json','utf8');
const root = JSON.parse(readFileSync(dir + '/trusted_root.json','utf8'));
const trust = trustMaterialFromTrustedRoot(root);
const i = Number(process.argv[3]);
for (let x = 1; x < 256; x++) {
  const m = t.slice(0,i)+String.fromCharCode(t.charCodeAt(i)^x)+t.slice(i+1);
  let doc; try { doc = JSON.parse(m) } catch { continue }
  try { verifyArtifact({ evidence: doc, trust, artifact: {kind:'bytes', data: readFileSync('/work/shared/realdata/conformance/a.txt')}, expectedIdentity: {subject:{kind:'regexp',pattern:'.*'}, issuer:{kind:'regexp',pattern:'.*'}} }); console.log('PASS', x, JSON.stringify(m.slice(i-10, i+10))); } catch (e) { }
}
