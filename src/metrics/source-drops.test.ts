// Per-source drop metrics: names from the inventory, monotonic totals across set restarts, and
// the series exist only when the flag is on (default cardinality stays bounded).

import { describe, expect, it } from 'vitest';
import type { DockerInventory } from '../compiler/snapshot.js';
import { createMetrics } from './metrics.js';
import { labelSource, type SourceDropSample } from './source-drops.js';

const inventory: DockerInventory = {
  dockerIptables: true,
  networks: [{ id: 'n1', name: 'app1', driver: 'bridge', bridge: 'br-app1', subnets: ['172.20.0.0/16'], gateways: [], labels: {}, options: {}, internal: false }],
  containers: [{ id: 'c1', name: 'app1-mysql', labels: {}, state: 'running', endpoints: [{ network: 'app1', ipv4: '172.20.0.2', ipv6: 'fd00::2' }] }],
};
const sample = (saddr: string, packets: number, family: 'ipv4' | 'ipv6' = 'ipv4'): SourceDropSample => ({ family, saddr, ifname: 'br-app1', packets, bytes: packets * 100 });

describe('labelSource', () => {
  it('names the container and network, or leaves the container empty for an unknown address', () => {
    expect(labelSource(sample('172.20.0.2', 1), inventory)).toEqual({ src_container: 'app1-mysql', src_network: 'app1' });
    expect(labelSource(sample('fd00::2', 1, 'ipv6'), inventory)).toEqual({ src_container: 'app1-mysql', src_network: 'app1' });
    expect(labelSource(sample('172.20.0.99', 1), inventory)).toEqual({ src_container: '', src_network: 'app1' });
    expect(labelSource({ ...sample('10.0.0.1', 1), ifname: 'eth0' }, undefined)).toEqual({ src_container: '', src_network: '' });
  });
});

describe('dockfence_dropped_packets_by_source_total', () => {
  it('is absent unless dropsBySource is on', async () => {
    const text = await createMetrics({ version: 't', backend: 'nftables' }).registry.metrics();
    expect(text).not.toContain('by_source');
  });

  it('adds deltas and never goes backwards when the set restarts', async () => {
    const metrics = createMetrics({ version: 't', backend: 'nftables', dropsBySource: true });
    let samples = [sample('172.20.0.2', 3), sample('172.20.0.99', 1)];
    metrics.setSourceDropSource(async () => samples, () => inventory);
    const value = async (container: string): Promise<number | undefined> => {
      await metrics.flushCounters();
      const m = await metrics.registry.getSingleMetric('dockfence_dropped_packets_by_source_total')?.get();
      return m?.values.find((v) => v.labels.src_container === container)?.value;
    };
    expect(await value('app1-mysql')).toBe(3);
    samples = [sample('172.20.0.2', 5), sample('172.20.0.99', 1)];
    expect(await value('app1-mysql')).toBe(5);
    expect(await value('')).toBe(1);
    samples = []; // table rewritten: the set is empty
    expect(await value('app1-mysql')).toBe(5);
    samples = [sample('172.20.0.2', 2)];
    expect(await value('app1-mysql')).toBe(7);
    const bytes = await metrics.registry.getSingleMetric('dockfence_dropped_bytes_by_source_total')?.get();
    expect(bytes?.values.find((v) => v.labels.src_container === 'app1-mysql')?.value).toBe(700);
  });
});
