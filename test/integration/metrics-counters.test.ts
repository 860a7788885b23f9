// Exported drop totals against every packet the (fake) kernel counted, through the real
// Reconciler: restarts on re-apply and drift heal must neither lose nor double-count packets.
// In-process and deterministic; metrics-prometheus.test.ts shows the same through Prometheus.

import { describe, expect, it } from 'vitest';
import type { CounterLabels } from '../../src/ruleset/model.js';
import { createMetricsLab, type MetricsLab } from './metrics-fixture.js';

const isCrossNet = (l: CounterLabels): boolean => l.metric === 'dropped' && l.srcNetwork === 'int-app1' && l.dstNetwork === 'ext-app2';
/** One packet per "second" on the rule that really drops int-app1 -> ext-app2. */
const crossNet = (chain: string, l: CounterLabels): number => (chain.startsWith('from-') && isCrossNet(l) ? 1 : 0);

async function exported(lab: MetricsLab): Promise<number> {
  const json = await lab.metrics.registry.getMetricsAsJSON();
  const values = json.find((m) => m.name === 'dockfence_dropped_packets_total')?.values ?? [];
  return values.filter((v) => v.labels.src_network === 'int-app1' && v.labels.dst_network === 'ext-app2').reduce((n, v) => n + v.value, 0);
}

/** Make the next reconcile apply: a changed desired ruleset (re-apply) or a deleted chain (drift heal). */
function forceApply(lab: MetricsLab, how: 'reapply' | 'drift', n: number): void {
  if (how === 'drift') {
    lab.backend.live.chains = lab.backend.live.chains.filter((c) => !c.name.startsWith('from-'));
    return;
  }
  lab.resources.push({
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'EgressException',
    metadata: { name: `late-${n}`, generation: 1 },
    spec: { source: { names: ['app1-mysql'] }, to: [{ cidr: `10.10.10.${60 + n}/32` }] },
  });
}

describe('drop totals across kernel counter restarts (Reconciler + createMetrics)', () => {
  it('equal every packet counted through re-applies and heals, scraped or not around them', async () => {
    const lab = createMetricsLab();
    await lab.reconciler.reconcile();
    let n = 0;
    for (const how of ['reapply', 'drift', 'reapply', 'drift'] as const) {
      lab.backend.grow(lab.reconciler.desired!, crossNet, 40);
      if (n % 2 === 0) expect(await exported(lab)).toBe(lab.backend.lifetimePackets(isCrossNet)); // scraped before the apply, or not
      const applies = lab.backend.applies;
      forceApply(lab, how, n++);
      await lab.reconciler.reconcile();
      expect(lab.backend.applies).toBe(applies + 1);
      // More packets after the restart than the rule had before it: no "lower value" to detect.
      lab.backend.grow(lab.reconciler.desired!, crossNet, 70);
    }
    expect(lab.backend.lifetimePackets(isCrossNet)).toBe(4 * 40 + 4 * 70);
    expect(await exported(lab)).toBe(4 * 40 + 4 * 70);
  });

  it('drops counted after the last scrape survive the next apply', async () => {
    const lab = createMetricsLab();
    await lab.reconciler.reconcile();
    lab.backend.grow(lab.reconciler.desired!, crossNet, 10);
    expect(await exported(lab)).toBe(10);
    lab.backend.grow(lab.reconciler.desired!, crossNet, 5); // not scraped
    forceApply(lab, 'reapply', 0);
    await lab.reconciler.reconcile();
    lab.backend.grow(lab.reconciler.desired!, crossNet, 1);
    expect(await exported(lab)).toBe(16);
  });

  it('a failed apply leaves the totals exact', async () => {
    const lab = createMetricsLab();
    await lab.reconciler.reconcile();
    lab.backend.grow(lab.reconciler.desired!, crossNet, 8);
    lab.backend.failNextApply = 'nft: Could not process rule';
    forceApply(lab, 'drift', 0);
    await expect(lab.reconciler.reconcile()).rejects.toThrow('Could not process rule');
    lab.backend.grow(lab.reconciler.desired!, crossNet, 2);
    expect(await exported(lab)).toBe(10);
  });
});
