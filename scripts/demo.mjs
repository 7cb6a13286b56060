// The README's demo: audit the bundled offline project in fixtures/demo (one pass, one violation),
// then verify one of its tarballs directly. Runs the built CLI exactly as a user would.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'fixtures/demo');
const cli = join(root, 'dist/cli/main.js');

function run(title, args) {
  console.log(`\n$ pkgseal ${args.join(' ')}   # ${title}`);
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: demo, stdio: 'inherit' });
  console.log(`(exit code ${result.status})`);
  return result.status;
}

const auditExit = run('gate the demo project on its policy', ['audit', '.', '--offline', '--verbose']);
const verifyExit = run('verify one tarball and its signer directly', [
  'verify', 'tarballs/demo-good-lib-1.0.0.tgz',
  '--bundle', 'evidence/@demo/good-lib@1.0.0.sigstore.json',
  '--trusted-root', 'trusted_root.json',
  '--cert-identity-regexp', 'https://github\\.com/demo-org/good-lib/\\.github/workflows/release\\.yml@refs/tags/v.*',
  '--cert-oidc-issuer', 'https://token.actions.githubusercontent.com',
  '--repository', 'demo-org/good-lib',
]);
const asExpected = auditExit === 1 && verifyExit === 0;
console.log(asExpected
  ? '\nDemo OK: @demo/good-lib passes, @demo/evil-lib (signed from attacker/fork) is a violation, so audit exits 1.'
  : '\nDemo did NOT behave as expected (audit should exit 1, verify 0).');
process.exit(asExpected ? 0 : 1);
