// IPv6: Docker 20.10 neither isolates networks nor masquerades over IPv6 (without --ip6tables),
// so over IPv6 every denial below is dockfence's alone. Same policies, v6 addresses, both backends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { startHostServers, HOST_TCP_PORT } from '../harness/host-servers.js';
import { buildArticleLab, LAB } from '../harness/lab.js';
import { attachLan, LAN } from '../harness/lan.js';
import { ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';

const mysql = LAB.containers['app1-mysql'];
const wordpress = LAB.containers['app1-wordpress'];
const gw6 = LAB.networks['int-app1'].gateway6;
const C = (container: string) => ({ container });

describe.each(['nftables', 'iptables'] as const)('IPv6 isolation: %s backend', (backend) => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;

  beforeAll(async () => {
    host = await startDockerHost({ name: `v6-${backend.slice(0, 3)}`, iptables: true });
    const lan = await attachLan(host);
    await lan.routeToDocker([LAB.networks['int-app1'].subnet6, LAB.networks['ext-app2'].subnet6]);
    await buildArticleLab(host, { ipv6: true });
    startHostServers(host);
    probe = createProber(host);
    // Docker lets all of these through over IPv6 (polled: fresh IPv6 addresses are tentative
    // until duplicate address detection ends):
    const baseline = await Promise.all([
      pollUntil(() => probe.tcp(C('app2-nginx'), mysql.ip6, 3306)),
      pollUntil(() => probe.tcp(C('app1-mysql'), LAN.mgmt6, 22)),
      pollUntil(() => probe.tcp(C('app1-wordpress'), gw6, HOST_TCP_PORT)),
    ]);
    expect(baseline).toEqual([true, true, true]);

    op = await startOperator(host, { backend });
    const policy = readFileSync(join(ROOT, 'examples', 'lab-isolation.yaml'), 'utf8').replace(
      'protectedCidrs: [10.10.10.0/24]',
      `protectedCidrs: [10.10.10.0/24, "${LAN.cidr6}"]`,
    );
    expect(policy).toContain(LAN.cidr6);
    for (const file of ['app2-to-app1-web.yaml']) {
      const r = await op.kubectl(['apply', '-f', join(ROOT, 'examples', file)]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    const r = await op.kubectl(['apply', '-f', '-'], policy);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await pollUntil(() => probe.tcp(C('app2-nginx'), mysql.ip6, 3306), false, 15_000), op.logs()).toBe(false);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('other networks, the host and the protected LAN are denied over IPv6', async () => {
    const got = await Promise.all([
      probe.tcp(C('app2-nginx'), mysql.ip6, 3306),
      probe.tcp(C('app1-mysql'), LAN.mgmt6, 22),
      probe.tcp(C('app1-wordpress'), gw6, HOST_TCP_PORT),
      probe.ping(C('app1-wordpress'), LAB.containers['app2-nginx'].ip6),
    ]);
    expect(got).toEqual([false, false, false, false]);
  });

  it('same network and the cross-network exception still work over IPv6', async () => {
    const got = await Promise.all([
      probe.tcp(C('app1-wordpress'), mysql.ip6, 3306),
      probe.tcp(C('app2-nginx'), wordpress.ip6, 80),
      probe.tcp(C('app1-mysql'), LAN.world6, 80),
    ]);
    expect(got).toEqual([true, true, true]);
  });
});
