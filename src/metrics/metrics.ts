// Every Prometheus metric dockfence exports (names fixed by SPEC.md), created once per process
// and passed in. Drop and exception counters are read from the kernel at scrape time; see
// docs/metrics.md for labels, cardinality and why totals stay monotonic across re-applies.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterSample } from '../dataplane/backend.js';
import { KernelCounterTracker } from './kernel-counters.js';
import { SourceDropTracker, type SourceDropSample } from './source-drops.js';
import type { DockerInventory } from '../compiler/snapshot.js';

export interface Metrics {
  registry: Registry;
  reconcileDuration: Histogram<'result'>;
  reconciles: Counter<'result'>;
  driftHealed: Counter<'kind'>;
  lastSuccess: Gauge;
  rulesetApplied: Gauge;
  resources: Gauge<'kind' | 'ready'>;
  hostReady: Gauge;
  /** Where scrapes read kernel counters from (the controller sets it once wired). */
  setCounterSource(source: () => Promise<CounterSample[]>): void;
  /** Read the kernel counters now and fold them into the exported totals. Never throws; a failed read is counted. */
  flushCounters(): Promise<void>;
  /**
   * Where scrapes read per-source drop elements and the inventory that names them (serve
   * --drops-by-source). Ignored unless createMetrics got `dropsBySource: true`.
   */
  setSourceDropSource(read: () => Promise<SourceDropSample[]>, inventory: () => DockerInventory | undefined): void;
  /**
   * Run `apply` (a backend apply or remove) so that no counted packet is lost or counted twice
   * when it restarts the kernel counters (nft rewrites its table): read the counters right
   * before, hold scrapes while it runs, read again right after. Resolves or rejects as `apply`.
   */
  applyKeepingCounters<T>(apply: () => Promise<T>): Promise<T>;
  /**
   * Exported totals per resource, fresh from the kernel: `IsolationPolicy/<name>` -> packets it
   * dropped, `<ExposeRule|EgressException>/<name>` -> packets it admitted. For status.
   */
  packetTotals(): Promise<Map<string, number>>;
}

/** Values of dockfence_reconciles_total{result}; created at zero so the first error is visible to increase(). */
export const RECONCILE_RESULTS = ['noop', 'applied', 'error'] as const;
/** Values of dockfence_drift_healed_total{kind} (controller/reconcile.ts classifyDrift), created at zero. */
export const DRIFT_KINDS = ['table', 'chain', 'rules', 'set', 'hook'] as const;

const DROP_LABELS = ['src_network', 'dst_network', 'reason', 'policy'] as const;

/**
 * Build the registry and every dockfence metric. `version` and `backend` go into
 * dockfence_build_info. Process/Node default metrics are deliberately not registered: they fail
 * `promtool check metrics` and say nothing about isolation.
 */
