// The one place real adapters are built and wired: store, Docker, backend, controller, API,
// metrics. `dockfence serve` calls serve(); everything else receives its dependencies.

import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createApiApp, startApiServer } from './api/server.js';
import { loadTokenFile } from './api/auth.js';
import { Controller } from './controller/controller.js';
import { checkPacket } from './controller/check.js';
import { runPreflight } from './controller/preflight.js';
import { Reconciler } from './controller/reconcile.js';
import type { Backend } from './dataplane/backend.js';
import { IptablesBackend } from './dataplane/iptables/backend.js';
import { NftablesBackend } from './dataplane/nftables/backend.js';
import { createDockerClient } from './docker/client.js';
import { watchDockerEvents } from './docker/events.js';
import { readInventory } from './docker/inventory.js';
import { detectDockerIptables } from './docker/iptables-mode.js';
import { parseDuration } from './lib/duration.js';
import { ServiceUnavailableError } from './lib/errors.js';
import { execReal } from './lib/exec.js';
import { createLog } from './lib/log.js';
import { createGitopsRouter } from './gitops/router.js';
import { startGitopsSync, type RunningGitopsSync } from './gitops/start.js';
import { keepCountersAcrossApply } from './metrics/keep-counters.js';
import { createMetrics } from './metrics/metrics.js';
import { Store } from './store/store.js';

export interface ServeOptions {
  listen: string; // HOST:PORT, default 127.0.0.1:8080
  db?: string; // lowdb file; default ./dockfence.db.json or /var/lib/dockfence/db.json as root
  dockerHost?: string; // DOCKER_HOST-style URL; default DOCKER_HOST or the local socket
  backend: 'nftables' | 'iptables';
  resync: string; // duration like 2s, 500ms, 1m
  manageSysctls: boolean;
  cleanupOnExit: boolean;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsListen?: string;
  syncRepo?: string;
  syncBranch?: string;
  syncPath?: string;
  syncInterval?: string;
  prune?: boolean;
  syncCredentialsFile?: string;
  /** Count drops per source container too (nftables only; opt-in, unbounded cardinality). */
  dropsBySource?: boolean;
}

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export function defaultDbPath(): string {
  return process.getuid?.() === 0 ? '/var/lib/dockfence/db.json' : join(process.cwd(), 'dockfence.db.json');
}

function createBackend(kind: ServeOptions['backend']): Backend {
  return kind === 'iptables' ? new IptablesBackend({ exec: execReal }) : new NftablesBackend({ exec: execReal });
}

/** serve --drops-by-source needs the nftables backend's per-source sets. */
export function checkDropsBySource(options: Pick<ServeOptions, 'backend' | 'dropsBySource'>): void {
  if (options.dropsBySource && options.backend !== 'nftables') {
    throw new Error('--drops-by-source needs --backend nftables (iptables has no per-element counters)');
  }
}

