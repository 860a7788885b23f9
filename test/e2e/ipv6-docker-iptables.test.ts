// IPv6 with Docker managing ip6tables (dockerd --experimental --ip6tables): Docker's own isolation
// then drops cross-network IPv6 too, so the nftables backend's exception only gets through with
// its mark rule in ip6tables' DOCKER-USER. Docker 20.10 creates that chain only in iptables (it
// came to ip6tables in Docker 23, moby#44706), so the test adds it as Docker 23 lays it out.

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
const DOCKER_USER6_SETUP = [
  ['-N', 'DOCKER-USER'],
  ['-A', 'DOCKER-USER', '-j', 'RETURN'],
  ['-I', 'FORWARD', '1', '-j', 'DOCKER-USER'],
];
const OUR_RULE = ['DOCKER-USER', '-m', 'connmark', '--mark', '0x100000/0x100000', '-m', 'comment', '--comment', 'dockfence:docker-user', '-j', 'ACCEPT'];

describe('IPv6 with Docker managing ip6tables: nftables backend', () => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;
  let dockerOnly: { v4: string; v6: string };

  // What Docker itself configured, without counters: the state dockfence must return to.
  const save = async (command: 'iptables-save' | 'ip6tables-save'): Promise<string> =>
    (await netnsRunOk(host.name, command, [])).replace(/^#.*$/gm, '').replace(/\[\d+:\d+\]/g, '').trim();
  const firewall = async () => ({ v4: await save('iptables-save'), v6: await save('ip6tables-save') });
  const dockerUser6 = async (): Promise<string[]> => (await netnsRunOk(host.name, 'ip6tables', ['-S', 'DOCKER-USER'])).trim().split('\n').slice(1);
  const crossing6 = () => probe.tcp(C('app2-nginx'), wordpress.ip6, 80);
  const applyExamples = async (): Promise<void> => {
    for (const file of ['lab-isolation.yaml', 'app2-to-app1-web.yaml']) {
      const r = await op.kubectl(['apply', '-f', join(ROOT, 'examples', file)]);
      expect(r.exitCode, r.stderr).toBe(0);
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
    expect((await netnsRun(host.name, 'ip6tables', ['-S', 'DOCKER-USER'])).exitCode).not.toBe(0);
    dockerOnly = await firewall();

    op = await startOperator(host, { backend: 'nftables', extraArgs: ['--cleanup-on-exit'] });
    await applyExamples();
    expect(await pollUntil(() => probe.tcp(C('app2-nginx'), wordpress.ip, 80), true, POLL_MS), op.logs()).toBe(true);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('Docker 20.10 without an ip6tables DOCKER-USER: nothing of ours in ip6tables, no error (and Docker drops the v6 exception)', async () => {
    expect(await save('ip6tables-save')).toBe(dockerOnly.v6);
    expect(await op.metric('dockfence_ruleset_applied')).toBe(1);
    expect((await op.metric('dockfence_reconciles_total', { result: 'error' })) ?? 0).toBe(0);
    // The limitation this setup leaves: our table marks and accepts it, Docker's isolation drops it.
    expect(await crossing6()).toBe(false);
  });

  it('once ip6tables has DOCKER-USER (as Docker 23 makes it), our rule goes first there within a reconcile', async () => {
    op.signal('SIGSTOP');
    try {
      for (const args of DOCKER_USER6_SETUP) await netnsRunOk(host.name, 'ip6tables', args);
      dockerOnly.v6 = await save('ip6tables-save');
    } finally {
      op.signal('SIGCONT');
    }
    expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
    expect(await dockerUser6()).toEqual([`-A ${OUR_RULE.join(' ').replace('dockfence:docker-user', '"dockfence:docker-user"')}`, '-A DOCKER-USER -j RETURN']);
  });

  it('the IPv6 cross-network exception passes Docker, non-excepted ports and networks stay denied', async () => {
    const got = await Promise.all([
      crossing6(),
      probe.tcp(C('app2-nginx'), wordpress.ip6, CLOSED_PORT),
      probe.tcp(C('app2-nginx'), mysql.ip6, 3306),
      probe.tcp(C('app1-wordpress'), nginx.ip6, 80),
      probe.tcp(C('app1-mysql'), wordpress.ip6, CLOSED_PORT),
    ]);
    expect(got).toEqual([true, false, false, false, true]);
  });

  it('the same scenario over IPv4 stays as before', async () => {
    const got = await Promise.all([
      probe.tcp(C('app2-nginx'), wordpress.ip, 80),
      probe.tcp(C('app2-nginx'), wordpress.ip, CLOSED_PORT),
      probe.tcp(C('app2-nginx'), mysql.ip, 3306),
      probe.tcp(C('app1-wordpress'), nginx.ip, 80),
      probe.tcp(C('app1-mysql'), wordpress.ip, CLOSED_PORT),
    ]);
    expect(got).toEqual([true, false, false, false, true]);
  });

  it('drift: without our ip6tables rule Docker drops the exception; the rule comes back within a reconcile', async () => {
    const healedBefore = (await op.metric('dockfence_drift_healed_total', { kind: 'hook' })) ?? 0;
    op.signal('SIGSTOP');
    try {
      await netnsRunOk(host.name, 'ip6tables', ['-D', ...OUR_RULE]);
      expect(await dockerUser6()).toEqual(['-A DOCKER-USER -j RETURN']);
      // Our nft table still accepts and marks it: only Docker's ip6tables isolation drops it now.
      expect(await crossing6()).toBe(false);
      expect(await probe.tcp(C('app2-nginx'), wordpress.ip, 80)).toBe(true);
    } finally {
      op.signal('SIGCONT');
    }
    expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
    expect((await dockerUser6())[0]).toContain('dockfence:docker-user');
    expect((await op.metric('dockfence_drift_healed_total', { kind: 'hook' })) ?? 0).toBeGreaterThan(healedBefore);

    // A foreign rule ahead of ours is drift too: ours goes back on top.
    await netnsRunOk(host.name, 'ip6tables', ['-I', 'DOCKER-USER', '1', '-s', '2001:db8::9/128', '-j', 'RETURN']);
    expect(await pollUntil(async () => (await dockerUser6())[0]?.includes('dockfence') ?? false, true, POLL_MS)).toBe(true);
    await netnsRunOk(host.name, 'ip6tables', ['-D', 'DOCKER-USER', '-s', '2001:db8::9/128', '-j', 'RETURN']);
  });

  it('deleting every resource leaves both families exactly as Docker configured them', async () => {
    for (const kind of ['isolationpolicies', 'exposerules', 'egressexceptions']) {
      const del = await op.kubectl(['delete', kind, '--all']);
      expect(del.exitCode, del.stderr).toBe(0);
    }
    expect(await pollUntil(async () => JSON.stringify(await firewall()) === JSON.stringify(dockerOnly), true, POLL_MS)).toBe(true);
    expect((await netnsRun(host.name, 'nft', ['list', 'table', 'inet', 'dockfence'])).exitCode).not.toBe(0);
  });

  it('serve --cleanup-on-exit removes our ip6tables rule with the rest', async () => {
    await applyExamples();
    expect(await pollUntil(crossing6, true, POLL_MS), op.logs()).toBe(true);
    expect((await dockerUser6())[0]).toContain('dockfence:docker-user');
    await op.stop('SIGTERM');
    expect(await firewall(), op.logs()).toEqual(dockerOnly);
    expect(await crossing6()).toBe(false);
  });
});
