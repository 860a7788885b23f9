// The opt-in investigation mode: serve --drops-by-source counts dropped packets per source
// container (nft dynamic sets with per-element counters), on real dropped traffic.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { buildArticleLab } from '../harness/lab.js';
import { attachLan, LAN } from '../harness/lan.js';
import { ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';

describe('drops by source container (nftables, --drops-by-source)', () => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;

  beforeAll(async () => {
    host = await startDockerHost({ name: 'bysrc', iptables: true });
    await attachLan(host);
    await buildArticleLab(host);
    probe = createProber(host);
    op = await startOperator(host, { backend: 'nftables', extraArgs: ['--drops-by-source'] });
    const applied = await op.kubectl(['apply', '-f', join(ROOT, 'examples', 'lab-isolation.yaml')]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(await pollUntil(() => probe.tcp({ container: 'app1-mysql' }, LAN.mgmt, 22), false, 15_000), op.logs()).toBe(false);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('names the container whose packets were dropped, and only that one', async () => {
    await probe.tcp({ container: 'app1-mysql' }, LAN.mgmt, 22);
    const mysql = () => op.metric('dockfence_dropped_packets_by_source_total', { src_container: 'app1-mysql', src_network: 'int-app1' });
    expect(await pollUntil(async () => ((await mysql()) ?? 0) > 0, true, 10_000)).toBe(true);
    expect((await op.metric('dockfence_dropped_packets_by_source_total', { src_container: 'app2-nginx' })) ?? 0).toBe(0);
    // The pair-level counters are unchanged by the mode.
    expect(await op.metric('dockfence_dropped_packets_total', { reason: 'protected', src_network: 'int-app1' })).toBeGreaterThan(0);
  });
});
