import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a process that lives seconds, not hours. By default V8 optimises a function
 * once it has run ~66 KB of bytecode, inlining up to 920 bytes of callees into it: an audit of
 * 1,800 signed packages spent ~0.6 s of CPU on background threads compiling (some functions for
 * 20-45 ms each), more than the optimised code then saved. Fewer and smaller optimised functions
 * cost ~10 % less CPU for the same wall time (bench/README.md). undici's HTTP parser is
 * WebAssembly, and its optimised compile is dropped too: Node waits for that compile before it
 * exits (~60 ms of a 10-package audit), for a parser that costs a few ms per thousand responses
 * in its baseline code.
 *
 * Only the CLI sets these, before it loads what does the work (test/cli-runtime.test.ts runs it on
 * Node 20 and 24: no flag may be unknown there).
 */
export function tuneV8ForShortRuns(): void {
  setFlagsFromString('--max-inlined-bytecode-size-cumulative=200');
  setFlagsFromString('--liftoff-only');
  // V8 11 (Node 20) tiers up by bytecode run; later ones count invocations, through Maglev first,
  // and V8 prints an error for a flag it does not know.
  if (process.versions.v8.startsWith('11.')) setFlagsFromString('--interrupt-budget=135168');
}
