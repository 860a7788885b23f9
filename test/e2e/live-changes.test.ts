// Enforcement follows a living host: containers started, re-addressed and gone, networks
// recreated under new bridge names, policies edited and deleted, and drift — our table flushed,
// our hook removed or shadowed, dockerd restarted — healed by itself and counted.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { startHostServers, HOST_TCP_PORT } from '../harness/host-servers.js';
import { IMAGE_REF } from '../harness/image.js';
import { buildArticleLab, LAB } from '../harness/lab.js';
import { attachLan, LAN } from '../harness/lan.js';
import { netnsRun, netnsRunOk } from '../harness/netns.js';
import { ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';

const wordpress = LAB.containers['app1-wordpress'];
const mysql = LAB.containers['app1-mysql'];
const nginx = LAB.containers['app2-nginx'];
const gw1 = LAB.networks['int-app1'].gateway;
const C = (container: string) => ({ container });
const POLL_MS = 15_000;

async function setup(name: string, backend: 'nftables' | 'iptables') {
  const host = await startDockerHost({ name, iptables: true });
  await attachLan(host);
  await buildArticleLab(host);
  startHostServers(host);
  const probe = createProber(host);
  const op = await startOperator(host, { backend });
  const applied = await op.kubectl(['apply', '-f', join(ROOT, 'examples')]);
  expect(applied.exitCode, applied.stderr).toBe(0);
  expect(await pollUntil(() => probe.tcp(C('app1-wordpress'), gw1, HOST_TCP_PORT), false, POLL_MS), op.logs()).toBe(false);
  return { host, probe, op };
}

async function run(host: DockerHost, args: string[]): Promise<string> {
  const r = await host.cli(args);
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('live changes (nftables, Docker iptables=true)', () => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;

  beforeAll(async () => {
    ({ host, probe, op } = await setup('live-nft', 'nftables'));
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('a container started while the controller is frozen is isolated from its first packet', async () => {
    op.signal('SIGSTOP');
    try {
      await run(host, ['run', '-d', '--name', 'app1-late', '--network', 'int-app1', IMAGE_REF, 'sleep', '3600']);
      const got = await Promise.all([
        probe.tcp(C('app1-late'), gw1, HOST_TCP_PORT),
        probe.tcp(C('app1-late'), LAN.mgmt, 22),
        probe.tcp(C('app1-late'), mysql.ip, 3306),
      ]);
      expect(got).toEqual([false, false, true]);
    } finally {
      op.signal('SIGCONT');
    }
  });

  it('a container re-addressed: its exception follows the new IP', async () => {
    await run(host, ['network', 'disconnect', 'int-app1', 'app1-wordpress']);
    await run(host, ['network', 'connect', '--ip', '10.10.101.30', 'int-app1', 'app1-wordpress']);
    expect(await pollUntil(() => probe.tcp(C('app2-nginx'), '10.10.101.30', 80), true, POLL_MS)).toBe(true);
    expect(await probe.tcp(C('app2-nginx'), mysql.ip, 3306)).toBe(false);
  });

  it('a network deleted and recreated under a new bridge name is governed again', async () => {
    const patch = await op.kubectl(['patch', 'isolationpolicy', 'lab-isolation', '--type=json', '-p',
      '[{"op":"add","path":"/spec/networks/names/-","value":"tmp-net"}]']);
    expect(patch.exitCode, patch.stderr).toBe(0);
    for (let round = 0; round < 2; round++) {
      await run(host, ['network', 'create', '--subnet', '10.10.103.0/24', 'tmp-net']);
      await run(host, ['run', '-d', '--name', 'tmp-box', '--network', 'tmp-net', IMAGE_REF, 'sleep', '3600']);
      expect(await pollUntil(() => probe.tcp(C('tmp-box'), '10.10.103.1', HOST_TCP_PORT), false, POLL_MS), `round ${round}`).toBe(false);
      await run(host, ['rm', '-f', 'tmp-box']);
      await run(host, ['network', 'rm', 'tmp-net']);
    }
  });

  it('a policy edited (sameNetwork: Deny) and then deleted: rules follow within a reconcile', async () => {
    expect(await probe.tcp(C('app1-mysql'), '10.10.101.30', 80)).toBe(true);
    const patch = await op.kubectl(['patch', 'isolationpolicy', 'lab-isolation', '--type=merge', '-p', '{"spec":{"sameNetwork":"Deny"}}']);
    expect(patch.exitCode, patch.stderr).toBe(0);
    expect(await pollUntil(() => probe.tcp(C('app1-mysql'), '10.10.101.30', 80), false, POLL_MS)).toBe(false);
    const del = await op.kubectl(['delete', 'isolationpolicy', 'lab-isolation']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(await pollUntil(() => probe.tcp(C('app1-mysql'), gw1, HOST_TCP_PORT), true, POLL_MS)).toBe(true);
    expect(await probe.tcp(C('app1-mysql'), '10.10.101.30', 80)).toBe(true);
  });

  it('drift: our table flushed, deleted, the DOCKER-USER mark rule removed, dockerd restarted — all healed and counted', async () => {
    const apply = await op.kubectl(['apply', '-f', join(ROOT, 'examples', 'lab-isolation.yaml')]);
    expect(apply.exitCode, apply.stderr).toBe(0);
    const denied = () => probe.tcp(C('app1-wordpress'), gw1, HOST_TCP_PORT);
    expect(await pollUntil(denied, false, POLL_MS)).toBe(false);
    const healedBefore = (await op.metric('dockfence_drift_healed_total')) ?? 0;

    await netnsRunOk(host.name, 'nft', ['flush', 'table', 'inet', 'dockfence']);
    expect(await pollUntil(denied, false, POLL_MS)).toBe(false);
    expect(await pollUntil(async () => ((await op.metric('dockfence_drift_healed_total')) ?? 0) > healedBefore, true, POLL_MS)).toBe(true);

    await netnsRunOk(host.name, 'nft', ['delete', 'table', 'inet', 'dockfence']);
    expect(await pollUntil(async () => (await netnsRun(host.name, 'nft', ['list', 'table', 'inet', 'dockfence'])).exitCode === 0, true, POLL_MS)).toBe(true);
    expect(await denied()).toBe(false);

    // Without the DOCKER-USER mark rule, Docker's isolation drops the nginx -> wordpress exception.
    const crossing = () => probe.tcp(C('app2-nginx'), '10.10.101.30', 80);
    expect(await crossing()).toBe(true);
    await netnsRunOk(host.name, 'iptables', ['-D', 'DOCKER-USER', '-m', 'connmark', '--mark', '0x100000/0x100000', '-m', 'comment', '--comment', 'dockfence:docker-user', '-j', 'ACCEPT']);
    expect(await pollUntil(crossing, true, POLL_MS)).toBe(true);

    await host.restartDockerd('SIGTERM');
    expect(await pollUntil(crossing, true, 30_000), op.logs()).toBe(true);
    expect(await pollUntil(denied, false, POLL_MS)).toBe(false);
    expect((await op.metric('dockfence_drift_healed_total', { kind: 'hook' })) ?? 0).toBeGreaterThan(0);
  });
});

describe('drift and cleanup (iptables backend, Docker iptables=true)', () => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;
  let dockerOnly: string;

  // What Docker itself configured, without counters: the state dockfence must return to.
  const firewall = async (): Promise<string> =>
    (await netnsRunOk(host.name, 'iptables-save', [])).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, '').trim();

  beforeAll(async () => {
    host = await startDockerHost({ name: 'live-ipt', iptables: true });
    await attachLan(host);
    await buildArticleLab(host);
    dockerOnly = await firewall();
    startHostServers(host);
    probe = createProber(host);
    op = await startOperator(host, { backend: 'iptables', extraArgs: ['--cleanup-on-exit'] });
    const applied = await op.kubectl(['apply', '-f', join(ROOT, 'examples')]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(await pollUntil(() => probe.tcp(C('app1-mysql'), LAN.mgmt, 22), false, POLL_MS), op.logs()).toBe(false);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('a foreign ACCEPT inserted ahead of our hook is detected and our hook goes back on top', async () => {
    await netnsRunOk(host.name, 'iptables', ['-I', 'DOCKER-USER', '1', '-j', 'ACCEPT']);
    expect(await pollUntil(async () => {
      const rules = await netnsRunOk(host.name, 'iptables', ['-S', 'DOCKER-USER']);
      return rules.split('\n')[1]?.includes('dockfence') ?? false;
    }, true, POLL_MS)).toBe(true);
    expect(await probe.tcp(C('app1-mysql'), LAN.mgmt, 22)).toBe(false);
    expect((await op.metric('dockfence_drift_healed_total', { kind: 'hook' })) ?? 0).toBeGreaterThan(0);
  });

  it('our chains flushed by hand come back', async () => {
    const before = (await op.metric('dockfence_drift_healed_total', { kind: 'rules' })) ?? 0;
    await netnsRunOk(host.name, 'iptables', ['-F', 'DF-INPUT']);
    const healed = async () => ((await op.metric('dockfence_drift_healed_total', { kind: 'rules' })) ?? 0) > before;
    expect(await pollUntil(healed, true, POLL_MS)).toBe(true);
    expect(await probe.tcp(C('app1-wordpress'), gw1, HOST_TCP_PORT)).toBe(false);
  });

  it('deleting every resource leaves the firewall exactly as Docker configured it', async () => {
    // The foreign ACCEPT of the first test is not ours: remove it before comparing with Docker's state.
    await netnsRunOk(host.name, 'iptables', ['-D', 'DOCKER-USER', '-j', 'ACCEPT']);
    for (const kind of ['isolationpolicies', 'exposerules', 'egressexceptions']) {
      const del = await op.kubectl(['delete', kind, '--all']);
      expect(del.exitCode, del.stderr).toBe(0);
    }
    expect(await pollUntil(async () => (await firewall()) === dockerOnly, true, POLL_MS)).toBe(true);
    expect(await probe.tcp(C('app1-wordpress'), gw1, HOST_TCP_PORT)).toBe(true);
    expect(await probe.tcp(C('app2-nginx'), nginx.ip, 80)).toBe(true);
  });

  it('serve --cleanup-on-exit removes everything of ours when it stops', async () => {
    const applied = await op.kubectl(['apply', '-f', join(ROOT, 'examples')]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(await pollUntil(async () => (await firewall()).includes('DF-FORWARD'), true, POLL_MS)).toBe(true);
    await op.stop('SIGTERM');
    expect(await firewall(), op.logs()).toBe(dockerOnly);
    expect(await probe.tcp(C('app1-mysql'), LAN.mgmt, 22)).toBe(true);
  });
});
