export interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface Progress {
  /** One more package checked. */
  tick(): void;
  /** Clears the line (when one was drawn); ticks after it draw nothing. */
  done(): void;
}

export interface ProgressOptions {
  /** Milliseconds before the line first appears; short runs show nothing. */
  delayMs?: number;
  /** Milliseconds between redraws, so a fast run does not flood the terminal. */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const SILENT: Progress = { tick() {}, done() {} };
const CLEAR_LINE = '\r\u001b[K';

/**
 * A single self-overwriting `checked N/TOTAL packages` line on a terminal, shown only once the
 * run has lasted about a second. Nothing at all when the stream is not a TTY or under CI, where
 * carriage returns only clutter logs.
 */
export function createProgress(stream: ProgressStream, env: NodeJS.ProcessEnv, total: number, options: ProgressOptions = {}): Progress {
  if (stream.isTTY !== true || isCi(env)) return SILENT;
  const now = options.now ?? Date.now;
  const delayMs = options.delayMs ?? 1000;
  const intervalMs = options.intervalMs ?? 100;
  const startedAt = now();
  let checked = 0;
  let drawnAt: number | undefined;
  let finished = false;
  return {
    tick() {
      if (finished) return;
      checked += 1;
      const time = now();
      if (time - startedAt < delayMs) return;
      if (drawnAt !== undefined && time - drawnAt < intervalMs && checked < total) return;
      drawnAt = time;
      stream.write(`${CLEAR_LINE}pkgseal: checked ${checked}/${total} packages`);
    },
    done() {
      if (finished) return;
      finished = true;
      if (drawnAt !== undefined) stream.write(CLEAR_LINE);
    },
  };
}

/** `CI` set to anything but an empty string, `0` or `false` (how CI services announce themselves). */
function isCi(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI !== 'false';
}
