// A real Prometheus (1 s scrape) scrapes createMetrics' registry while the lab's fake kernel
// counters grow; every Grafana panel query, run through Prometheus's HTTP API, must show the
// expected series, and exported totals must survive a re-apply and a drift heal (counters restart).

import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressException } from '../../src/resources/types.js';
import type { CounterLabels } from '../../src/ruleset/model.js';
import { bindVariables, loadDashboard, panelQueries, type Bindings } from './metrics-dashboard.js';
import { createMetricsLab, serveMetrics, type MetricsLab } from './metrics-fixture.js';
import { eventually, startPrometheus, type PrometheusServer, type Series } from './metrics-prometheus.js';
import { PANEL_EXPECTATIONS, SCENARIO_RATES } from './metrics-expectations.js';

const LIVE: Bindings = { rateInterval: '10s', range: '1m', network: '.*' };

/** Packets/s per rule: only the rule that really sees the packet counts (the first drop wins). */
function rateOf(chain: string, labels: CounterLabels): number {
  const hit = SCENARIO_RATES.find((r) => chain.startsWith(r.chainPrefix) && Object.entries(r.labels).every(([k, v]) => (labels as Record<string, string>)[k] === v));
  return hit?.rate ?? 0;
}

const total = (series: Series[]): number => series.reduce((sum, s) => sum + s.value, 0);

