// Reachability probes with real packets, from a container, from a LAN address or from the Docker
// host namespace. Each answers a boolean: true = a reply came back within the timeout (~2 s);
// false = refused, dropped or timed out. They throw only when the probe itself cannot run.

import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { DockerHost } from './docker-host.js';
import { LAN_SUFFIX } from './docker-host.js';
import { delay } from './dockerd.js';
import { netnsRun } from './netns.js';

/** Where a probe starts: inside a container, from a LAN address (in the LAN namespace), or the host namespace. */
export type ProbeFrom = { container: string } | { lan: string } | { host: true; src?: string };

export interface ProbeOptions {
  timeoutMs?: number; // default 2000
}

export interface Prober {
  /** TCP connect + `GET /x`; true when at least one byte comes back. */
  tcp(from: ProbeFrom, ip: string, port: number, options?: ProbeOptions): Promise<boolean>;
  /** One datagram (resent a few times); true when the echo server returns it. */
  udp(from: ProbeFrom, ip: string, port: number, options?: ProbeOptions): Promise<boolean>;
  /** One ICMP echo request; true on a reply. */
  ping(from: ProbeFrom, ip: string, options?: ProbeOptions): Promise<boolean>;
}

/** Probes for `host` (and its LAN, once attachLan(host) ran). */
export function createProber(host: DockerHost): Prober {
  const lanNs = `${host.name}${LAN_SUFFIX}`;
  const probe = async (from: ProbeFrom, args: string[], timeoutMs: number): Promise<boolean> => {
    const full = [...args, '--timeout', String(timeoutMs)];
    if ('container' in from) return verdict(await execInContainer(host.docker, from.container, ['dfprobe', ...full]), full);
    const src = 'lan' in from ? from.lan : from.src;
    const ns = 'lan' in from ? lanNs : host.name;
    return verdict(await netnsRun(ns, host.image.probePath, src ? [...full, '--src', src] : full), full);
  };
  return {
    tcp: (from, ip, port, options) => probe(from, ['tcp', ip, String(port)], options?.timeoutMs ?? 2000),
    udp: (from, ip, port, options) => probe(from, ['udp', ip, String(port)], options?.timeoutMs ?? 2000),
    ping: async (from, ip, options) => {
      const seconds = String(Math.max(1, Math.round((options?.timeoutMs ?? 2000) / 1000)));
      if ('container' in from) {
        return (await execInContainer(host.docker, from.container, ['ping', '-c', '1', '-W', seconds, ip])).exitCode === 0;
      }
      const src = 'lan' in from ? from.lan : from.src;
      const args = ['ping', '-c', '1', '-W', seconds, ...(src ? ['-I', src] : []), ip];
      return (await netnsRun('lan' in from ? lanNs : host.name, 'busybox', args)).exitCode === 0;
    },
  };
}

function verdict(result: { exitCode: number; stderr: string }, args: string[]): boolean {
  if (result.exitCode === 0) return true;
  if (result.exitCode === 1) return false;
  throw new Error(`harness: probe ${args.join(' ')} could not run (exit ${result.exitCode}): ${result.stderr.trim()}`);
}

/**
 * Runs `cmd` in a running container through the Docker API (no CLI process) and resolves with
 * its exit code and output. Throws when the container does not exist or is not running.
 */
export async function execInContainer(
  docker: Dockerode,
  container: string,
  cmd: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let stdout = '';
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const sink = (append: (text: string) => void): Writable =>
      new Writable({ write: (chunk: Buffer, _encoding, done) => (append(chunk.toString()), done()) });
    docker.modem.demuxStream(stream, sink((t) => (stdout += t)), sink((t) => (stderr += t)));
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, stdout, stderr };
    if (i > 100) throw new Error(`harness: exec ${cmd.join(' ')} in ${container} did not finish`);
    await delay(20);
  }
}

/**
 * Polls `check` until it returns `expected` or `timeoutMs` passes; resolves with the last
 * answer. For conditions that become true after a reconcile: assert on the result.
 */
export async function pollUntil(check: () => Promise<boolean>, expected = true, timeoutMs = 10_000, intervalMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer === expected || Date.now() > deadline) return answer;
    await delay(intervalMs);
  }
}
