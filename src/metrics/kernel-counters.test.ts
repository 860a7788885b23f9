import { describe, expect, it } from 'vitest';
import type { CounterSample } from '../dataplane/backend.js';
import type { CounterLabels } from '../ruleset/model.js';
import { KernelCounterTracker } from './kernel-counters.js';
import { createMetrics } from './metrics.js';

const crossNet: CounterLabels = { metric: 'dropped', srcNetwork: 'int-app1', dstNetwork: 'ext-app2', reason: 'other_network', policy: 'lab' };
const toHost: CounterLabels = { metric: 'dropped', srcNetwork: 'int-app1', dstNetwork: 'host', reason: 'host', policy: 'lab' };
const audited: CounterLabels = { metric: 'audit', srcNetwork: 'bridge', dstNetwork: 'external', reason: 'external', policy: 'watch' };
const web: CounterLabels = { metric: 'exception', kind: 'ExposeRule', name: 'app2-web' };

const sample = (labels: CounterLabels, packets: number, bytes = packets * 60): CounterSample => ({ labels, packets, bytes });

/** A registry fed from a settable list of kernel samples, as a scrape sees it. */
function harness() {
  const metrics = createMetrics({ version: 'test', backend: 'fake' });
  let kernel: CounterSample[] = [];
  metrics.setCounterSource(async () => kernel);
  const scrape = async (next: CounterSample[]) => {
    kernel = next;
    return metrics.registry.getMetricsAsJSON();
  };
  const value = (json: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string>) =>
    json.find((m) => m.name === name)?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
  return { metrics, scrape, value };
}

describe('KernelCounterTracker (through createMetrics)', () => {
  it('stays monotonic when the kernel counters restart at zero (re-apply, drift heal)', async () => {
    const { scrape, value } = harness();
    const totals: Array<number | undefined> = [];
    for (const packets of [5, 8, 2, 3, 0, 4]) {
      totals.push(value(await scrape([sample(crossNet, packets)]), 'dockfence_dropped_packets_total', { src_network: 'int-app1', dst_network: 'ext-app2' }));
    }
    // 5, +3, restart counted 2, +1, restart at 0, +4
    expect(totals).toEqual([5, 8, 10, 11, 11, 15]);
  });

  it('tracks bytes like packets, restarts included', async () => {
    const { scrape, value } = harness();
    await scrape([sample(crossNet, 10, 1000)]);
    const json = await scrape([sample(crossNet, 1, 64)]);
    expect(value(json, 'dockfence_dropped_bytes_total', { reason: 'other_network' })).toBe(1064);
  });

  it('exports a zero series for every counted rule that has not matched yet', async () => {
    const { metrics, scrape } = harness();
    await scrape([sample(crossNet, 0), sample(toHost, 0), sample(audited, 0), sample(web, 0)]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('dockfence_dropped_packets_total{src_network="int-app1",dst_network="host",reason="host",policy="lab"} 0');
    expect(text).toContain('dockfence_dropped_bytes_total{src_network="int-app1",dst_network="ext-app2",reason="other_network",policy="lab"} 0');
    expect(text).toContain('dockfence_audit_packets_total{src_network="bridge",dst_network="external",reason="external",policy="watch"} 0');
    expect(text).toContain('dockfence_exception_packets_total{kind="ExposeRule",name="app2-web"} 0');
  });

  it('keeps two rules with the same labels apart, so one restarting does not hide the other', async () => {
    const { scrape, value } = harness();
    await scrape([sample(crossNet, 5), sample(crossNet, 3)]);
    // first rule grew by 1, second restarted and counted 1
    const json = await scrape([sample(crossNet, 6), sample(crossNet, 1)]);
    expect(value(json, 'dockfence_dropped_packets_total', { reason: 'other_network' })).toBe(10);
  });

  it('routes audit and exception samples to their own metrics only', async () => {
    const { scrape, value } = harness();
    const json = await scrape([sample(audited, 7), sample(web, 2)]);
    expect(value(json, 'dockfence_audit_packets_total', { policy: 'watch', dst_network: 'external' })).toBe(7);
    expect(value(json, 'dockfence_exception_packets_total', { kind: 'ExposeRule', name: 'app2-web' })).toBe(2);
    expect(json.find((m) => m.name === 'dockfence_dropped_packets_total')?.values).toEqual([]);
  });
});

describe('KernelCounterTracker.deltas', () => {
  it('treats an unknown rule as counted from zero and a lower value as a restart', () => {
    const [first] = KernelCounterTracker.deltas(new Map(), [sample(crossNet, 9, 900)]);
    const previous = new Map([[first!.key, { packets: 9, bytes: 900 }]]);
    const [grown] = KernelCounterTracker.deltas(previous, [sample(crossNet, 12, 1200)]);
    expect(grown).toMatchObject({ packets: 3, bytes: 300 });
    const [restarted] = KernelCounterTracker.deltas(previous, [sample(crossNet, 4, 400)]);
    expect(restarted).toMatchObject({ packets: 4, bytes: 400 });
    const [fresh] = KernelCounterTracker.deltas(new Map(), [sample(toHost, 6, 360)]);
    expect(fresh).toMatchObject({ packets: 6, bytes: 360 });
  });
});
