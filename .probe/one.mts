import { readFileSync } from 'node:fs';
const t = readFileSync('/work/shared/realdata/conformance/cases/rekor2-timestamp-with-embedded-cert/bundle.sigstore.json','utf8');
const i = 1203; const m = t.slice(0,i)+String.fromCharCode(t.charCodeAt(i)^1)+t.slice(i+1);
const a = JSON.parse(t).verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope;
const b = JSON.parse(m).verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope;
console.log(JSON.stringify(a)); console.log(JSON.stringify(b));
import { verifyArtifact } from '/work/main/src/verify/verify-artifact.ts';
import { trustMaterialFromTrustedRoot } from '/work/main/src/trust/trusted-root.ts';
const root = JSON.parse(readFileSync('/work/shared/realdata/conformance/cases/rekor2-timestamp-with-embedded-cert/trusted_root.json','utf8'));
const trust = trustMaterialFromTrustedRoot(root);
const doc = JSON.parse(m);
try { const r = verifyArtifact({ evidence: doc, trust, artifact: {kind:'bytes', data: readFileSync('/work/shared/realdata/conformance/a.txt')}, expectedIdentity: {subject:{kind:'regexp',pattern:'.*'}, issuer:{kind:'regexp',pattern:'.*'}} }); console.log('PASS', r[0].tlogEntries); } catch (e) { console.log('FAIL', e.message); }
const { parseBundle } = await import('/work/main/src/verify/bundle.ts');
console.log(JSON.stringify(parseBundle(doc).tlogEntries[0].inclusionProof?.checkpoint));
