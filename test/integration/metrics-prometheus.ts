// Runs Debian's real `prometheus` binary for a test: a config derived from the shipped
// deploy/prometheus/prometheus.yml (same job name, our alerts), a 1 s scrape of chosen targets,
// storage in a temp dir, loopback only. Queries go through its HTTP API, as Grafana's do.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './metrics-dashboard.js';

export const PROMETHEUS_CONFIG = `${REPO_ROOT}deploy/prometheus/prometheus.yml`;
export const ALERTS_FILE = `${REPO_ROOT}deploy/prometheus/alerts.yml`;

export interface Series {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  /** Instant query; throws on a PromQL error. NaN stays NaN. */
  query(expr: string): Promise<Series[]>;
  /** GET a JSON API path (e.g. `/api/v1/rules`) and return its `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Retry `fn` until it resolves or the deadline passes; rethrows the last failure. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** The shipped config, pointed at `targets` with a 1 s scrape and evaluation interval. */
export async function testConfig(targets: string[], ruleFiles: string[] = [ALERTS_FILE]): Promise<string> {
  const config = parse(await readFile(PROMETHEUS_CONFIG, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: Array<Record<string, unknown>>;
  };
  config.global.scrape_interval = '1s';
  config.global.evaluation_interval = '1s';
  config.rule_files = ruleFiles;
  const job = config.scrape_configs.find((c) => c.job_name === 'dockfence');
  if (!job) throw new Error('deploy/prometheus/prometheus.yml has no job "dockfence"');
  Object.assign(job, { scrape_interval: '1s', scrape_timeout: '1s', static_configs: [{ targets }] });
  return stringify(config);
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log()}`);
    const res = await fetch(`${url}/-/ready`);
    if (!res.ok) throw new Error(`prometheus not ready: ${res.status}`);
  }, 15_000, 100);
}

/** Start prometheus scraping `targets` (HOST:PORT) as job "dockfence". */
export async function startPrometheus(targets: string[], ruleFiles?: string[]): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'dockfence-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, await testConfig(targets, ruleFiles));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const query = async (expr: string): Promise<Series[]> => {
    const data = await api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    if (data.resultType !== 'vector') throw new Error(`expected a vector from ${expr}, got ${data.resultType}`);
    return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return { url, query, api, stop };
}
