// IPv6 with Docker managing ip6tables (dockerd --experimental --ip6tables): Docker's own isolation
// then drops cross-network IPv6 too, so the nftables backend's exception only gets through with
// its mark rule ahead of Docker's ip6tables chains. Docker 20.10 (the one here) makes no ip6tables
// DOCKER-USER (that came with Docker 23, moby#44706): the rule then goes first in FORWARD. The
// last tests add DOCKER-USER by hand, as Docker 23 lays it out, and the rule moves there.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { buildArticleLab, LAB } from '../harness/lab.js';
import { netnsRun, netnsRunOk } from '../harness/netns.js';
import { ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, execInContainer, pollUntil, type Prober } from '../harness/probes.js';

const mysql = LAB.containers['app1-mysql'];
const wordpress = LAB.containers['app1-wordpress'];
const nginx = LAB.containers['app2-nginx'];
/** A port wordpress serves that no ExposeRule opens. */
const CLOSED_PORT = 8080;
const POLL_MS = 15_000;
const C = (container: string) => ({ container });
const OUR_SPEC = ['-m', 'connmark', '--mark', '0x100000/0x100000', '-m', 'comment', '--comment', 'dockfence:docker-user', '-j', 'ACCEPT'];
const isOurs = (line: string | undefined): boolean => line?.includes('dockfence:docker-user') ?? false;
/** An IPv6 network made while dockfence runs (Docker 20.10 touches ip6tables only for IPv6 networks). */
const EXTRA_NETWORK = {
  Name: 'extra-v6',
  Driver: 'bridge',
  EnableIPv6: true,
  IPAM: { Driver: 'default', Config: [{ Subnet: '10.10.103.0/24', Gateway: '10.10.103.1' }, { Subnet: 'fd0a:103::/64', Gateway: 'fd0a:103::1' }] },
};

