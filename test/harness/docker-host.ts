// startDockerHost(): a simulated Docker host for e2e tests - a network namespace with its own
// dockerd (own roots and socket), the harness image imported, and stop() that removes it all.
// Names carry the creating pid, so parallel files never collide and a later run can sweep
// what a crashed run left behind.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Dockerode from 'dockerode';
import type { Exec, ExecResult } from '../../src/lib/exec.js';
import { destroyHost, hostSocketPath, hostStateDir, liveDockerdPid, logTail, spawnDockerd, stopDockerd } from './dockerd.js';
import { ensureHarnessImage, IMAGE_REF, type HarnessImage } from './image.js';
import { createNetns, listNetns, netnsExec, removeNetns, run } from './netns.js';

export const HOST_PREFIX = 'dfh-';
/** attachLan() names its namespace `<host>-lan`. */
export const LAN_SUFFIX = '-lan';

export interface DockerHostOptions {
  /** Short label (lowercase letters, digits, dashes; <= 16 chars) in the namespace name. */
  name: string;
  /** dockerd --iptables=true|false. */
  iptables: boolean;
  /**
   * dockerd --experimental --ip6tables (Docker 20.10): Docker then also isolates networks and
   * masquerades over IPv6, in ip6tables' DOCKER-* chains. Default false. Needs `iptables: true`.
   */
  ip6tables?: boolean;
  /** More dockerd flags, e.g. ['--ip-masq=false']. */
  extraDockerdArgs?: string[];
}

export interface DockerHostTimings {
  imageBuildMs: number; // 0-ish when the cache had the image
  dockerdStartMs: number;
  imageImportMs: number;
}

export interface DockerHost {
  /** The namespace that plays the Docker host; also names the socket /run/<name>.sock. */
  readonly name: string;
  readonly iptables: boolean;
  readonly ip6tables: boolean;
  /** DOCKER_HOST-style URL of this dockerd, for `dockfence serve --docker-host`. */
  readonly dockerHost: string;
  readonly socketPath: string;
  readonly docker: Dockerode;
  readonly image: HarnessImage;
  readonly timings: DockerHostTimings;
  /** Runs programs inside the host namespace (the product's Exec shape). */
  readonly exec: Exec;
  /** The docker CLI against this dockerd. */
  cli(args: readonly string[]): Promise<ExecResult>;
  /** dockerd's current pid, or undefined while it is down. */
  dockerdPid(): number | undefined;
  /** Stops dockerd (SIGTERM waits for a clean stop; SIGKILL does not) and starts it again on the same roots. */
  restartDockerd(signal?: NodeJS.Signals): Promise<void>;
  /** Registers a teardown step that stop() runs first (last registered, first run). */
  onStop(step: () => Promise<void>): void;
  /** Removes containers, networks, dockerd, the state dir and the namespace. Idempotent. */
  stop(): Promise<void>;
}

let counter = 0;
let sweep: Promise<void> | undefined;

/**
 * Creates the namespace, starts dockerd in it and imports IMAGE_REF. Sweeps stale harness hosts
 * of dead processes first (once per process). On failure everything created so far is removed
 * before the error is thrown. Call stop() in afterAll.
 */
export async function startDockerHost(options: DockerHostOptions): Promise<DockerHost> {
  if (!/^[a-z0-9-]{1,16}$/.test(options.name)) throw new Error(`harness: bad host label ${options.name}`);
  if (options.ip6tables && !options.iptables) throw new Error('harness: ip6tables needs iptables (dockerd refuses --ip6tables without it)');
  sweep ??= sweepStaleHosts();
  await sweep;
  const name = `${HOST_PREFIX}${process.pid}-${++counter}-${options.name}`;
  const steps: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const step of steps.splice(0).reverse()) await step().catch((e: unknown) => errors.push(e));
    await destroyHost(name).catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, `harness: stopping ${name}`);
  };
  try {
    let t = performance.now();
    const image = await ensureHarnessImage();
    const imageBuildMs = performance.now() - t;
    mkdirSync(hostStateDir(name), { recursive: true });
    await createNetns(name);
    const config = { name, iptables: options.iptables, ip6tables: options.ip6tables === true, extraArgs: options.extraDockerdArgs };
    t = performance.now();
    await spawnDockerd(config);
    const dockerdStartMs = performance.now() - t;
    const docker = new Dockerode({ socketPath: hostSocketPath(name) });
    t = performance.now();
    await importImage(docker, image.tarPath);
    const imageImportMs = performance.now() - t;
    return {
      name,
      iptables: options.iptables,
      ip6tables: options.ip6tables === true,
      dockerHost: `unix://${hostSocketPath(name)}`,
      socketPath: hostSocketPath(name),
      docker,
      image,
      timings: { imageBuildMs, dockerdStartMs, imageImportMs },
      exec: netnsExec(name),
      cli: (args) => run('docker', ['-H', `unix://${hostSocketPath(name)}`, ...args], { timeoutMs: 60_000 }),
      dockerdPid: () => liveDockerdPid(name),
      restartDockerd: async (signal = 'SIGTERM') => {
        await stopDockerd(name, signal);
        await spawnDockerd(config);
      },
      onStop: (step) => void steps.push(step),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** docker import of the harness tar as IMAGE_REF; throws when the image is not there afterwards. */
async function importImage(docker: Dockerode, tarPath: string): Promise<void> {
  const [repo, tag] = IMAGE_REF.split(':');
  const stream = await docker.importImage(tarPath, { repo, tag });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  await docker.getImage(IMAGE_REF).inspect();
}

/**
 * Removes harness hosts (namespaces, `-lan` namespaces, state dirs) whose creating process is
 * gone: their names start with `dfh-<pid>-`. Hosts of live processes are left alone.
 */
export async function sweepStaleHosts(): Promise<void> {
  const stale = (names: string[]): string[] =>
    names.filter((n) => {
      const match = new RegExp(`^${HOST_PREFIX}(\\d+)-`).exec(n);
      return match !== null && !processAlive(Number(match[1]));
    });
  const namespaces = stale(listNetns());
  const dirs = existsSync(dirname(hostStateDir('x'))) ? stale(readdirSync(dirname(hostStateDir('x')))) : [];
  const hosts = new Set([...namespaces.filter((n) => !n.endsWith(LAN_SUFFIX)), ...dirs]);
  for (const ns of namespaces.filter((n) => n.endsWith(LAN_SUFFIX))) await removeNetns(ns).catch(() => undefined);
  for (const host of hosts) {
    await destroyHost(host).catch((e: unknown) => console.warn(`harness sweep of ${host}: ${String(e)}\n${logTail(host)}`));
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
