// Section 3, reconcile latency: the real Reconciler over a real NftablesBackend in a throwaway
// namespace, with an in-memory store and a fixed inventory. A no-op reconcile (observe + diff,
// what every resync pays) and a full reconcile that applies (the inventory alternates between
// two versions that differ in one container's address, so each run has something to apply).

import type { DockerInventory, Snapshot } from '../src/compiler/snapshot.js';
import type { Backend } from '../src/dataplane/backend.js';
import { NftablesBackend } from '../src/dataplane/nftables/backend.js';
import { Reconciler } from '../src/controller/reconcile.js';
import { createMetrics } from '../src/metrics/metrics.js';
import type { AnyResource, Kind, ResourceStatus } from '../src/resources/types.js';
import { describeScale, syntheticSnapshot, type Scale } from './inventory.js';
import { benchNetns, removeBenchNetns } from './netns.js';
import { fmtMs, markdownTable, median, p50p95, sample, type SampleOptions, type Samples } from './stats.js';
import { addDockerSkeleton } from './topology.js';

export interface ReconcileOptions {
  /** `heavy` scales (seconds per reconcile) are timed with `heavy` repetitions. */
  scales: Array<Scale & { heavy?: boolean }>;
  reps: SampleOptions;
  heavy: SampleOptions;
  log: (line: string) => void;
}

interface Row {
  scale: Scale;
  noop: Samples;
  noopObserve: number[];
  full: Samples;
  fullApply: number[];
  fullObserve: number[];
}

/** A Backend that adds up the time spent in observe and apply since the last take(). */
class TimedBackend implements Backend {
  readonly name: Backend['name'];
  observeMs = 0;
  applyMs = 0;
  constructor(private readonly inner: Backend) {
    this.name = inner.name;
  }
  async observe(): ReturnType<Backend['observe']> {
    const t = performance.now();
    try {
      return await this.inner.observe();
    } finally {
      this.observeMs += performance.now() - t;
    }
  }
  plan(...args: Parameters<Backend['plan']>): ReturnType<Backend['plan']> {
    return this.inner.plan(...args);
  }
  async apply(...args: Parameters<Backend['apply']>): Promise<void> {
    const t = performance.now();
    try {
      await this.inner.apply(...args);
    } finally {
      this.applyMs += performance.now() - t;
    }
  }
  readCounters(...args: Parameters<Backend['readCounters']>): ReturnType<Backend['readCounters']> {
    return this.inner.readCounters(...args);
  }
  remove(): Promise<void> {
    return this.inner.remove();
  }
  take(): { observeMs: number; applyMs: number } {
    const taken = { observeMs: this.observeMs, applyMs: this.applyMs };
    this.observeMs = 0;
    this.applyMs = 0;
    return taken;
  }
}

function memoryStore(resources: AnyResource[]): { list(kind: Kind): Promise<AnyResource[]>; updateStatus(kind: Kind, name: string, status: ResourceStatus): Promise<void> } {
  return {
    async list(kind) {
      return structuredClone(resources.filter((r) => r.kind === kind));
    },
    async updateStatus(kind, name, status) {
      const r = resources.find((x) => x.kind === kind && x.metadata.name === name);
      if (r) r.status = structuredClone(status);
    },
  };
}

/** The same inventory with the first container re-addressed (as after a restart). */
function readdressed(inventory: DockerInventory): DockerInventory {
  const copy = structuredClone(inventory);
  const endpoint = copy.containers[0]?.endpoints[0];
  if (!endpoint?.ipv4) throw new Error('bench: the reconcile inventory needs a container with an address');
  endpoint.ipv4 = endpoint.ipv4.replace(/\.(\d+)$/, (_, last: string) => `.${(Number(last) + 100) % 250}`);
  return copy;
}

async function measureScale(scale: Scale, reps: SampleOptions): Promise<Row> {
  const ns = await benchNetns();
  try {
    await addDockerSkeleton(ns);
    const snapshot: Snapshot = syntheticSnapshot(scale);
    const versions = [snapshot.inventory, readdressed(snapshot.inventory)];
    let current = 0;
    const backend = new TimedBackend(new NftablesBackend({ exec: ns.exec }));
    const reconciler = new Reconciler({
      store: memoryStore(structuredClone([...snapshot.policies, ...snapshot.exposeRules, ...snapshot.egressExceptions])),
      readInventory: async () => versions[current] as DockerInventory,
      backend,
      preflight: async () => ({ ready: true, checks: [], dockerIptables: true }),
      metrics: createMetrics({ version: 'bench', backend: 'nftables' }),
      now: () => new Date(),
      log: () => undefined,
      statusCountsIntervalMs: 5000, // as `serve` with the default 2 s resync
    });
    await reconciler.reconcile(); // first apply and status writes
    const noopObserve: number[] = [];
    const noop = await sample(
      async () => {
        backend.take();
        await reconciler.reconcile();
        const t = backend.take();
        if (t.applyMs > 0) throw new Error('bench: a no-op reconcile applied something');
        noopObserve.push(t.observeMs);
      },
      { warmup: 1, ...reps },
    );
    noopObserve.splice(0, noopObserve.length - noop.ms.length); // drop the warm-up runs
    const fullApply: number[] = [];
    const fullObserve: number[] = [];
    const full = await sample(
      async () => {
        current = 1 - current;
        backend.take();
        await reconciler.reconcile();
        const t = backend.take();
        if (t.applyMs === 0) throw new Error('bench: a changed inventory was not applied');
        fullApply.push(t.applyMs);
        fullObserve.push(t.observeMs);
      },
      { warmup: 1, ...reps },
    );
    fullApply.splice(0, fullApply.length - full.ms.length);
    fullObserve.splice(0, fullObserve.length - full.ms.length);
    await backend.remove();
    return { scale, noop, noopObserve, full, fullApply, fullObserve };
  } finally {
    await removeBenchNetns(ns);
  }
}

/** Runs section 3 for every scale. Rejects when a reconcile fails. */
export async function runReconcile(options: ReconcileOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const { heavy, ...scale } of options.scales) {
    options.log(`reconcile: ${describeScale(scale)}`);
    rows.push(await measureScale(scale, heavy ? options.heavy : options.reps));
  }
  return rows;
}

export function formatReconcile(rows: Row[]): string {
  return markdownTable(
    ['N nets', 'M ctrs', 'K exc', 'no-op reconcile p50 / p95 ms', 'of which observe p50', 'applying reconcile p50 / p95 ms', 'of which apply p50', 'of which observe ×2 p50', 'runs'],
    rows.map((r) => [
      String(r.scale.networks),
      String(r.scale.containers),
      String(r.scale.exceptions),
      p50p95(r.noop),
      fmtMs(median(r.noopObserve)),
      p50p95(r.full),
      fmtMs(median(r.fullApply)),
      fmtMs(median(r.fullObserve)),
      `${r.noop.ms.length}/${r.full.ms.length}`,
    ]),
  );
}
