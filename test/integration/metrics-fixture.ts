// The metrics tests' operator without a kernel: the lab fixtures (plus an Audit-mode policy and
// an exception that matches nothing) reconciled by the real Reconciler into a FakeBackend whose
// per-rule counters (a lookup's elements as the rules iptables would expand) the test drives,
// wired to createMetrics as src/main.ts wires the real ones.

import { createServer, type Server } from 'node:http';
import { labSnapshot } from '../../src/compiler/testdata/lab.js';
import { Reconciler } from '../../src/controller/reconcile.js';
import type { CounterSample } from '../../src/dataplane/backend.js';
import { FakeBackend } from '../../src/dataplane/fake.js';
import { keepCountersAcrossApply } from '../../src/metrics/keep-counters.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import type { AnyResource, EgressException, IsolationPolicy, Kind, ResourceStatus } from '../../src/resources/types.js';
import { expandLookups } from '../../src/ruleset/lookups.js';
import type { CounterLabels, Ruleset } from '../../src/ruleset/model.js';

/** Packets per second a counted rule sees; 0 = never matches. */
export type RateOf = (chain: string, labels: CounterLabels) => number;

/** FakeBackend with kernel-like counters: per rule, growing at a chosen rate, restarting at 0 on apply (as nft does). */
export class CountingBackend extends FakeBackend {
  private readonly counts = new Map<string, { packets: number; bytes: number }>();
  /** Packets ever counted per CounterLabels, across restarts: what exported totals must equal. */
  private readonly lifetime = new Map<string, { labels: CounterLabels; packets: number }>();

  override async apply(desired: Ruleset): Promise<void> {
    await super.apply(desired);
    this.counts.clear();
  }

  /** Advance every counted rule (and lookup element) of `desired` by `seconds` at `rate`. */
  grow(desired: Ruleset, rate: RateOf, seconds: number, bytesPerPacket = 84): void {
    for (const chain of expandLookups(desired).chains) {
      chain.rules.forEach((rule, i) => {
        if (!rule.counter) return;
        const key = `${chain.name}#${i}`;
        const c = this.counts.get(key) ?? { packets: 0, bytes: 0 };
        const packets = Math.round(rate(chain.name, rule.counter) * seconds);
        this.counts.set(key, { packets: c.packets + packets, bytes: c.bytes + packets * bytesPerPacket });
        const id = JSON.stringify(rule.counter);
        this.lifetime.set(id, { labels: rule.counter, packets: (this.lifetime.get(id)?.packets ?? 0) + packets });
      });
    }
  }

  /** Every packet ever counted by rules whose labels satisfy `match`, restarts included. */
  lifetimePackets(match: (labels: CounterLabels) => boolean): number {
    return [...this.lifetime.values()].filter((x) => match(x.labels)).reduce((n, x) => n + x.packets, 0);
  }

  override async readCounters(desired: Ruleset): Promise<CounterSample[]> {
    return expandLookups(desired).chains.flatMap((chain) =>
      chain.rules.flatMap((rule, i) => (rule.counter ? [{ labels: rule.counter, ...(this.counts.get(`${chain.name}#${i}`) ?? { packets: 0, bytes: 0 }) }] : [])),
    );
  }
}

export const auditPolicy: IsolationPolicy = {
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'IsolationPolicy',
  metadata: { name: 'bridge-audit', generation: 1 },
  spec: { networks: { names: ['bridge'] }, sameNetwork: 'Deny', host: 'Deny', protectedCidrs: ['10.10.10.0/24'], external: 'Deny', mode: 'Audit' },
};

/** Selects no container: compiles to no rule and is not Ready (NoMatchingContainers). */
export const ghostException: EgressException = {
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'EgressException',
  metadata: { name: 'ghost-egress', generation: 1 },
  spec: { source: { names: ['no-such-container'] }, to: [{ cidr: '10.10.10.9/32' }] },
};

export interface MetricsLab {
  metrics: Metrics;
  backend: CountingBackend;
  reconciler: Reconciler;
  resources: AnyResource[];
}

export function createMetricsLab(): MetricsLab {
  const lab = labSnapshot();
  const resources: AnyResource[] = structuredClone([...lab.policies, auditPolicy, ...lab.exposeRules, ...lab.egressExceptions, ghostException]);
  const store = {
    async list(kind: Kind) {
      return structuredClone(resources.filter((r) => r.kind === kind));
    },
    async updateStatus(kind: Kind, name: string, status: ResourceStatus) {
      const r = resources.find((x) => x.kind === kind && x.metadata.name === name);
      if (r) r.status = structuredClone(status);
    },
  };
  const backend = new CountingBackend();
  const metrics = createMetrics({ version: 'test', backend: 'nftables' });
  const reconciler = new Reconciler({
    store,
    readInventory: async () => lab.inventory,
    backend: keepCountersAcrossApply(backend, metrics),
    preflight: async () => ({ ready: true, checks: [], dockerIptables: true }),
    metrics,
    now: () => new Date(),
    log: () => undefined,
    statusCountsIntervalMs: 0,
  });
  // As src/main.ts: scrapes read the counters of the last compiled ruleset.
  metrics.setCounterSource(async () => (reconciler.desired ? backend.readCounters(reconciler.desired) : []));
  return { metrics, backend, reconciler, resources };
}

/** Serve `metrics` at http://127.0.0.1:<port>/metrics (no auth), as `--metrics-listen` does. */
export async function serveMetrics(metrics: Metrics): Promise<{ server: Server; target: string }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, target: `127.0.0.1:${port}` };
}
