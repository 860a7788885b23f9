// An Exec decorator that records how long each program ran, so a backend call can be split into
// time spent in nft/iptables (the kernel side) and time spent in our own render/parse code.

import type { Exec } from '../src/lib/exec.js';

export interface ExecTiming {
  command: string;
  /** The arguments as passed (tells `nft -f -` from `nft -j list`). */
  args: readonly string[];
  ms: number;
}

export interface TimedExec {
  exec: Exec;
  /** Calls recorded since the last take(); take() empties the record. */
  take(): ExecTiming[];
}

/** Wraps `base`; each call's wall time is recorded, results are passed through unchanged. */
export function timedExec(base: Exec): TimedExec {
  let calls: ExecTiming[] = [];
  const exec: Exec = async (command, args, options) => {
    const started = performance.now();
    try {
      return await base(command, args, options);
    } finally {
      calls.push({ command, args, ms: performance.now() - started });
    }
  };
  return {
    exec,
    take: () => {
      const taken = calls;
      calls = [];
      return taken;
    },
  };
}

/** Total ms of the calls whose command (basename) matches `pattern`. */
export function totalMs(calls: readonly ExecTiming[], pattern: RegExp): number {
  return calls.filter((c) => pattern.test(c.command)).reduce((sum, c) => sum + c.ms, 0);
}
