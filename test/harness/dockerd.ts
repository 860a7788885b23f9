// dockerd as a process inside a harness namespace: spawn it with its own data/exec roots and
// socket (HARNESS.md: nsenter --net, never `ip netns exec`), wait until it answers, stop it by
// pid, and tear a host's leftovers down (containers, processes, mounts, files, namespace).

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { NETNS_DIR, removeNetns, run } from './netns.js';

/** Where a harness host keeps its roots, pidfile and log. */
export function hostStateDir(name: string): string {
  return join(tmpdir(), 'dockfence-harness', name);
}

export function hostSocketPath(name: string): string {
  return `/run/${name}.sock`;
}

export interface DockerdConfig {
  name: string; // the namespace dockerd runs in; also names its socket and state dir
  iptables: boolean;
  /** dockerd 20.10 manages ip6tables only as an experimental feature: `--experimental --ip6tables`. */
  ip6tables?: boolean;
  extraArgs?: string[];
}

/** The dockerd command line for `config` (also stored in the state dir for the stale sweep). */
export function dockerdArgs(config: DockerdConfig): string[] {
  const dir = hostStateDir(config.name);
  return [
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'),
    '--config-file', join(dir, 'daemon.json'),
    '-H', `unix://${hostSocketPath(config.name)}`,
    `--iptables=${config.iptables}`,
    ...(config.ip6tables ? ['--experimental', '--ip6tables'] : []),
    ...(config.extraArgs ?? []),
  ];
}

/**
 * Starts dockerd in namespace `config.name` (detached: it outlives a crashed test worker, and the
 * next run's sweep stops it) and waits until the API answers. Returns its pid. Throws with the
 * log's tail when it exits or does not answer within `timeoutMs`.
 */
export async function spawnDockerd(config: DockerdConfig, timeoutMs = 60_000): Promise<number> {
  const dir = hostStateDir(config.name);
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  writeFileSync(join(dir, 'dockerd.json'), JSON.stringify(config));
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn('nsenter', [`--net=${NETNS_DIR}/${config.name}`, 'dockerd', ...dockerdArgs(config)], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
  child.once('error', (error) => (exited = `failed to start: ${error.message}`));
  child.unref();
  const docker = new Dockerode({ socketPath: hostSocketPath(config.name) });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`dockerd in ${config.name} ${exited}:\n${logTail(config.name)}`);
    try {
      await docker.ping();
      return child.pid!;
    } catch {
      if (Date.now() > deadline) throw new Error(`dockerd in ${config.name} not ready after ${timeoutMs} ms:\n${logTail(config.name)}`);
      await delay(50);
    }
  }
}

/** The last lines of a host's dockerd log, for error messages. */
export function logTail(name: string, lines = 20): string {
  const file = join(hostStateDir(name), 'dockerd.log');
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
}

/** The pid of this host's dockerd when it is alive and really ours (cmdline names our state dir). */
export function liveDockerdPid(name: string): number | undefined {
  const pidFile = join(hostStateDir(name), 'dockerd.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return pid > 0 && processMentions(pid, `${hostStateDir(name)}/`) ? pid : undefined;
}

/**
 * Sends `signal` to the host's dockerd and waits (up to `timeoutMs`, then SIGKILL) until it is
 * gone, then until its containerd is gone too (SIGKILL after 5 s): a dockerd restarted while the
 * old containerd is still dying hangs on it. Container shims keep running (as on a real host).
 */
export async function stopDockerd(name: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<void> {
  const pid = liveDockerdPid(name);
  if (pid !== undefined) {
    process.kill(pid, signal);
    await waitGone([pid], `${hostStateDir(name)}/`, timeoutMs);
  }
  const containerdConfig = join(hostStateDir(name), 'exec', 'containerd', 'containerd.toml');
  await waitGone(pidsMentioning(containerdConfig), containerdConfig, 5_000);
  // The dead containerd may linger as a zombie (this machine's init reaps slowly); dockerd would
  // take its pidfile for a live containerd and wait for it forever.
  rmSync(join(hostStateDir(name), 'exec', 'containerd', 'containerd.pid'), { force: true });
}

/** Waits until none of `pids` still runs with `mark` in its cmdline; SIGKILLs them after `timeoutMs`. */
async function waitGone(pids: number[], mark: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let alive = pids; alive.length > 0; alive = alive.filter((p) => processMentions(p, mark))) {
    if (Date.now() > deadline) alive.forEach(kill);
    await delay(50);
  }
}

/**
 * Tears down everything of host `name`: removes its containers and networks through dockerd
 * (restarting dockerd on the same roots first if it died and left containers), stops dockerd,
 * kills what is left in its namespace or mentions its state dir, unmounts, deletes the state
 * dir, the socket and the namespace. Safe to call on a half-built or already-removed host.
 */
export async function destroyHost(name: string): Promise<void> {
  const dir = hostStateDir(name);
  const errors: unknown[] = [];
  const configFile = join(dir, 'dockerd.json');
  if (liveDockerdPid(name) === undefined && existsSync(configFile) && existsSync(`${NETNS_DIR}/${name}`) && readdirSafe(join(dir, 'data', 'containers')).length > 0) {
    await spawnDockerd(JSON.parse(readFileSync(configFile, 'utf8')) as DockerdConfig, 20_000).catch((e: unknown) => errors.push(e));
  }
  if (liveDockerdPid(name) !== undefined) {
    await removeAllDockerObjects(new Dockerode({ socketPath: hostSocketPath(name) })).catch((e: unknown) => errors.push(e));
    await stopDockerd(name).catch((e: unknown) => errors.push(e));
  }
  for (const pid of pidsMentioning(`${dir}/`)) kill(pid);
  await removeNetns(name).catch((e: unknown) => errors.push(e));
  await unmountUnder(dir).catch((e: unknown) => errors.push(e));
  rmSync(dir, { recursive: true, force: true });
  rmSync(hostSocketPath(name), { force: true });
  if (errors.length > 0) throw new AggregateError(errors, `harness: tearing down ${name}`);
}

/** Force-removes every container and every user-defined network of a dockerd. */
export async function removeAllDockerObjects(docker: Dockerode): Promise<void> {
  const containers = await docker.listContainers({ all: true });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  const networks = await docker.listNetworks();
  const builtin = new Set(['bridge', 'host', 'none']);
  await Promise.all(networks.filter((n) => !builtin.has(n.Name)).map((n) => docker.getNetwork(n.Id).remove()));
}

async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((target): target is string => !!target && (target === dir || target.startsWith(`${dir}/`)));
  for (const target of mounts.sort((a, b) => b.length - a.length)) await run('umount', ['-l', target]);
}

function processMentions(pid: number, text: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
  } catch {
    return false;
  }
}

function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid && processMentions(pid, text)) pids.push(pid);
  }
  return pids;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