/** Run the API, controller and metrics until SIGINT/SIGTERM. Resolves when shut down. */
export async function serve(options: ServeOptions): Promise<void> {
  const log = createLog('dockfence');
  const resyncMs = parseDuration(options.resync);
  const dbPath = options.db ?? defaultDbPath();
  const store = await Store.open(dbPath);
  const tokens = options.tokenFile ? await loadTokenFile(options.tokenFile) : undefined;
  const docker = createDockerClient(options.dockerHost);
  checkDropsBySource(options);
  const dropsBySource = options.dropsBySource === true;
  const metrics = createMetrics({ version: VERSION, backend: options.backend, dropsBySource });
  const raw = createBackend(options.backend);
  // Applies restart the kernel's counters: read them around each apply so totals lose nothing.
  const backend = keepCountersAcrossApply(raw, metrics);

  const reconciler = new Reconciler({
    store,
    readInventory: (dockerIptables) => readInventory(docker, dockerIptables),
    backend,
    preflight: () =>
      runPreflight({
        readFile: (p) => readFile(p, 'utf8').catch(() => undefined),
        writeFile: (p, t) => writeFile(p, t),
        exec: execReal,
        pingDocker: async () => void (await docker.ping()),
        detectDockerIptables: () => detectDockerIptables(execReal),
        backend: options.backend,
        manageSysctls: options.manageSysctls,
      }),
    metrics,
    now: () => new Date(),
    log,
    statusCountsIntervalMs: Math.max(resyncMs, 5000),
    dropsBySource,
  });
  metrics.setCounterSource(async () => (reconciler.desired ? backend.readCounters(reconciler.desired) : []));
  if (dropsBySource && raw instanceof NftablesBackend) {
    metrics.setSourceDropSource(() => raw.readSourceDrops(), () => reconciler.lastInventory);
  }

  const events = new AbortController();
  const controller = new Controller({
    reconciler,
    subscribeStore: (listener) => store.subscribe(listener),
    subscribeDocker: (listener) => {
      void watchDockerEvents(docker, () => listener(), {
        signal: events.signal,
        onReconnect: listener,
        onError: (e) => log(`docker events: ${(e as Error).message}`),
      }).catch((e: unknown) => log(`docker events stopped: ${(e as Error).message}`));
      return () => events.abort();
    },
    resyncMs,
    log,
  });

  let gitops: RunningGitopsSync | undefined;
  const render = { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() };
  const app = createApiApp({
    store,
    metrics: render,
    auth: tokens ? { tokens } : undefined,
    ready: () => reconciler.lastPreflight !== undefined,
    version: VERSION,
    routers: [createGitopsRouter(() => gitops)],
    diagnostics: {
      doctor: async () => reconciler.lastPreflight ?? { ready: false, checks: [] },
      check: async (from: string, to: string) => {
        const inventory = await readInventory(docker, reconciler.lastPreflight?.dockerIptables ?? true).catch((e: unknown) => {
          throw new ServiceUnavailableError(`Docker is not reachable: ${(e as Error).message}`);
        });
        if (!reconciler.desired) throw new ServiceUnavailableError('no ruleset compiled yet: the first reconcile has not finished');
        return checkPacket(inventory, reconciler.desired, from, to);
      },
    },
  });
  const tls = options.tlsCert && options.tlsKey ? { cert: options.tlsCert, key: options.tlsKey } : undefined;
  const api = await startApiServer({ app, listen: options.listen, tls });
  log(`API listening on ${api.url} (backend ${backend.name}, resync ${options.resync})`);
  const metricsServer = options.metricsListen
    ? await startApiServer({ app: createApiApp.metricsOnly(render, { log }), listen: options.metricsListen, allowUnauthenticated: true })
    : undefined;
  controller.start();
  if (options.syncRepo) {
    gitops = startGitopsSync({
      repo: options.syncRepo,
      branch: options.syncBranch ?? 'main',
      path: options.syncPath ?? '.',
      intervalMs: parseDuration(options.syncInterval ?? '1m'),
      prune: options.prune ?? false,
      apiUrl: api.url,
      token: tokens?.find((t) => t.role === 'admin')?.token,
      credentialsFile: options.syncCredentialsFile,
      registry: metrics.registry,
      log,
      stateDir: join(dirname(dbPath), 'gitops'),
    });
  }

  // `on`, not `once`: execa's signal-exit re-raises a signal that has no other listener left,
  // which would kill us before cleanup. A second signal skips the graceful path.
  await new Promise<void>((resolve) => {
    let signalled = false;
    const stop = (): void => {
      if (signalled) process.exit(1);
      signalled = true;
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log('shutting down');
  await gitops?.stop();
  await controller.stop();
  events.abort();
  await api.close();
  await metricsServer?.close();
  if (options.cleanupOnExit) {
    await backend.remove();
    log('removed dockfence rules (--cleanup-on-exit)');
  }
}
