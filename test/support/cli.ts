import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './realdata.js';

/**
 * Tests never touch the user's verification cache or its key, and each run starts with an empty
 * cache unless the test names one (PKGSEAL_CACHE_DIR): a run must not pass on what an earlier
 * test's run verified (the verified-subjects record would let it skip fetching evidence).
 */
const ISOLATED = mkdtempSync(join(tmpdir(), 'pkgseal-cli-home-'));
const isolationEnv = () => ({ PKGSEAL_CACHE_DIR: mkdtempSync(join(ISOLATED, 'cache-')), XDG_CONFIG_HOME: join(ISOLATED, 'config') });

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`dist/cli/main.js`) as a user would, never throwing on a non-zero exit. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { ...isolationEnv(), ...(options.env ?? process.env) }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A user-facing error is one line and never a stack trace. */
export function isOneCleanLine(text: string): boolean {
  const lines = text.trim().split('\n');
  return lines.length === 1 && !/^\s+at /m.test(text);
}
