// Network-namespace helpers for the test harness: create and remove namespaces, run programs
// inside them (nsenter --net, never `ip netns exec`, which remounts /sys), and build veth links
// whose both ends live in namespaces we made. Nothing here touches this machine's own namespace.

import { existsSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import type { Exec, ExecResult } from '../../src/lib/exec.js';

export const NETNS_DIR = '/run/netns';

/** Runs a program (argument array, no shell) and resolves with its result even on failure. */
export async function run(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const result = await execa(command, args, {
    input: options.input,
    reject: false,
    timeout: options.timeoutMs ?? 30_000,
    stripFinalNewline: false,
  });
  if (result.failed && result.exitCode === undefined) {
    throw new Error(`running ${command} ${args.join(' ')}: ${result.shortMessage}`, { cause: result.cause });
  }
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
}

/** Like run(), but throws with stderr when the exit code is not 0. */
export async function runOk(command: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string> {
  const result = await run(command, args, options);
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** argv prefix that runs a program in namespace `name` (network namespace only). */
export function nsenterArgs(name: string): string[] {
  return [`--net=${NETNS_DIR}/${name}`];
}

/** Runs `command args` inside namespace `name`; resolves with the result even on failure. */
export function netnsRun(name: string, command: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<ExecResult> {
  return run('nsenter', [...nsenterArgs(name), command, ...args], options);
}

/** Like netnsRun(), but throws when the exit code is not 0; resolves with stdout. */
export async function netnsRunOk(name: string, command: string, args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string> {
  return runOk('nsenter', [...nsenterArgs(name), command, ...args], options);
}

/** The product's Exec, bound to namespace `name`: give it to backends and detectDockerIptables. */
export function netnsExec(name: string): Exec {
  return (command, args, options) => netnsRun(name, command, args, { input: options?.input });
}

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/** Names of the namespaces in /run/netns. */
export function listNetns(): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : [];
}

/** Creates namespace `name` with its loopback up. Throws if it exists. */
export async function createNetns(name: string): Promise<void> {
  await runOk('ip', ['netns', 'add', name]);
  await runOk('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/**
 * Removes namespace `name` after killing every process still inside it (`ip netns pids`).
 * Its veths and addresses vanish with it. No-op when it does not exist.
 */
export async function removeNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  const pids = (await run('ip', ['netns', 'pids', name])).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run('ip', ['netns', 'del', name]);
}

/**
 * A veth pair from `a.ns`/`a.ifname` to `b.ns`/`b.ifname`, created inside `a.ns` (never in the
 * root namespace), both ends up, optional addresses (CIDR notation).
 */
export async function createVeth(
  a: { ns: string; ifname: string; addresses?: string[] },
  b: { ns: string; ifname: string; addresses?: string[] },
): Promise<void> {
  await runOk('ip', ['-n', a.ns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
  for (const end of [a, b]) {
    for (const address of end.addresses ?? []) await addAddress(end.ns, end.ifname, address);
    await runOk('ip', ['-n', end.ns, 'link', 'set', end.ifname, 'up']);
  }
}

/** Adds `cidr` (e.g. 10.10.10.20/24 or fd0a::1/64) to `ifname` in namespace `ns`. */
export async function addAddress(ns: string, ifname: string, cidr: string): Promise<void> {
  const family = cidr.includes(':') ? '-6' : '-4';
  const extra = family === '-6' ? ['nodad'] : [];
  await runOk('ip', ['-n', ns, family, 'addr', 'add', cidr, 'dev', ifname, ...extra]);
}

/** Adds a route in namespace `ns`: `ip route replace <to> via <via>` (or `dev` when no via). */
export async function addRoute(ns: string, to: string, route: { via?: string; dev?: string }): Promise<void> {
  const family = to.includes(':') || route.via?.includes(':') ? '-6' : '-4';
  const args = ['-n', ns, family, 'route', 'replace', to];
  if (route.via) args.push('via', route.via);
  if (route.dev) args.push('dev', route.dev);
  await runOk('ip', args);
}

/** Writes a sysctl inside namespace `ns` (only net.* keys are per namespace). */
export async function setNetnsSysctl(ns: string, key: string, value: string): Promise<void> {
  if (!key.startsWith('net.')) throw new Error(`harness: refusing non-namespaced sysctl ${key}`);
  await netnsRunOk(ns, 'busybox', ['sysctl', '-q', '-w', `${key}=${value}`]);
}