describe('IPv6 with Docker 20.10 managing ip6tables: nftables backend', () => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;
  let dockerOnly: { v4: string; v6: string };

  // What Docker itself configured, without counters: the state dockfence must return to.
  const save = async (command: 'iptables-save' | 'ip6tables-save'): Promise<string> =>
    (await netnsRunOk(host.name, command, [])).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, '').trim();
  const firewall = async () => ({ v4: await save('iptables-save'), v6: await save('ip6tables-save') });
  const chain6 = async (chain: string): Promise<string[]> => (await netnsRunOk(host.name, 'ip6tables', ['-S', chain])).trim().split('\n').slice(1);
  const hasDockerUser6 = async (): Promise<boolean> => (await netnsRun(host.name, 'ip6tables', ['-S', 'DOCKER-USER'])).exitCode === 0;
  const crossing6 = () => probe.tcp(C('app2-nginx'), wordpress.ip6, 80);
  const healedHooks = async (): Promise<number> => (await op.metric('dockfence_drift_healed_total', { kind: 'hook' })) ?? 0;
  const applyExamples = async (): Promise<void> => {
    for (const file of ['lab-isolation.yaml', 'app2-to-app1-web.yaml']) {
      const r = await op.kubectl(['apply', '-f', join(ROOT, 'examples', file)]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
  };
  /** Runs `change` with the operator frozen (no reconcile can interfere), then lets it go. */
  const whileStopped = async (change: () => Promise<void>): Promise<void> => {
    op.signal('SIGSTOP');
    try {
      await change();
    } finally {
      op.signal('SIGCONT');
    }
  };

  beforeAll(async () => {
    host = await startDockerHost({ name: 'v6-ip6t', iptables: true, ip6tables: true });
    await buildArticleLab(host, { ipv6: true });
    const extra = await execInContainer(host.docker, 'app1-wordpress', ['httpd', '-p', String(CLOSED_PORT), '-h', '/www']);
    expect(extra.exitCode).toBe(0);
    probe = createProber(host);
    // Docker alone: same network passes (IPv6 polled: fresh addresses are tentative during DAD),
    // and its ip6tables isolation drops IPv6 across networks, as over IPv4.
    expect(await pollUntil(() => probe.tcp(C('app1-mysql'), wordpress.ip6, CLOSED_PORT))).toBe(true);
    expect(await Promise.all([crossing6(), probe.tcp(C('app2-nginx'), wordpress.ip, 80)])).toEqual([false, false]);
    expect(await hasDockerUser6()).toBe(false);
    dockerOnly = await firewall();

    op = await startOperator(host, { backend: 'nftables', extraArgs: ['--cleanup-on-exit'] });
    await applyExamples();
    expect(await pollUntil(() => probe.tcp(C('app2-nginx'), wordpress.ip, 80), true, POLL_MS), op.logs()).toBe(true);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('without an ip6tables DOCKER-USER our rule goes first in ip6tables FORWARD, and the IPv6 exception passes Docker', async () => {
    expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
    const forward = await chain6('FORWARD');
    expect(forward[0]).toBe(`-A FORWARD ${OUR_SPEC.join(' ').replace('dockfence:docker-user', '"dockfence:docker-user"')}`);
    expect(forward.filter(isOurs)).toHaveLength(1);
    expect(await hasDockerUser6()).toBe(false);
    expect(await op.metric('dockfence_ruleset_applied')).toBe(1);
    expect((await op.metric('dockfence_reconciles_total', { result: 'error' })) ?? 0).toBe(0);
  });

  it('non-excepted ports and networks stay denied over IPv6, and IPv4 behaves the same', async () => {
    const v6 = Promise.all([
      crossing6(),
      probe.tcp(C('app2-nginx'), wordpress.ip6, CLOSED_PORT),
      probe.tcp(C('app2-nginx'), mysql.ip6, 3306),
      probe.tcp(C('app1-wordpress'), nginx.ip6, 80),
      probe.tcp(C('app1-mysql'), wordpress.ip6, CLOSED_PORT),
    ]);
    const v4 = Promise.all([
      probe.tcp(C('app2-nginx'), wordpress.ip, 80),
      probe.tcp(C('app2-nginx'), wordpress.ip, CLOSED_PORT),
      probe.tcp(C('app2-nginx'), mysql.ip, 3306),
      probe.tcp(C('app1-wordpress'), nginx.ip, 80),
      probe.tcp(C('app1-mysql'), wordpress.ip, CLOSED_PORT),
    ]);
    expect(await v6).toEqual([true, false, false, false, true]);
    expect(await v4).toEqual([true, false, false, false, true]);
  });

  it('drift: without our FORWARD rule Docker drops the exception; the rule comes back within a reconcile, counted', async () => {
    const healedBefore = await healedHooks();
    await whileStopped(async () => {
      await netnsRunOk(host.name, 'ip6tables', ['-D', 'FORWARD', ...OUR_SPEC]);
      expect((await chain6('FORWARD')).filter(isOurs)).toEqual([]);
      // Our nft table still accepts and marks it: only Docker's ip6tables isolation drops it now.
      expect(await crossing6()).toBe(false);
      expect(await probe.tcp(C('app2-nginx'), wordpress.ip, 80)).toBe(true);
    });
    expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
    expect(isOurs((await chain6('FORWARD'))[0])).toBe(true);
    expect(await healedHooks()).toBeGreaterThan(healedBefore);
  });

  it('a new IPv6 network: Docker puts its jumps back above our rule, which is first again after a reconcile', async () => {
    let networkId = '';
    try {
      await whileStopped(async () => {
        networkId = (await host.docker.createNetwork(EXTRA_NETWORK)).id;
        const forward = await chain6('FORWARD');
        expect(forward[0]).toBe('-A FORWARD -j DOCKER-ISOLATION-STAGE-1');
        expect(forward.findIndex(isOurs)).toBeGreaterThan(0);
        expect(await crossing6()).toBe(false);
      });
      // The new bridge also changes the desired ruleset, so this reconcile counts as an apply, not drift.
      expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
      const forward = await chain6('FORWARD');
      expect(isOurs(forward[0])).toBe(true);
      expect(forward.filter(isOurs)).toHaveLength(1);
    } finally {
      // Docker removes its own rules with the network; ours stays first and the exception passes.
      if (networkId) await host.docker.getNetwork(networkId).remove();
    }
    expect(isOurs((await chain6('FORWARD'))[0])).toBe(true);
    expect(await crossing6()).toBe(true);
  });

  it('deleting every resource leaves both families exactly as Docker configured them', async () => {
    for (const kind of ['isolationpolicies', 'exposerules', 'egressexceptions']) {
      const del = await op.kubectl(['delete', kind, '--all']);
      expect(del.exitCode, del.stderr).toBe(0);
    }
    expect(await pollUntil(async () => JSON.stringify(await firewall()) === JSON.stringify(dockerOnly), true, POLL_MS)).toBe(true);
    expect((await netnsRun(host.name, 'nft', ['list', 'table', 'inet', 'dockfence'])).exitCode).not.toBe(0);
  });

  it('Docker 23 layout (ip6tables DOCKER-USER made by hand): our rule goes first there, none in FORWARD; a stray FORWARD one is removed', async () => {
    for (const args of [['-N', 'DOCKER-USER'], ['-A', 'DOCKER-USER', '-j', 'RETURN'], ['-I', 'FORWARD', '1', '-j', 'DOCKER-USER']]) {
      await netnsRunOk(host.name, 'ip6tables', args);
    }
    dockerOnly.v6 = await save('ip6tables-save');
    await applyExamples();
    expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
    expect(isOurs((await chain6('DOCKER-USER'))[0])).toBe(true);
    expect((await chain6('FORWARD')).filter(isOurs)).toEqual([]);

    // A rule of ours left in FORWARD (say, from before Docker made DOCKER-USER) goes within a reconcile.
    await whileStopped(() => netnsRunOk(host.name, 'ip6tables', ['-I', 'FORWARD', '1', ...OUR_SPEC]).then(() => undefined));
    expect(await pollUntil(async () => (await chain6('FORWARD')).filter(isOurs).length === 0, true, POLL_MS), op.logs()).toBe(true);
    expect(isOurs((await chain6('DOCKER-USER'))[0])).toBe(true);
    expect(await crossing6()).toBe(true);
  });

  it('serve --cleanup-on-exit removes our ip6tables rule with the rest', async () => {
    await op.stop('SIGTERM');
    expect(await firewall(), op.logs()).toEqual(dockerOnly);
    expect(await crossing6()).toBe(false);
  });
});
