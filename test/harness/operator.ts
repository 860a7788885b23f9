// Runs dockfence as shipped (`node bin/dockfence.js serve`, built by `npm run build`) INSIDE a
// harness Docker host's namespace, so the firewall it writes is that namespace's alone. Tests in
// the root namespace reach its API through a TCP forwarder; kubectl and the CLI run against it.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult } from '../../src/lib/exec.js';
import { execReal } from '../../src/lib/exec.js';
import type { DockerHost } from './docker-host.js';
import { forwardTcp, type TcpForward } from './forward.js';
import { NETNS_DIR } from './netns.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'dockfence.js');
const API_PORT = 8080;
export const METRICS_PORT = 9464;

export interface OperatorOptions {
  backend: 'nftables' | 'iptables';
  resync?: string; // default 1s
  extraArgs?: string[];
}

export interface Operator {
  /** http://127.0.0.1:<port> in the root namespace, forwarded to the operator's API. */
  url: string;
  /** Forwarded --metrics-listen endpoint (no token). */
  metricsUrl: string;
  logs(): string;
  kubectl(args: readonly string[], input?: string): Promise<ExecResult>;
  cli(args: readonly string[], input?: string): Promise<ExecResult>;
  /** GET a path of the API, parsed JSON. */
  get<T = unknown>(path: string): Promise<T>;
  /** Current value of one metric sample from /metrics (undefined when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  /** Send a signal to the operator process (SIGSTOP/SIGCONT to freeze its controller). */
  signal(signal: NodeJS.Signals): void;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, logs: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dockfence exited ${child.exitCode}:\n${logs()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`dockfence not ready within ${timeoutMs} ms:\n${logs()}`);
}

/** Start the operator in `host`'s namespace; registers its stop on host.onStop. */
export async function startOperator(host: DockerHost, options: OperatorOptions): Promise<Operator> {
  if (!existsSync(join(NETNS_DIR, host.name))) throw new Error(`harness: namespace ${host.name} missing`);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('harness: run `npm run build` first (dist/ missing)');
  const dir = mkdtempSync(join(tmpdir(), 'dockfence-op-'));
  const args = [
    `--net=${NETNS_DIR}/${host.name}`,
    process.execPath,
    BIN,
    'serve',
    '--listen', `127.0.0.1:${API_PORT}`,
    '--metrics-listen', `127.0.0.1:${METRICS_PORT}`,
    '--db', join(dir, 'db.json'),
    '--docker-host', host.dockerHost,
    '--backend', options.backend,
    '--resync', options.resync ?? '1s',
    '--manage-sysctls',
    ...(options.extraArgs ?? []),
  ];
  let output = '';
  const child = spawn('nsenter', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const api: TcpForward = await forwardTcp(host.name, API_PORT);
  const metrics: TcpForward = await forwardTcp(host.name, METRICS_PORT);
  const url = `http://127.0.0.1:${api.port}`;
  const logs = (): string => output;

  let stopped = false;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await api.close();
    await metrics.close();
    rmSync(dir, { recursive: true, force: true });
  };
  host.onStop(() => stop());
  try {
    await waitReady(url, child, logs);
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }

  const kubeDir = mkdtempSync(join(tmpdir(), 'dockfence-kube-'));
  host.onStop(async () => rmSync(kubeDir, { recursive: true, force: true }));
  writeFileSync(
    join(kubeDir, 'config'),
    `apiVersion: v1\nkind: Config\nclusters:\n- name: dockfence\n  cluster: {server: "${url}"}\nusers:\n- name: dockfence\n  user: {}\ncontexts:\n- name: dockfence\n  context: {cluster: dockfence, user: dockfence}\ncurrent-context: dockfence\n`,
  );
  return {
    url,
    metricsUrl: `http://127.0.0.1:${metrics.port}`,
    logs,
    kubectl: (a, input) =>
      execReal('kubectl', ['--kubeconfig', join(kubeDir, 'config'), ...a], input === undefined ? undefined : { input }),
    cli: (a, input) => execReal(process.execPath, [BIN, '--server', url, ...a], input === undefined ? undefined : { input }),
    async get<T>(path: string): Promise<T> {
      const res = await fetch(`${url}${path}`);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    async metric(name, labels = {}) {
      const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
      let total: number | undefined;
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
        total = (total ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return total;
    },
    signal: (sig) => void child.kill(sig),
    stop,
  };
}