describe('metrics through a real Prometheus', () => {
  const dashboard = loadDashboard();
  let lab: MetricsLab;
  let http: Server;
  let prom: PrometheusServer;
  let timers: NodeJS.Timeout[] = [];
  let paused = false;

  beforeAll(async () => {
    lab = createMetricsLab();
    await lab.reconciler.reconcile();
    const served = await serveMetrics(lab.metrics);
    http = served.server;
    prom = await startPrometheus([served.target]);
    // The kernel sees traffic continuously; the controller resyncs every second.
    let busy = false;
    timers = [
      setInterval(() => paused || lab.backend.grow(lab.reconciler.desired!, rateOf, 0.25), 250),
      setInterval(() => {
        if (busy) return;
        busy = true;
        lab.reconciler.reconcile().catch(() => undefined).finally(() => (busy = false));
      }, 1000),
    ];
  });

  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await prom?.stop();
    await new Promise((r) => http?.close(r));
  });

  it('scrapes the target as job "dockfence" (scrape duration reported)', async () => {
    const up = await eventually(async () => {
      const s = await prom.query('up{job="dockfence"}');
      expect(s.map((x) => x.value)).toEqual([1]);
      return s;
    }, 15_000);
    expect(up).toHaveLength(1);
    const duration = await prom.query('scrape_duration_seconds{job="dockfence"}');
    const samples = await prom.query('scrape_samples_scraped{job="dockfence"}');
    console.info(`dockfence /metrics scrape: ${(duration[0]!.value * 1000).toFixed(2)} ms, ${samples[0]!.value} samples`);
  });

  it('the network variable lists every source network (label_values as Grafana asks it)', async () => {
    const values = await prom.api<string[]>(`/api/v1/label/src_network/values?match[]=dockfence_dropped_packets_total`);
    expect(values).toEqual(['bridge', 'ext-app2', 'int-app1']);
  });

  it('every dashboard panel query returns the expected series', async () => {
    const queries = panelQueries(dashboard);
    expect(new Set(queries.map((q) => q.title))).toEqual(new Set(Object.keys(PANEL_EXPECTATIONS)));
    await eventually(async () => {
      for (const q of queries) {
        const series = await prom.query(bindVariables(q.expr, LIVE));
        try {
          PANEL_EXPECTATIONS[q.title]!(series, q.refId);
        } catch (error) {
          throw new Error(`panel "${q.title}" ${q.refId}: ${(error as Error).message}\n${JSON.stringify(series)}`);
        }
      }
    }, 30_000, 1000);
  });

  it('choosing one network in the variable narrows the drop panels to it', async () => {
    const top = panelQueries(dashboard).find((q) => q.title === 'Top violating source networks')!;
    const series = await prom.query(bindVariables(top.expr, { ...LIVE, network: 'int-app1' }));
    expect(series.map((s) => s.metric.src_network)).toEqual(['int-app1']);
    expect(series[0]!.value).toBeGreaterThan(0);
  });

  it('the shipped alert rules load and evaluate on the real server; none fires for a healthy operator', async () => {
    const rules = await eventually(async () => {
      const data = await prom.api<{ groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state: string }> }> }>('/api/v1/rules');
      const all = data.groups.flatMap((g) => g.rules);
      expect(all.length).toBe(6);
      for (const r of all) expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
      return all;
    }, 10_000);
    expect(rules.filter((r) => r.state !== 'inactive').map((r) => r.name)).toEqual([]);
  });

  it('exported totals stay monotonic and complete across a re-apply and a drift heal that restart the kernel counters', async () => {
    const crossNet = 'dockfence_dropped_packets_total{src_network="int-app1",dst_network="ext-app2"}';
    const lifetime = () => lab.backend.lifetimePackets((l) => l.metric === 'dropped' && l.srcNetwork === 'int-app1' && l.dstNetwork === 'ext-app2');
    const applied = async () => total(await prom.query('dockfence_reconciles_total{result="applied"}'));
    const exported = async () => total(await prom.query(crossNet));

    const before = await exported();
    expect(before).toBeGreaterThan(0);
    // A forced re-apply, traffic flowing: a new exception changes the desired ruleset.
    const appliedBefore = await applied();
    lab.resources.push({
      apiVersion: 'dockfence.io/v1alpha1',
      kind: 'EgressException',
      metadata: { name: 'late-egress', generation: 1 },
      spec: { source: { names: ['app1-mysql'] }, to: [{ cidr: '10.10.10.56/32', ports: [{ port: 443, protocol: 'tcp' }] }] },
    } satisfies EgressException);
    await eventually(async () => expect(await applied()).toBeGreaterThan(appliedBefore), 15_000);
    // The fake kernel's counters restarted below what Prometheus already has.
    const kernel = (await lab.backend.readCounters(lab.reconciler.desired!)).filter((s) => s.labels.metric === 'dropped' && s.labels.srcNetwork === 'int-app1' && s.labels.dstNetwork === 'ext-app2');
    expect(kernel.reduce((n, s) => n + s.packets, 0)).toBeLessThan(before);

    // Drift: someone deletes our from-* chains; the next resync heals them (another restart).
    lab.backend.live.chains = lab.backend.live.chains.filter((c) => !c.name.startsWith('from-'));
    await eventually(async () => {
      expect(total(await prom.query('dockfence_drift_healed_total{kind="chain"}'))).toBeGreaterThanOrEqual(1);
    }, 15_000);
    await eventually(async () => expect(await exported()).toBeGreaterThan(before + 20), 15_000);

    // Stop the traffic: once Prometheus has the last kernel read, it holds every packet counted.
    paused = true;
    await eventually(async () => expect(await exported()).toBe(lifetime()), 10_000);
    for (const name of ['dockfence_dropped_packets_total', 'dockfence_dropped_bytes_total', 'dockfence_audit_packets_total', 'dockfence_exception_packets_total']) {
      const resets = await prom.query(`resets(${name}[5m])`);
      expect(resets.length, name).toBeGreaterThan(0);
      expect(resets.filter((s) => s.value !== 0).map((s) => s.metric), name).toEqual([]);
    }
    const heals = panelQueries(dashboard).find((q) => q.title === 'Drift heals over time')!;
    const healed = await prom.query(bindVariables(heals.expr, { ...LIVE, rateInterval: '1m' }));
    expect(healed.find((s) => s.metric.kind === 'chain')?.value).toBeGreaterThan(0);
    expect(healed.filter((s) => s.metric.kind !== 'chain').every((s) => s.value === 0)).toBe(true);
  });
});
