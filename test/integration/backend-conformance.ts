// The one conformance suite every dataplane backend passes (STYLE.md "Tests"), run against real
// nft/iptables in throwaway namespaces: a host namespace with two bridges standing in for Docker
// networks, and one client namespace per bridge so real packets cross the host.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/dataplane/backend.js';
import type { Exec } from '../../src/lib/exec.js';
import { ACCEPT_MARK, type CounterLabels, type LookupSet, type Rule, type Ruleset } from '../../src/ruleset/model.js';
import { createNetns, mustRun, type Netns } from '../harness/netns-exec.js';

export interface ConformanceOptions {
  /** Deletes one of the backend's own rules by hand, as an admin would (`nft delete rule ...`). */
  deleteOwnRule(exec: Exec): Promise<void>;
  /** Text of everything the backend owns in the namespace; '' when nothing of it remains. */
  dumpOwnState(exec: Exec): Promise<string>;
}

export interface Lab {
  host: Netns;
  c1: Netns; // 172.30.1.2 behind br-a
  c2: Netns; // 172.30.2.2 behind br-b
}

const EXCEPTION: CounterLabels = { metric: 'exception', kind: 'EgressException', name: 'a-to-b-ping' };
const B_TO_A: CounterLabels = { metric: 'dropped', srcNetwork: 'net-b', dstNetwork: 'net-a', reason: 'other_network', policy: 'lockdown' };
const A_TO_HOST: CounterLabels = { metric: 'dropped', srcNetwork: 'net-a', dstNetwork: 'host', reason: 'host', policy: 'lockdown' };
const drop = (srcNetwork: string, dstNetwork: string, reason: 'other_network' | 'protected'): CounterLabels =>
  ({ metric: 'dropped', srcNetwork, dstNetwork, reason, policy: 'lockdown' });

const PORTS: CounterLabels = { metric: 'exception', kind: 'ExposeRule', name: 'ports' };

/** Exceptions of every lookup shape; only the ICMP one (net-a -> c2) is exercised by packets. */
const EXCEPTION_SETS: LookupSet[] = [
  {
    name: 'exceptions_proto4',
    key: ['saddr', 'daddr', 'protocol'],
    family: 'ipv4',
    elements: [{ saddr: '172.30.1.0/24', daddr: '172.30.2.2', protocol: 'icmp', counter: EXCEPTION, origin: 'EgressException/a-to-b-ping' }],
  },
  {
    name: 'exceptions_ports4',
    key: ['saddr', 'daddr', 'protocol', 'dport'],
    family: 'ipv4',
    elements: [
      { saddr: '0.0.0.0/0', daddr: '172.30.2.2', protocol: 'tcp', dport: { from: 8000, to: 8010 }, counter: PORTS },
      { saddr: '172.30.1.2', daddr: '172.30.2.0/24', protocol: 'udp', dport: { from: 53, to: 53 }, counter: PORTS },
    ],
  },
  {
    name: 'exceptions_any6',
    key: ['saddr', 'daddr'],
    family: 'ipv6',
    elements: [{ saddr: 'fd00:0:0::/8', daddr: 'fd30::2', counter: PORTS }],
  },
  {
    name: 'exceptions_proto6',
    key: ['saddr', 'daddr', 'protocol'],
    family: 'ipv6',
    elements: [{ saddr: '::/0', daddr: 'fd30:0::/64', protocol: 'icmpv6', counter: PORTS }],
  },
];

