import { execFile } from 'node:child_process';
import { CLI } from './realdata.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`dist/cli/main.js`) as a user would, never throwing on a non-zero exit. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
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
