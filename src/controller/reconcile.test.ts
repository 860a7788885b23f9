import { describe, expect, it } from 'vitest';
import { labSnapshot } from '../compiler/testdata/lab.js';
import { FakeBackend } from '../dataplane/fake.js';
import { createMetrics } from '../metrics/metrics.js';
import type { AnyResource, Kind, ResourceStatus } from '../resources/types.js';
import type { PreflightReport } from './preflight.js';
import { classifyDrift, Reconciler } from './reconcile.js';

function fakeStore(resources: AnyResource[]) {
  const writes: Array<{ kind: Kind; name: string; status: ResourceStatus }> = [];
  return {
    resources,
    writes,
    async list(kind: Kind) {
      return structuredClone(resources.filter((r) => r.kind === kind));
    },
    async updateStatus(kind: Kind, name: string, status: ResourceStatus) {
      writes.push({ kind, name, status });
      const r = resources.find((x) => x.kind === kind && x.metadata.name === name);
      if (r) r.status = structuredClone(status);
    },
  };
}

const healthy: PreflightReport = { ready: true, checks: [], dockerIptables: true };

function setup(preflight: PreflightReport = healthy) {
  const lab = labSnapshot();
  const store = fakeStore(structuredClone([...lab.policies, ...lab.exposeRules, ...lab.egressExceptions]));
  const backend = new FakeBackend();
  const metrics = createMetrics({ version: 'test', backend: 'fake' });
  const logs: string[] = [];
  let clock = 1_000_000;
  const reconciler = new Reconciler({
    store,
    readInventory: async () => lab.inventory,
    backend,
    preflight: async () => preflight,
    metrics,
    now: () => new Date((clock += 1000)),
    log: (m) => logs.push(m),
    statusCountsIntervalMs: 0,
  });
  metrics.setCounterSource(async () => (reconciler.desired ? backend.readCounters(reconciler.desired) : []));
  return { store, backend, metrics, reconciler, logs };
}

async function metricValue(metrics: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}) {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
}

describe('Reconciler', () => {
  it('applies once, then finds nothing to do', async () => {
    const { backend, reconciler, metrics } = setup();
    await reconciler.reconcile();
    await reconciler.reconcile();
    expect(backend.applies).toBe(1);
    expect(await metricValue(metrics, 'dockfence_reconciles_total', { result: 'applied' })).toBe(1);
    expect(await metricValue(metrics, 'dockfence_reconciles_total', { result: 'noop' })).toBe(1);
    expect(await metricValue(metrics, 'dockfence_ruleset_applied')).toBe(1);
  });

  it('heals drift and counts it by kind', async () => {
    const { backend, reconciler, metrics } = setup();
    await reconciler.reconcile();
    backend.live.chains = backend.live.chains.filter((c) => c.name !== 'input');
    await reconciler.reconcile();
    expect(backend.applies).toBe(2);
    expect(backend.live.chains.some((c) => c.name === 'input')).toBe(true);
    expect(await metricValue(metrics, 'dockfence_drift_healed_total', { kind: 'chain' })).toBe(1);
    backend.live.hooks = {};
    await reconciler.reconcile();
    expect(await metricValue(metrics, 'dockfence_drift_healed_total', { kind: 'hook' })).toBe(1);
  });

  it('writes status once: Ready, observedGeneration, what matched', async () => {
    const { store, reconciler } = setup();
    await reconciler.reconcile();
    const writesAfterFirst = store.writes.length;
    await reconciler.reconcile();
    expect(store.writes.length).toBe(writesAfterFirst);
    const policy = store.resources.find((r) => r.metadata.name === 'lab-isolation')!;
    expect(policy.status).toMatchObject({
      observedGeneration: 1,
      matchedNetworks: ['ext-app2', 'int-app1'],
      conditions: [{ type: 'Ready', status: 'True', reason: 'Enforced' }],
    });
  });

  it('counts dropped packets into status and keeps them monotonic across re-applies', async () => {
    const { store, backend, reconciler } = setup();
    backend.packetsPerRule = 5;
    await reconciler.reconcile();
    const dropped = () => store.resources.find((r) => r.metadata.name === 'lab-isolation')!.status!.droppedPackets as number;
    const first = dropped();
    expect(first).toBeGreaterThan(0);
    backend.packetsPerRule = 1; // counters restarted (table rewritten) and counted 1 since
    await reconciler.reconcile();
    expect(dropped()).toBeGreaterThan(first);
  });

  it('removes everything when no resource remains', async () => {
    const { store, backend, reconciler } = setup();
    await reconciler.reconcile();
    store.resources.splice(0);
    await reconciler.reconcile();
    expect(backend.removes).toBe(1);
    expect(backend.live.present).toBe(false);
  });

  it('removes a hook rule of ours left behind with no table and no resource', async () => {
    const { store, backend, reconciler } = setup();
    store.resources.splice(0);
    backend.live = { present: false, chains: [], sets: [], hooks: { 'docker-user': 0 } };
    await reconciler.reconcile();
    expect(backend.removes).toBe(1);
    await reconciler.reconcile();
    expect(backend.removes).toBe(1);
  });

  it('a failed apply marks resources ApplyFailed and throws for a retry', async () => {
    const { store, backend, reconciler, metrics } = setup();
    backend.failNextApply = 'nft: syntax error';
    await expect(reconciler.reconcile()).rejects.toThrow('nft: syntax error');
    expect(store.resources.every((r) => r.status?.conditions?.[0]?.reason === 'ApplyFailed')).toBe(true);
    expect(await metricValue(metrics, 'dockfence_reconciles_total', { result: 'error' })).toBe(1);
    await reconciler.reconcile();
    expect(store.resources.every((r) => r.status?.conditions?.[0]?.status === 'True')).toBe(true);
  });

  it('reports HostNotReady with the fix on policies', async () => {
    const { store, reconciler } = setup({
      ready: false,
      dockerIptables: true,
      checks: [{ name: 'net.bridge.bridge-nf-call-iptables', ok: false, message: 'is 0', fix: 'sysctl -w net.bridge.bridge-nf-call-iptables=1' }],
    });
    await reconciler.reconcile();
    const policy = store.resources.find((r) => r.kind === 'IsolationPolicy')!;
    expect(policy.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'HostNotReady' });
    expect(policy.status?.conditions?.[0]?.message).toContain('sysctl -w net.bridge.bridge-nf-call-iptables=1');
  });

  it('fails (for a retry) when Docker is unreachable', async () => {
    const { reconciler } = setup({ ready: false, checks: [] });
    await expect(reconciler.reconcile()).rejects.toThrow('Docker is not reachable');
  });
});

describe('classifyDrift', () => {
  it('names the kind of each difference', () => {
    expect(classifyDrift(['table/chains missing', 'chain input missing', 'hook docker-user missing', 'chain forward rules differ (1 live, 5 desired)', 'set bridges elements differ'])).toEqual(
      ['chain', 'hook', 'rules', 'set', 'table'],
    );
  });
});
