// The benchmark's network namespaces: every one it makes is named `dfbench-<pid>-<n>`, recorded,
// and removed at the end (processes inside killed first), also on Ctrl-C. Stale ones left by a
// killed earlier run (pid gone) are swept at start. Nothing here touches this machine's own namespace.

import { createNetns } from '../test/harness/netns-exec.js';
import { listNetns, removeNetns } from '../test/harness/netns.js';
import type { Exec } from '../src/lib/exec.js';

export interface BenchNetns {
  readonly name: string;
  /** Runs a program inside the namespace (nsenter --net). */
  readonly exec: Exec;
}

const PREFIX = 'dfbench';
const created = new Set<string>();

/** A fresh namespace with loopback up. Throws when `ip netns add` fails (not root). */
export async function benchNetns(): Promise<BenchNetns> {
  const ns = await createNetns(PREFIX);
  created.add(ns.name);
  return { name: ns.name, exec: ns.exec };
}

/** Kills what runs inside and deletes the namespace (with its interfaces). */
export async function removeBenchNetns(ns: BenchNetns | string): Promise<void> {
  const name = typeof ns === 'string' ? ns : ns.name;
  await removeNetns(name);
  created.delete(name);
}

/** Removes every namespace this process made; safe to call more than once. */
export async function removeAllBenchNetns(): Promise<void> {
  for (const name of [...created]) await removeBenchNetns(name);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `dfbench-<pid>-*` namespaces whose process is gone; returns their names. */
export async function sweepStaleBenchNetns(): Promise<string[]> {
  const stale = listNetns().filter((name) => {
    const match = new RegExp(`^${PREFIX}-(\\d+)-\\d+$`).exec(name);
    return match !== null && Number(match[1]) !== process.pid && !alive(Number(match[1]));
  });
  for (const name of stale) await removeNetns(name);
  return stale;
}
