// The acceptance scenario: the article's lab on a real Docker host, examples/ applied with the
// real kubectl to dockfence running as shipped inside the host's namespace, and each of the four
// isolation questions and each exception checked with real TCP, UDP and ICMP — on both backends,
// with Docker's iptables on and off.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { startHostServers, HOST_TCP_PORT, HOST_UDP_PORT } from '../harness/host-servers.js';
import { buildArticleLab, LAB } from '../harness/lab.js';
import { attachLan, LAN } from '../harness/lan.js';
import { ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';

const mysql = LAB.containers['app1-mysql'];
const wordpress = LAB.containers['app1-wordpress'];
const nginx = LAB.containers['app2-nginx'];
const gw1 = LAB.networks['int-app1'].gateway;
const C = (container: string) => ({ container });

const matrix = [
  { backend: 'nftables', dockerIptables: true },
  { backend: 'iptables', dockerIptables: true },
  { backend: 'nftables', dockerIptables: false },
  { backend: 'iptables', dockerIptables: false },
] as const;

describe.each(matrix)('article lab: $backend backend, Docker iptables=$dockerIptables', ({ backend, dockerIptables }) => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;

  beforeAll(async () => {
    host = await startDockerHost({ name: `lab-${backend.slice(0, 3)}-${dockerIptables ? 'd' : 'n'}`, iptables: dockerIptables });
    await attachLan(host);
    await buildArticleLab(host);
    startHostServers(host);
    probe = createProber(host);
    // Without dockfence, Docker lets containers reach the host (and, masquerading, the LAN): the
    // probes below can succeed, so every "denied" later is dockfence's doing.
    expect(await pollUntil(() => probe.tcp(C('app1-wordpress'), gw1, HOST_TCP_PORT))).toBe(true);
    if (dockerIptables) expect(await probe.tcp(C('app1-mysql'), LAN.mgmt, 22)).toBe(true);

    op = await startOperator(host, { backend });
    const applied = await op.kubectl(['apply', '-f', join(ROOT, 'examples')]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    // Enforced once the policy reports Ready (the controller writes status after applying).
    const ready = await pollUntil(async () => {
      const r = await op.kubectl(['get', 'isolationpolicy', 'lab-isolation', '-o', 'jsonpath={.status.conditions[0].status}']);
      return r.stdout.trim() === 'True';
    }, true, 30_000);
    expect(ready, op.logs()).toBe(true);
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('1. same network: allowed (TCP, UDP, ICMP)', async () => {
    const got = await Promise.all([
      probe.tcp(C('app1-wordpress'), mysql.ip, 3306),
      probe.udp(C('app1-mysql'), wordpress.ip, 7),
      probe.ping(C('app1-wordpress'), mysql.ip),
    ]);
    expect(got).toEqual([true, true, true]);
  });

  it('2. other networks: denied both ways (TCP, UDP, ICMP)', async () => {
    const got = await Promise.all([
      probe.tcp(C('app2-nginx'), mysql.ip, 3306),
      probe.udp(C('app2-nginx'), wordpress.ip, 7),
      probe.udp(C('app1-mysql'), nginx.ip, 7),
      probe.ping(C('app1-wordpress'), nginx.ip),
      probe.ping(C('app2-nginx'), mysql.ip),
    ]);
    expect(got).toEqual([false, false, false, false, false]);
  });

  it('2. exceptions: nginx -> wordpress:80 across networks; anyone -> nginx:80', async () => {
    const got = await Promise.all([
      probe.tcp(C('app2-nginx'), wordpress.ip, 80),
      probe.tcp(C('app1-mysql'), nginx.ip, 80),
      probe.tcp(C('app1-wordpress'), nginx.ip, 443),
    ]);
    expect(got).toEqual([true, true, true]);
  });

  it('3. the host: denied on every address (TCP, UDP, ICMP); the host still reaches containers', async () => {
    const got = await Promise.all([
      probe.tcp(C('app1-wordpress'), gw1, HOST_TCP_PORT),
      probe.tcp(C('app2-nginx'), LAN.hostIp, HOST_TCP_PORT),
      probe.udp(C('app1-mysql'), gw1, HOST_UDP_PORT),
      probe.ping(C('app1-mysql'), gw1),
    ]);
    expect(got).toEqual([false, false, false, false]);
    expect(await probe.tcp({ host: true }, wordpress.ip, 80)).toBe(true);
  });

  it('4. protected LAN: denied (TCP, UDP, ICMP); the world: allowed', async () => {
    const got = await Promise.all([
      probe.tcp(C('app1-mysql'), LAN.mgmt, 22),
      probe.udp(C('app1-mysql'), LAN.mgmt, 53),
      probe.ping(C('app2-nginx'), LAN.web),
      probe.tcp(C('app1-mysql'), LAN.world, 80),
      probe.udp(C('app2-nginx'), LAN.world, 53),
    ]);
    expect(got).toEqual([false, false, false, true, true]);
  });

  it('4. exception: wordpress -> LAN web server :80 only', async () => {
    const got = await Promise.all([
      probe.tcp(C('app1-wordpress'), LAN.web, 80),
      probe.tcp(C('app1-wordpress'), LAN.web, 22),
      probe.tcp(C('app1-mysql'), LAN.web, 80),
    ]);
    expect(got).toEqual([true, false, false]);
  });

  it('publish: the LAN reaches nginx on the host’s ens3 :80/:443 (DNAT); the host itself stays reachable from the LAN', async () => {
    const got = await Promise.all([
      probe.tcp({ lan: LAN.mgmt }, LAN.hostIp, 80),
      probe.tcp({ lan: LAN.mgmt }, LAN.hostIp, 443),
      probe.tcp({ lan: LAN.mgmt }, LAN.hostIp, HOST_TCP_PORT),
    ]);
    expect(got).toEqual([true, true, true]);
  });

  it('dockfence check names the deciding resource; dockfence doctor passes', async () => {
    const denied = await op.cli(['check', '--from', 'app2-nginx', '--to', 'app1-mysql:3306/tcp']);
    expect(denied.exitCode, denied.stderr).toBe(1);
    expect(denied.stdout).toContain('IsolationPolicy/lab-isolation');
    const allowed = await op.cli(['check', '--from', 'app2-nginx', '--to', 'app1-wordpress:80/tcp']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain('ExposeRule/app2-to-app1-web');
    const doctor = await op.cli(['doctor']);
    expect(doctor.exitCode, doctor.stdout + doctor.stderr).toBe(0);
  });

  it('status and metrics report what was matched and dropped', async () => {
    const policy = await op.get<{ status: { matchedNetworks: string[]; matchedContainers: string[] } }>(
      '/apis/dockfence.io/v1alpha1/isolationpolicies/lab-isolation',
    );
    expect(policy.status.matchedNetworks).toEqual(['ext-app2', 'int-app1']);
    expect(policy.status.matchedContainers).toEqual(['app1-mysql', 'app1-wordpress', 'app2-nginx']);
    for (const reason of ['other_network', 'host', 'protected']) {
      expect(await op.metric('dockfence_dropped_packets_total', { reason, policy: 'lab-isolation' }), reason).toBeGreaterThan(0);
    }
    expect(await op.metric('dockfence_exception_packets_total', { kind: 'EgressException', name: 'app1-to-webserver' })).toBeGreaterThan(0);
    expect(await op.metric('dockfence_ruleset_applied')).toBe(1);
  });
});