/** A ruleset shaped like the compiler's for two governed networks (net-a on br-a, net-b on br-b). */
export function labRuleset(dockerIptables: boolean): Ruleset {
  const fromA: Rule[] = [
    { match: { oif: { names: ['br-a'] } }, verdict: { kind: 'return' }, origin: 'IsolationPolicy/lockdown same network' },
    ...EXCEPTION_SETS.map((set): Rule => ({ match: { lookup: set.name }, verdict: { kind: 'markAccept' } })),
    { match: { daddr: { family: 'ipv4', set: 'protected4' } }, verdict: { kind: 'drop' }, counter: drop('net-a', 'protected', 'protected') },
    { match: { daddr: { family: 'ipv6', set: 'protected6' } }, verdict: { kind: 'drop' }, counter: drop('net-a', 'protected', 'protected') },
    { match: { iif: { names: ['br-a'] }, oif: { set: 'bridges' }, lookup: 'network_pairs' }, verdict: { kind: 'continue' } },
    { match: { oif: { set: 'bridges' } }, verdict: { kind: 'drop' }, origin: 'IsolationPolicy/lockdown' },
  ];
  const fromB: Rule[] = [
    { match: { oif: { names: ['br-b'] } }, verdict: { kind: 'return' } },
    { match: { oif: { set: 'bridges' }, lookup: 'network_pairs' }, verdict: { kind: 'continue' } }, // no iif: iptables expands both pairs
    { match: { oif: { set: 'bridges' } }, verdict: { kind: 'drop' } },
    { match: {}, verdict: { kind: 'continue' }, counter: { metric: 'audit', srcNetwork: 'net-b', dstNetwork: 'external', reason: 'external', policy: 'audit' } },
  ];
  return {
    acceptMark: ACCEPT_MARK,
    dockerIptables,
    lookups: [
      {
        name: 'network_pairs',
        key: ['iif', 'oif'],
        dynamic: true,
        elements: [
          { iif: 'br-a', oif: 'br-b', counter: drop('net-a', 'net-b', 'other_network') },
          { iif: 'br-b', oif: 'br-a', counter: B_TO_A, origin: 'IsolationPolicy/lockdown' },
        ],
      },
      ...EXCEPTION_SETS,
    ],
    sets: [
      { name: 'bridges', type: 'ifname', elements: ['br-a', 'br-b'] },
      { name: 'docker4', type: 'ipv4', elements: ['172.30.1.0/24', '172.30.2.0/24'] },
      { name: 'protected4', type: 'ipv4', elements: ['10.10.10.0/24', '192.168.7.7'] },
      { name: 'protected6', type: 'ipv6', elements: ['fd10::/64'] },
      { name: 'docker6', type: 'ipv6', elements: [] },
    ],
    chains: [
      {
        name: 'forward',
        hook: 'forward',
        rules: [
          { match: { ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
          { match: { ctDnat: true }, verdict: { kind: 'accept' }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'web' } },
          { match: {}, verdict: { kind: 'dispatch', on: 'iif', targets: [{ ifname: 'br-a', chain: 'from-net-a' }, { ifname: 'br-b', chain: 'from-net-b' }] } },
        ],
      },
      { name: 'from-net-a', rules: fromA },
      { name: 'from-net-b', rules: fromB },
      {
        name: 'input',
        hook: 'input',
        rules: [
          { match: { iif: { set: 'bridges' }, ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
          { match: { iif: { set: 'bridges' }, protocol: 'udp', dports: [{ from: 53, to: 53 }] }, verdict: { kind: 'accept' } },
          { match: { iif: { set: 'bridges' } }, verdict: { kind: 'drop' }, counter: A_TO_HOST },
        ],
      },
      {
        name: 'prerouting',
        hook: 'prerouting',
        rules: [
          {
            match: { family: 'ipv4', iif: { names: ['lan0'] }, daddrLocal: true, protocol: 'tcp', dports: [{ from: 8080, to: 8080 }] },
            verdict: { kind: 'dnat', family: 'ipv4', address: '172.30.1.2', port: 80 },
            origin: 'ExposeRule/web',
          },
        ],
      },
      {
        name: 'postrouting',
        hook: 'postrouting',
        rules: [
          {
            match: { saddr: { family: 'ipv4', set: 'docker4' }, oif: { set: 'bridges', negate: true }, daddr: { family: 'ipv4', set: 'protected4', negate: true } },
            verdict: { kind: 'masquerade' },
          },
        ],
      },
    ],
  };
}

/** Builds the lab; on failure removes what it made and rethrows. Shared with backend-specific suites. */
export async function buildLab(): Promise<Lab> {
  const made: Netns[] = [];
  try {
    for (const prefix of ['dfh', 'dfa', 'dfb']) made.push(await createNetns(prefix));
    const [host, c1, c2] = made as [Netns, Netns, Netns];
    await wireLab(host, c1, c2);
    return { host, c1, c2 };
  } catch (error) {
    for (const ns of made) await ns.remove();
    throw error;
  }
}

async function wireLab(host: Netns, c1: Netns, c2: Netns): Promise<void> {
  const sh = (ns: Netns, ...args: string[]) => mustRun(ns.exec, args[0] as string, args.slice(1));
  await sh(host, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  // The host's LAN side (the article's ens3); a bridge because this kernel may lack `dummy`.
  await sh(host, 'ip', 'link', 'add', 'lan0', 'type', 'bridge');
  await sh(host, 'ip', 'addr', 'add', '10.10.10.1/24', 'dev', 'lan0');
  await sh(host, 'ip', 'link', 'set', 'lan0', 'up');
  for (const [i, client, bridge] of [[1, c1, 'br-a'], [2, c2, 'br-b']] as const) {
    await sh(host, 'ip', 'link', 'add', bridge, 'type', 'bridge');
    await sh(host, 'ip', 'addr', 'add', `172.30.${i}.1/24`, 'dev', bridge);
    await sh(host, 'ip', 'link', 'set', bridge, 'up');
    await sh(host, 'ip', 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client.name);
    await sh(host, 'ip', 'link', 'set', `veth${i}`, 'master', bridge, 'up');
    await sh(client, 'ip', 'addr', 'add', `172.30.${i}.2/24`, 'dev', 'eth0');
    await sh(client, 'ip', 'link', 'set', 'eth0', 'up');
    await sh(client, 'ip', 'route', 'add', 'default', 'via', `172.30.${i}.1`);
  }
}

/** Stand-in for Docker with iptables: DOCKER-USER with Docker's own trailing RETURN. */
async function addDockerUser(exec: Exec): Promise<void> {
  await mustRun(exec, 'iptables', ['-w', '-N', 'DOCKER-USER']);
  await mustRun(exec, 'iptables', ['-w', '-A', 'DOCKER-USER', '-j', 'RETURN']);
}

async function ping(ns: Netns, address: string): Promise<boolean> {
  const result = await ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', address]);
  return result.exitCode === 0;
}

const FOREIGN_NFT = `table inet foreign {
  set friends { type ipv4_addr; flags interval; elements = { 192.0.2.0/24 } }
  chain screen {
    type filter hook forward priority 10; policy accept;
    ip saddr @friends counter accept comment "not ours"
    iifname "br-a" oifname "br-b" counter
  }
}
`;

async function addForeignState(exec: Exec): Promise<void> {
  await mustRun(exec, 'nft', ['-f', '-'], FOREIGN_NFT);
  await mustRun(exec, 'iptables', ['-w', '-N', 'FOREIGN']);
  await mustRun(exec, 'iptables', ['-w', '-A', 'FOREIGN', '-s', '192.0.2.1/32', '-j', 'ACCEPT']);
  await mustRun(exec, 'iptables', ['-w', '-A', 'FORWARD', '-j', 'FOREIGN']);
}

async function dumpForeignState(exec: Exec): Promise<string> {
  const nft = await mustRun(exec, 'nft', ['list', 'table', 'inet', 'foreign']);
  const chain = await mustRun(exec, 'iptables', ['-w', '-S', 'FOREIGN']);
  const forward = (await mustRun(exec, 'iptables', ['-w', '-S', 'FORWARD'])).split('\n').filter((l) => l.includes('FOREIGN'));
  return [nft, chain, ...forward].join('\n');
}

function sample(samples: Awaited<ReturnType<Backend['readCounters']>>, labels: CounterLabels): number {
  return samples.filter((s) => JSON.stringify(s.labels) === JSON.stringify(labels)).reduce((sum, s) => sum + s.packets, 0);
}

/** Registers the conformance tests for one backend; `make` builds it on a namespace's Exec. */
export function runBackendConformance(name: string, make: (exec: Exec) => Backend, options: ConformanceOptions): void {
  describe(`${name} backend conformance`, () => {
    let lab: Lab;
    let backend: Backend;
    beforeEach(async () => {
      lab = await buildLab();
      backend = make(lab.host.exec);
    });
    afterEach(async () => {
      for (const ns of [lab?.c1, lab?.c2, lab?.host]) await ns?.remove();
    });

    const expectInSync = async (desired: Ruleset) => expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);

    it('after apply, the read-back plan is empty', async () => {
      const desired = labRuleset(false);
      expect(backend.plan(desired, await backend.observe()).differences).not.toEqual([]);
      await backend.apply(desired);
      await expectInSync(desired);
    });

    it('applying twice leaves the plan empty and the live state identical', async () => {
      const desired = labRuleset(false);
      await backend.apply(desired);
      const first = await options.dumpOwnState(lab.host.exec);
      await backend.apply(desired);
      await expectInSync(desired);
      expect(await options.dumpOwnState(lab.host.exec)).toBe(first);
    });

    it('a rule deleted by hand is detected and re-apply heals it', async () => {
      const desired = labRuleset(false);
      await backend.apply(desired);
      await options.deleteOwnRule(lab.host.exec);
      expect(backend.plan(desired, await backend.observe()).differences).not.toEqual([]);
      await backend.apply(desired);
      await expectInSync(desired);
    });

    it('foreign tables and chains are byte-identical after apply and after remove', async () => {
      await addForeignState(lab.host.exec);
      const before = await dumpForeignState(lab.host.exec);
      await backend.apply(labRuleset(false));
      expect(await dumpForeignState(lab.host.exec)).toBe(before);
      await backend.remove();
      expect(await dumpForeignState(lab.host.exec)).toBe(before);
    });

    it('remove() leaves nothing of ours, DOCKER-USER rule included', async () => {
      await addDockerUser(lab.host.exec);
      await backend.apply(labRuleset(true));
      expect(await options.dumpOwnState(lab.host.exec)).not.toBe('');
      await backend.remove();
      expect(await options.dumpOwnState(lab.host.exec)).toBe('');
      expect(await backend.observe()).toMatchObject({ present: false, hooks: {} });
      expect(await mustRun(lab.host.exec, 'iptables', ['-w', '-S', 'DOCKER-USER'])).toBe('-N DOCKER-USER\n-A DOCKER-USER -j RETURN\n');
    });

    it('enforces with real packets and its counters move', async () => {
      const desired = labRuleset(false);
      await backend.apply(desired);
      expect(await ping(lab.c1, '172.30.2.2')).toBe(true); // exception: net-a -> c2 by ICMP
      expect(await ping(lab.c2, '172.30.1.2')).toBe(false); // net-b -> net-a denied
      expect(await ping(lab.c1, '172.30.1.1')).toBe(false); // net-a -> host denied
      const samples = await backend.readCounters(desired);
      expect(sample(samples, EXCEPTION)).toBeGreaterThanOrEqual(1);
      expect(sample(samples, B_TO_A)).toBeGreaterThanOrEqual(3);
      expect(sample(samples, A_TO_HOST)).toBeGreaterThanOrEqual(3);
      // A sample for every counted rule and every lookup element (iptables may split one in several).
      const labelsOf = (list: Array<{ counter?: CounterLabels }>) => list.flatMap((x) => (x.counter ? [JSON.stringify(x.counter)] : []));
      const counted = labelsOf([...desired.chains.flatMap((c) => c.rules), ...(desired.lookups ?? []).flatMap((l) => l.elements)]);
      expect(new Set(samples.map((s) => JSON.stringify(s.labels)))).toEqual(new Set(counted));
      // Per element: the denied pair net-b -> net-a counted, the unused net-a -> net-b not.
      expect(sample(samples, drop('net-a', 'net-b', 'other_network'))).toBe(0);
      expect(sample(samples, PORTS)).toBe(0);
    });

    it('keeps its DOCKER-USER hook first: a foreign ACCEPT ahead is detected and apply restores it', async () => {
      await addDockerUser(lab.host.exec);
      const desired = labRuleset(true);
      await backend.apply(desired);
      await expectInSync(desired);
      expect(Object.values((await backend.observe()).hooks)).toContain(0);
      await mustRun(lab.host.exec, 'iptables', ['-w', '-I', 'DOCKER-USER', '1', '-s', '192.0.2.9/32', '-j', 'ACCEPT']);
      const plan = backend.plan(desired, await backend.observe());
      expect(plan.differences.join('\n')).toMatch(/shadowed/);
      await backend.apply(desired);
      await expectInSync(desired);
      const rules = await mustRun(lab.host.exec, 'iptables', ['-w', '-S', 'DOCKER-USER']);
      expect(rules).toContain('-A DOCKER-USER -s 192.0.2.9/32 -j ACCEPT');
      expect(rules.trim().split('\n').at(-1)).toBe('-A DOCKER-USER -j RETURN');
      expect(await ping(lab.c1, '172.30.2.2')).toBe(true);
    });
  });
}
