// Reads standard input with readLockYaml and prints "done": test/pnpm-lock-yaml.test.ts runs it in
// a process it can kill, so that a reader that stalls fails the test instead of hanging it.
import { readFileSync } from 'node:fs';
import { readLockYaml } from '../../src/tree/pnpm-lock-yaml.js';

readLockYaml(readFileSync(0, 'utf8'), 4);
process.stdout.write('done');