export function createMetrics(options: { version: string; backend: string; dropsBySource?: boolean }): Metrics {
  const registry = new Registry();
  const tracker = new KernelCounterTracker();
  let source: (() => Promise<CounterSample[]>) | undefined;
  let sourceDrops: { read: () => Promise<SourceDropSample[]>; inventory: () => DockerInventory | undefined } | undefined;
  let bySource: SourceDropTracker | undefined;

  const readNow = async (): Promise<void> => {
    try {
      if (source) tracker.update(await source());
    } catch {
      readErrors.inc();
    }
    try {
      if (sourceDrops && bySource) bySource.update(await sourceDrops.read(), sourceDrops.inventory());
    } catch {
      readErrors.inc();
    }
  };
  // Reads and applies run one at a time, in order: a stale read finishing after a newer one (or
  // after an apply) would look like a counter restart and be counted twice.
  let chain: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(step: () => Promise<T>): Promise<T> => {
    const run = chain.then(step);
    chain = run.catch(() => undefined);
    return run;
  };
  // prom-client calls collect() of each kernel-backed metric per scrape, concurrently: callers
  // that arrive before the queued read starts share it.
  let queued: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    queued ??= enqueue(async () => {
      queued = undefined;
      await readNow();
    });
    return queued;
  };

  const readErrors = new Counter({
    name: 'dockfence_kernel_read_errors_total',
    help: 'Failed reads of the kernel rule counters (drop and exception totals did not advance).',
    registers: [registry],
    collect: refresh,
  });
  const dropped = new Counter({ name: 'dockfence_dropped_packets_total', help: 'Packets dropped by dockfence, by network pair, reason and deciding policy.', labelNames: DROP_LABELS, registers: [registry], collect: refresh });
  const droppedBytes = new Counter({ name: 'dockfence_dropped_bytes_total', help: 'Bytes dropped by dockfence, by network pair, reason and deciding policy.', labelNames: DROP_LABELS, registers: [registry], collect: refresh });
  const audit = new Counter({ name: 'dockfence_audit_packets_total', help: 'Packets an Audit-mode policy would have dropped.', labelNames: DROP_LABELS, registers: [registry], collect: refresh });
  const exception = new Counter({ name: 'dockfence_exception_packets_total', help: 'Packets admitted by each exception (new connections).', labelNames: ['kind', 'name'] as const, registers: [registry], collect: refresh });
  tracker.bind({ dropped, droppedBytes, audit, exception });
  if (options.dropsBySource) {
    // Opt-in only: one series per source container, unbounded in principle.
    const labelNames = ['src_container', 'src_network'] as const;
    bySource = new SourceDropTracker({
      packets: new Counter({ name: 'dockfence_dropped_packets_by_source_total', help: 'Packets dropped by dockfence, by source container (serve --drops-by-source).', labelNames, registers: [registry], collect: refresh }),
      bytes: new Counter({ name: 'dockfence_dropped_bytes_by_source_total', help: 'Bytes dropped by dockfence, by source container (serve --drops-by-source).', labelNames, registers: [registry], collect: refresh }),
    });
  }

  const metrics: Metrics = {
    registry,
    reconcileDuration: new Histogram({
      name: 'dockfence_reconcile_duration_seconds',
      help: 'Time of one reconcile: observe, compile, diff, apply, record.',
      labelNames: ['result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    reconciles: new Counter({ name: 'dockfence_reconciles_total', help: 'Reconciles by result (noop, applied, error).', labelNames: ['result'] as const, registers: [registry] }),
    driftHealed: new Counter({ name: 'dockfence_drift_healed_total', help: 'Drift found in the live firewall and healed, by kind.', labelNames: ['kind'] as const, registers: [registry] }),
    lastSuccess: new Gauge({ name: 'dockfence_last_reconcile_success_timestamp_seconds', help: 'Unix time of the last successful reconcile.', registers: [registry] }),
    rulesetApplied: new Gauge({ name: 'dockfence_ruleset_applied', help: '1 when the live ruleset equals the desired one.', registers: [registry] }),
    resources: new Gauge({ name: 'dockfence_resources', help: 'Resources by kind and Ready condition.', labelNames: ['kind', 'ready'] as const, registers: [registry] }),
    hostReady: new Gauge({ name: 'dockfence_host_ready', help: '1 when the host preflight passes (br_netfilter, sysctls, tools, Docker).', registers: [registry] }),
    setCounterSource(fn) {
      source = fn;
    },
    setSourceDropSource(read, inventory) {
      sourceDrops = { read, inventory };
    },
    flushCounters: refresh,
    async packetTotals() {
      await refresh();
      const totals = new Map<string, number>();
      const add = (key: string, value: number): void => void totals.set(key, (totals.get(key) ?? 0) + value);
      for (const v of (await dropped.get()).values) add(`IsolationPolicy/${v.labels.policy}`, v.value);
      for (const v of (await exception.get()).values) add(`${v.labels.kind}/${v.labels.name}`, v.value);
      return totals;
    },
    async applyKeepingCounters(apply) {
      await refresh();
      return enqueue(async () => {
        try {
          return await apply();
        } finally {
          await readNow();
        }
      });
    },
  };
  // Series that exist from the start: a counter born at 1 hides its first increment from
  // increase()/rate(), so the first reconcile error or drift heal would not alert.
  for (const result of RECONCILE_RESULTS) {
    metrics.reconciles.inc({ result }, 0);
    metrics.reconcileDuration.zero({ result });
  }
  for (const kind of DRIFT_KINDS) metrics.driftHealed.inc({ kind }, 0);
  new Gauge({ name: 'dockfence_build_info', help: 'Build information.', labelNames: ['version', 'backend'] as const, registers: [registry] })
    .set({ version: options.version, backend: options.backend }, 1);
  return metrics;
}
