// Throwaway network namespaces for tests that run real nft/iptables/ip: create one, get an Exec
// that runs commands inside it (`nsenter --net=/run/netns/NAME`), remove it. Nothing here touches
// the machine's own network namespace.

import { execReal, type Exec, type ExecResult } from '../../src/lib/exec.js';

export interface Netns {
  readonly name: string;
  /** Runs a command inside the namespace. */
  readonly exec: Exec;
  /** Deletes the namespace (and every interface in it); safe to call twice. */
  remove(): Promise<void>;
}

let counter = 0;

/** True when the tests can create namespaces and run nft (root). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** An Exec that runs each command inside the named namespace. */
export function netnsExec(name: string, base: Exec = execReal): Exec {
  return (command, args, options) => base('nsenter', [`--net=/run/netns/${name}`, command, ...args], options);
}

/** Runs a command and throws with its stderr when it exits non-zero; returns stdout. */
export async function mustRun(exec: Exec, command: string, args: readonly string[], input?: string): Promise<string> {
  const result: ExecResult = await exec(command, args, input === undefined ? undefined : { input });
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Creates `<prefix>-<pid>-<n>` with loopback up. Throws when `ip netns add` fails (not root). */
export async function createNetns(prefix = 'dft'): Promise<Netns> {
  counter += 1;
  const name = `${prefix}-${process.pid}-${counter}`;
  await mustRun(execReal, 'ip', ['netns', 'add', name]);
  const exec = netnsExec(name);
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    await execReal('ip', ['netns', 'delete', name]);
  };
  try {
    await mustRun(exec, 'ip', ['link', 'set', 'lo', 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return { name, exec, remove };
}
