import { describe, expect, it } from 'vitest';
import { classifyDrift } from '../controller/reconcile.js';
import type { CounterSample } from '../dataplane/backend.js';
import type { CounterLabels } from '../ruleset/model.js';
import { createMetrics, DRIFT_KINDS } from './metrics.js';

const crossNet: CounterLabels = { metric: 'dropped', srcNetwork: 'a', dstNetwork: 'b', reason: 'other_network', policy: 'p' };
const drops = (packets: number): CounterSample[] => [{ labels: crossNet, packets, bytes: packets * 100 }];
const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

describe('createMetrics', () => {
  it('reads the kernel once per scrape for all four kernel-backed metrics', async () => {
    const metrics = createMetrics({ version: '1.2.3', backend: 'nftables' });
    let reads = 0;
    metrics.setCounterSource(async () => {
      reads++;
      return drops(reads);
    });
    await metrics.registry.metrics();
    expect(reads).toBe(1);
    await metrics.registry.metrics();
    expect(reads).toBe(2);
  });

  it('a failed kernel read keeps the totals and counts the failure', async () => {
    const metrics = createMetrics({ version: '1.2.3', backend: 'nftables' });
    let fail = false;
    metrics.setCounterSource(async () => {
      if (fail) throw new Error('nft: permission denied');
      return drops(4);
    });
    await metrics.registry.metrics();
    fail = true;
    const text = await metrics.registry.metrics();
    expect(line(text, 'dockfence_dropped_packets_total{')).toMatch(/ 4$/);
    expect(line(text, 'dockfence_kernel_read_errors_total')).toBe('dockfence_kernel_read_errors_total 1');
  });

  it('flushCounters before an apply keeps drops that a table rewrite would otherwise lose', async () => {
    const metrics = createMetrics({ version: '1.2.3', backend: 'nftables' });
    let kernel = 0;
    metrics.setCounterSource(async () => drops(kernel));
    kernel = 10;
    await metrics.registry.metrics();
    kernel = 25; // 15 more dropped, then the apply restarts the counter
    await metrics.flushCounters();
    kernel = 3;
    expect(line(await metrics.registry.metrics(), 'dockfence_dropped_packets_total{')).toMatch(/ 28$/);
  });

  it('applyKeepingCounters keeps unscraped drops and counts a restart that outgrows the old value', async () => {
    const metrics = createMetrics({ version: '1.2.3', backend: 'nftables' });
    let kernel = 10;
    metrics.setCounterSource(async () => drops(kernel));
    await metrics.registry.metrics(); // 10 exported
    kernel = 25; // 15 more, not scraped
    await metrics.applyKeepingCounters(async () => {
      kernel = 0; // the table is rewritten
    });
    kernel = 40; // more than before the restart: a "lower value" check alone would count 15
    expect(line(await metrics.registry.metrics(), 'dockfence_dropped_packets_total{')).toMatch(/ 65$/);
  });

  it('a scrape during an apply waits for it, so no stale read is counted twice', async () => {
    const metrics = createMetrics({ version: '1.2.3', backend: 'nftables' });
    let kernel = 10;
    let reads = 0;
    metrics.setCounterSource(async () => {
      reads++;
      const value = kernel;
      await new Promise((r) => setTimeout(r, 5));
      return drops(value);
    });
    let scrape: Promise<string> | undefined;
    const applying = metrics.applyKeepingCounters(async () => {
      scrape = metrics.registry.metrics(); // arrives mid-apply
      await new Promise((r) => setTimeout(r, 20));
      kernel = 3;
    });
    await applying;
    expect(line(await scrape!, 'dockfence_dropped_packets_total{')).toMatch(/ 13$/);
    expect(reads).toBe(3); // before, after, and the held scrape
  });

  it('applyKeepingCounters rejects as the apply does and still reads afterwards', async () => {
    const metrics = createMetrics({ version: '1.2.3', backend: 'nftables' });
    let kernel = 4;
    metrics.setCounterSource(async () => drops(kernel));
    await expect(
      metrics.applyKeepingCounters(async () => {
        kernel = 6;
        throw new Error('nft: syntax error');
      }),
    ).rejects.toThrow('nft: syntax error');
    expect(line(await metrics.registry.metrics(), 'dockfence_dropped_packets_total{')).toMatch(/ 6$/);
  });

  it('creates reconcile and drift series at zero, so the first error or heal shows in increase()', async () => {
    const text = await createMetrics({ version: '1.2.3', backend: 'iptables' }).registry.metrics();
    for (const result of ['noop', 'applied', 'error']) expect(text).toContain(`dockfence_reconciles_total{result="${result}"} 0`);
    for (const kind of DRIFT_KINDS) expect(text).toContain(`dockfence_drift_healed_total{kind="${kind}"} 0`);
    expect(text).toContain('dockfence_reconcile_duration_seconds_count{result="error"} 0');
    expect(text).toContain('dockfence_build_info{version="1.2.3",backend="iptables"} 1');
  });

  it('DRIFT_KINDS names every kind the reconciler reports', () => {
    const kinds = classifyDrift(['table/chains missing', 'chain input missing', 'hook docker-user missing', 'chain forward rules differ', 'set bridges elements differ']);
    expect(new Set([...DRIFT_KINDS])).toEqual(new Set(kinds));
  });
});
