// Traffic for the data-plane bench: TCP bulk throughput with iperf3, and small-UDP packet rates
// with our own udp-blast (bench/udp-blast.c), counted where the router forwards them. Daemons
// started here are children of this process and are stopped by their pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETNS_DIR, runOk } from '../test/harness/netns.js';
import { mustRun } from '../test/harness/netns-exec.js';
import type { BenchNetns } from './netns.js';
import { txPackets } from './topology.js';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'udp-blast.c');

/** Compiles udp-blast once per source version into the temp dir; returns its path. Throws when gcc fails. */
export async function buildBlaster(): Promise<string> {
  const source = readFileSync(SOURCE);
  const dir = join(tmpdir(), 'dockfence-bench');
  const binary = join(dir, `udp-blast-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  await runOk('gcc', ['-O2', '-Wall', '-o', partial, SOURCE], { timeoutMs: 60_000 });
  renameSync(partial, binary);
  return binary;
}

export interface Daemon {
  pid: number;
  stop(): Promise<void>;
}

/** Starts `command args` inside `ns` and resolves once its output matches `ready` (10 s at most). */
export function startDaemon(ns: BenchNetns, command: string, args: string[], ready: RegExp): Promise<Daemon> {
  const child: ChildProcess = spawn('nsenter', [`--net=${NETNS_DIR}/${ns.name}`, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`bench: ${command} did not start in ${ns.name}: ${seen}`))), 10_000);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (!ready.test(seen)) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      child.stderr?.resume();
      resolve({ pid: child.pid as number, stop });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${command} exited ${code} in ${ns.name}: ${seen}`));
    });
  });
}

export interface BlastResult {
  sent: number;
  forwarded: number;
  seconds: number;
  /** Forwarded packets per second: what the router got through (wall clock, load-sensitive). */
  pps: number;
  /** udp-blast's CPU time (incl. the in-context forwarding softirq) per forwarded packet, in ns. */
  cpuNs: number;
}

export interface BlastOptions {
  blaster: string;
  from: BenchNetns;
  dst: string;
  port: number;
  seconds: number;
  /** Size of the UDP payload (default 64 bytes). */
  size?: number;
  /** Get one reply first, so the flow is ESTABLISHED (default false: every packet is NEW). */
  handshake?: boolean;
  /** Where forwarded packets are counted: the router's interface towards dst. */
  countOn: { ns: BenchNetns; ifname: string };
  /** Pin the sender (and so the in-context forwarding) to this CPU with taskset. */
  cpu?: number;
}

/** Sends for `seconds` and counts what the router forwarded. Throws when udp-blast fails. */
export async function blast(options: BlastOptions): Promise<BlastResult> {
  const before = await txPackets(options.countOn.ns, options.countOn.ifname);
  const args = ['send', options.dst, String(options.port), String(options.size ?? 64), String(options.seconds)];
  if (options.handshake) args.push('--handshake');
  const out =
    options.cpu === undefined
      ? await mustRun(options.from.exec, options.blaster, args)
      : await mustRun(options.from.exec, 'taskset', ['-c', String(options.cpu), options.blaster, ...args]);
  const after = await txPackets(options.countOn.ns, options.countOn.ifname);
  const match = /^sent (\d+) ([\d.]+) ([\d.]+)/m.exec(out);
  if (!match) throw new Error(`bench: unexpected udp-blast output: ${out}`);
  const seconds = Number(match[2]);
  const forwarded = after - before;
  return { sent: Number(match[1]), forwarded, seconds, pps: forwarded / seconds, cpuNs: (Number(match[3]) * 1e9) / Math.max(1, forwarded) };
}

export interface TcpResult {
  gbps: number;
  /** Client + server CPU time per GB received, in ms (iperf3's own getrusage figures). */
  cpuMsPerGB: number;
}

interface IperfJson {
  end?: {
    sum_received?: { bits_per_second?: number; bytes?: number; seconds?: number };
    cpu_utilization_percent?: { host_total?: number; remote_total?: number };
  };
}

/** TCP bulk throughput from `from` to an iperf3 server at `dst` (whole seconds, iperf3's unit). */
export async function iperfTcp(from: BenchNetns, dst: string, seconds: number): Promise<TcpResult> {
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await from.exec('iperf3', ['-c', dst, '-t', String(Math.max(1, Math.round(seconds))), '-J']);
    if (result.exitCode === 0) {
      const end = (JSON.parse(result.stdout) as IperfJson).end;
      const received = end?.sum_received;
      const cpu = end?.cpu_utilization_percent;
      if (typeof received?.bits_per_second !== 'number' || !received.bytes || !received.seconds || !cpu) {
        throw new Error(`bench: iperf3 reported no received rate: ${result.stdout.slice(0, 300)}`);
      }
      const cpuMs = (((cpu.host_total ?? 0) + (cpu.remote_total ?? 0)) / 100) * received.seconds * 1000;
      return { gbps: received.bits_per_second / 1e9, cpuMsPerGB: cpuMs / (received.bytes / 1e9) };
    }
    lastError = `${result.stdout.slice(0, 300)} ${result.stderr.trim()}`;
    await new Promise((resolve) => setTimeout(resolve, 300)); // the server may still be busy with the last test
  }
  throw new Error(`bench: iperf3 -c ${dst} failed: ${lastError}`);
}
