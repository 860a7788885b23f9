import { describe, expect, it } from 'vitest';
import { evaluate, type Packet } from '../ruleset/evaluate.js';
import type { IsolationPolicy } from '../resources/types.js';
import { compile } from './compile.js';
import { container, labInventory, labPolicy, labSnapshot, network } from './testdata/lab.js';
import type { Snapshot } from './snapshot.js';

const APP1 = 'br-111111111111';
const APP2 = 'br-333333333333';
const DOCKER0 = 'docker0';

function forward(s: Snapshot, p: Omit<Packet, 'protocol'> & Partial<Pick<Packet, 'protocol'>>) {
  return evaluate(compile(s).ruleset, 'forward', { protocol: 'tcp', ...p });
}

function policy(name: string, spec: Partial<IsolationPolicy['spec']>): IsolationPolicy {
  return {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'IsolationPolicy',
    metadata: { name },
    spec: { networks: { names: ['int-app1'] }, ...spec },
  };
}

describe('the article lab', () => {
  const lab = labSnapshot();

  it('question 1: same network allowed (no rule decides)', () => {
    const out = forward(lab, { iif: APP1, oif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.2', dport: 3306 });
    expect(out.verdict).toBe('none');
  });

  it('question 2: another network is dropped and counted per network pair', () => {
    const out = forward(lab, { iif: APP2, oif: APP1, saddr: '10.10.102.2', daddr: '10.10.101.2', dport: 3306 });
    expect(out.verdict).toBe('drop');
    expect(out.counter).toEqual({
      metric: 'dropped',
      srcNetwork: 'ext-app2',
      dstNetwork: 'int-app1',
      reason: 'other_network',
      policy: 'lab-isolation',
    });
  });

  it('question 2: an ungoverned network cannot reach in either', () => {
    const out = forward(lab, { iif: DOCKER0, oif: APP1, saddr: '172.17.0.2', daddr: '10.10.101.2', dport: 80 });
    expect(out.verdict).toBe('drop');
    expect(out.counter).toMatchObject({ srcNetwork: 'bridge', dstNetwork: 'int-app1', reason: 'other_network' });
  });

  it('question 3: the host is dropped on every address, replies pass', () => {
    const rs = compile(lab).ruleset;
    const ping = evaluate(rs, 'input', { iif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.1', protocol: 'icmp' });
    expect(ping.verdict).toBe('drop');
    expect(ping.counter).toMatchObject({ dstNetwork: 'host', reason: 'host' });
    const lanIp = evaluate(rs, 'input', { iif: APP2, saddr: '10.10.102.2', daddr: '10.10.10.100', protocol: 'tcp', dport: 22 });
    expect(lanIp.verdict).toBe('drop');
    const reply = evaluate(rs, 'input', { iif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.1', protocol: 'tcp', ctState: 'established' });
    expect(reply.verdict).toBe('accept');
  });

  it('question 4: protected LAN dropped, the world allowed', () => {
    const lan = forward(lab, { iif: APP1, oif: 'ens3', saddr: '10.10.101.2', daddr: '10.10.10.20', dport: 22 });
    expect(lan.verdict).toBe('drop');
    expect(lan.counter).toMatchObject({ dstNetwork: 'protected', reason: 'protected' });
    const world = forward(lab, { iif: APP1, oif: 'ens3', saddr: '10.10.101.2', daddr: '192.0.2.10', dport: 443 });
    expect(world.verdict).toBe('none');
  });

  it('exception: nginx reaches wordpress:80 across networks, but not mysql', () => {
    const ok = forward(lab, { iif: APP2, oif: APP1, saddr: '10.10.102.2', daddr: '10.10.101.3', dport: 80 });
    expect(ok.verdict).toBe('markAccept');
    expect(ok.rule?.origin).toBe('ExposeRule/app2-to-app1-web');
    const wrongPort = forward(lab, { iif: APP2, oif: APP1, saddr: '10.10.102.2', daddr: '10.10.101.3', dport: 22 });
    expect(wrongPort.verdict).toBe('drop');
  });

  it('exception: wordpress reaches the LAN web server on 80 only; mysql does not', () => {
    const ok = forward(lab, { iif: APP1, oif: 'ens3', saddr: '10.10.101.3', daddr: '10.10.10.55', dport: 80 });
    expect(ok).toMatchObject({ verdict: 'markAccept', rule: { origin: 'EgressException/app1-to-webserver' } });
    expect(forward(lab, { iif: APP1, oif: 'ens3', saddr: '10.10.101.3', daddr: '10.10.10.55', dport: 22 }).verdict).toBe('drop');
    expect(forward(lab, { iif: APP1, oif: 'ens3', saddr: '10.10.101.2', daddr: '10.10.10.55', dport: 80 }).verdict).toBe('drop');
  });

  it('exception: nginx published on ens3 80/443 by DNAT, admitted in forward', () => {
    const rs = compile(lab).ruleset;
    const dnat = evaluate(rs, 'prerouting', {
      iif: 'ens3', saddr: '10.10.10.20', daddr: '10.10.10.100', protocol: 'tcp', dport: 443, daddrLocal: true,
    });
    expect(dnat.verdict).toBe('dnat');
    expect(dnat.rule?.verdict).toEqual({ kind: 'dnat', family: 'ipv4', address: '10.10.102.2', port: 443 });
    const otherIf = evaluate(rs, 'prerouting', {
      iif: 'eth9', saddr: '10.10.10.20', daddr: '10.10.10.100', protocol: 'tcp', dport: 443, daddrLocal: true,
    });
    expect(otherIf.verdict).toBe('none');
    const fwd = forward(lab, { iif: 'ens3', oif: APP2, saddr: '10.10.10.20', daddr: '10.10.102.2', dport: 443, dnat: true });
    expect(fwd.verdict).toBe('markAccept');
  });

  it('a container not yet in the inventory is isolated by its bridge alone', () => {
    const out = forward(lab, { iif: APP1, oif: APP2, saddr: '10.10.101.77', daddr: '10.10.102.2', dport: 22 });
    expect(out.verdict).toBe('drop');
    // app2-web opens nginx:80 to 0.0.0.0/0, containers on other networks included (SPEC).
    expect(forward(lab, { iif: APP1, oif: APP2, saddr: '10.10.101.77', daddr: '10.10.102.2', dport: 80 }).verdict).toBe('markAccept');
  });

  it('never looks at traffic that does not touch a Docker bridge', () => {
    expect(forward(lab, { iif: 'ens3', oif: 'eth1', saddr: '10.10.10.20', daddr: '192.0.2.1', dport: 22 }).verdict).toBe('none');
    const rs = compile(lab).ruleset;
    expect(evaluate(rs, 'input', { iif: 'ens3', saddr: '10.10.10.20', daddr: '10.10.10.100', protocol: 'tcp', dport: 22 }).verdict).toBe('none');
  });

  it('reports what each resource matched', () => {
    const { results } = compile(lab);
    expect(results.find((r) => r.name === 'lab-isolation')).toMatchObject({
      matchedNetworks: ['ext-app2', 'int-app1'],
      matchedContainers: ['app1-mysql', 'app1-wordpress', 'app2-nginx'],
      diagnostics: [],
    });
    expect(results.find((r) => r.name === 'app2-web')).toMatchObject({ matchedContainers: ['app2-nginx'], matchedNetworks: ['ext-app2'] });
  });
});

describe('determinism', () => {
  it('same input in any order gives byte-identical output', () => {
    const a = labSnapshot();
    const b = labSnapshot();
    b.inventory.networks.reverse();
    b.inventory.containers.reverse();
    b.exposeRules = [...b.exposeRules].reverse();
    expect(JSON.stringify(compile(b))).toBe(JSON.stringify(compile(a)));
    expect(JSON.stringify(compile(a))).toBe(JSON.stringify(compile(labSnapshot())));
  });

  it('matches the reviewed golden ruleset for the lab', async () => {
    await expect(JSON.stringify(compile(labSnapshot()).ruleset, null, 2)).toMatchFileSnapshot('testdata/lab-ruleset.golden.json');
  });
});

describe('precedence and modes', () => {
  const base = (policies: IsolationPolicy[]): Snapshot => ({ ...labSnapshot(), policies, exposeRules: [], egressExceptions: [] });

  it('the stricter of two policies wins and both report the conflict', () => {
    const s = base([policy('a-open', { sameNetwork: 'Allow' }), policy('b-closed', { sameNetwork: 'Deny' })]);
    const out = forward(s, { iif: APP1, oif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.2' });
    expect(out.verdict).toBe('drop');
    expect(out.counter).toMatchObject({ reason: 'same_network', policy: 'b-closed' });
    const { results } = compile(s);
    for (const name of ['a-open', 'b-closed']) {
      expect(results.find((r) => r.name === name)?.diagnostics.map((d) => d.reason)).toContain('Conflict');
    }
  });

  it('a network that allows other networks is still kept out of one that denies them (inbound)', () => {
    const s = base([
      policy('a-open', { otherNetworks: 'Allow' }),
      { ...policy('b-closed', {}), spec: { networks: { names: ['ext-app2'] }, otherNetworks: 'Deny' } },
    ]);
    const out = forward(s, { iif: APP1, oif: APP2, saddr: '10.10.101.3', daddr: '10.10.102.2', dport: 22 });
    expect(out.verdict).toBe('drop');
    expect(out.counter).toMatchObject({ srcNetwork: 'int-app1', dstNetwork: 'ext-app2', policy: 'b-closed' });
    // ext-app2 drops its own outbound traffic itself, so int-app1's inbound chain needs no rule for it.
    const toApp1 = compile(s).ruleset.chains.find((c) => c.name === `to-${APP1}`);
    expect(toApp1).toBeUndefined();
  });

  it('Audit counts what it would drop and drops nothing', () => {
    const s = base([policy('watch', { mode: 'Audit', sameNetwork: 'Deny', protectedCidrs: ['10.10.10.0/24'] })]);
    const same = forward(s, { iif: APP1, oif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.2' });
    expect(same.verdict).toBe('none');
    expect(same.counted.map((r) => r.counter)).toEqual([
      { metric: 'audit', srcNetwork: 'int-app1', dstNetwork: 'int-app1', reason: 'same_network', policy: 'watch' },
    ]);
    const lan = forward(s, { iif: APP1, oif: 'ens3', saddr: '10.10.101.3', daddr: '10.10.10.9' });
    expect(lan.verdict).toBe('none');
    expect(lan.counted).toHaveLength(1);
  });

  it('Enforce beats Audit on the same question', () => {
    const s = base([policy('a-audit', { mode: 'Audit', host: 'Deny' }), policy('b-enforce', { host: 'Deny' })]);
    const out = evaluate(compile(s).ruleset, 'input', { iif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.1', protocol: 'tcp', dport: 80 });
    expect(out.verdict).toBe('drop');
    expect(out.counter).toMatchObject({ policy: 'b-enforce', metric: 'dropped' });
  });

  it('host ports open only where every denying policy opens them', () => {
    const s = base([
      policy('a', { hostPorts: [{ protocol: 'udp', port: 53 }, { protocol: 'tcp', port: 80 }] }),
      policy('b', { hostPorts: [{ protocol: 'udp', port: 53 }] }),
    ]);
    const rs = compile(s).ruleset;
    const dns = evaluate(rs, 'input', { iif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.1', protocol: 'udp', dport: 53 });
    const web = evaluate(rs, 'input', { iif: APP1, saddr: '10.10.101.3', daddr: '10.10.101.1', protocol: 'tcp', dport: 80 });
    expect([dns.verdict, web.verdict]).toEqual(['accept', 'drop']);
  });

  it('external Deny drops the world but not other destinations it already decided', () => {
    const s = base([policy('closed', { external: 'Deny', otherNetworks: 'Allow' })]);
    expect(forward(s, { iif: APP1, oif: 'ens3', saddr: '10.10.101.3', daddr: '192.0.2.1' }).counter).toMatchObject({
      reason: 'external',
      dstNetwork: 'external',
    });
    expect(forward(s, { iif: APP1, oif: APP2, saddr: '10.10.101.3', daddr: '10.10.102.2' }).verdict).toBe('none');
  });

  it('no policies: nothing to enforce, no chains at all', () => {
    const out = compile({ ...labSnapshot(), policies: [], exposeRules: [], egressExceptions: [] });
    expect(out.ruleset.chains).toEqual([]);
    expect(out.ruleset.sets).toEqual([]);
  });

  it('a policy matching no network says so', () => {
    const out = compile(base([policy('ghost', { networks: { names: ['nope'] } })]));
    expect(out.results[0]?.diagnostics.map((d) => d.reason)).toEqual(['NoMatchingNetworks']);
    expect(out.ruleset.chains).toEqual([]);
  });
});

describe('selectors', () => {
  it('{} governs every bridge network and no other driver', () => {
    const { results } = compile({ ...labSnapshot(), policies: [policy('all', { networks: {} })], exposeRules: [], egressExceptions: [] });
    expect(results[0]?.matchedNetworks).toEqual(['bridge', 'ext-app2', 'int-app1']);
  });

  it('matchLabels on networks', () => {
    const { results } = compile({
      ...labSnapshot(),
      policies: [policy('edge', { networks: { matchLabels: { tier: 'edge' } } })],
      exposeRules: [],
      egressExceptions: [],
    });
    expect(results[0]?.matchedNetworks).toEqual(['ext-app2']);
  });

  it('matchExpressions on compose labels pick exception sources', () => {
    const s = labSnapshot();
    s.egressExceptions = [
      {
        ...s.egressExceptions[0]!,
        spec: {
          source: { matchExpressions: [{ key: 'com.docker.compose.service', operator: 'In', values: ['db', 'web'] }], networks: ['int-app1'] },
          to: [{ cidr: '10.10.10.55/32' }],
        },
      },
    ];
    const { results } = compile(s);
    expect(results.find((r) => r.kind === 'EgressException')?.matchedContainers).toEqual(['app1-mysql', 'app1-wordpress']);
    expect(forward(s, { iif: APP1, oif: 'ens3', saddr: '10.10.101.2', daddr: '10.10.10.55', protocol: 'udp', dport: 9 }).verdict).toBe(
      'markAccept',
    );
  });

  it('an exception naming a missing container compiles to nothing and says so', () => {
    const s = labSnapshot();
    s.egressExceptions = [{ ...s.egressExceptions[0]!, spec: { source: { names: ['ghost'] }, to: [{ cidr: '10.10.10.55' }] } }];
    const out = compile(s);
    expect(out.results.find((r) => r.name === 'app1-to-webserver')?.diagnostics.map((d) => d.reason)).toEqual(['NoMatchingContainers']);
    expect(forward(s, { iif: APP1, oif: 'ens3', saddr: '10.10.101.3', daddr: '10.10.10.55', dport: 80 }).verdict).toBe('drop');
  });
});

describe('IPv6', () => {
  it('protects v6 prefixes and opens v6 exceptions', () => {
    const inv = labInventory();
    inv.networks[1] = network('int-app1', '1111111111112222', ['10.10.101.0/24', 'fd00:101::/64']);
    inv.containers[1] = container('app1-wordpress', [['int-app1', '10.10.101.3', 'fd00:101::3']]);
    const s: Snapshot = {
      ...labSnapshot(),
      inventory: inv,
      policies: [{ ...labPolicy, spec: { ...labPolicy.spec, protectedCidrs: ['10.10.10.0/24', 'fd10::/64'] } }],
    };
    s.egressExceptions = [{ ...s.egressExceptions[0]!, spec: { source: { names: ['app1-wordpress'] }, to: [{ cidr: 'fd10::55/128' }] } }];
    expect(forward(s, { iif: APP1, oif: 'ens3', saddr: 'fd00:101::3', daddr: 'fd10::9' }).counter).toMatchObject({ reason: 'protected' });
    expect(forward(s, { iif: APP1, oif: 'ens3', saddr: 'fd00:101::3', daddr: 'fd10::55' }).verdict).toBe('markAccept');
    expect(forward(s, { iif: APP1, oif: 'ens3', saddr: 'fd00:101::3', daddr: '2001:db8::1' }).verdict).toBe('none');
  });
});

describe('Docker without iptables', () => {
  it('masquerades governed subnets except into protected CIDRs, and exceptions', () => {
    const rs = compile(labSnapshot(false)).ruleset;
    const post = (saddr: string, daddr: string, dport = 80) =>
      evaluate(rs, 'postrouting', { iif: APP1, oif: 'ens3', saddr, daddr, protocol: 'tcp', dport }).verdict;
    expect(post('10.10.101.2', '192.0.2.10')).toBe('masquerade');
    expect(post('10.10.101.2', '10.10.10.20')).toBe('none');
    expect(post('10.10.101.3', '10.10.10.55')).toBe('masquerade');
    expect(evaluate(rs, 'postrouting', { iif: APP1, oif: APP2, saddr: '10.10.101.3', daddr: '10.10.102.2', protocol: 'tcp' }).verdict).toBe('none');
    expect(compile(labSnapshot(true)).ruleset.chains.find((c) => c.hook === 'postrouting')).toBeUndefined();
  });
});

describe('names', () => {
  it('a custom bridge name that chains cannot hold gets a stable hashed chain name', () => {
    const s = labSnapshot();
    s.inventory.networks[1] = { ...s.inventory.networks[1]!, bridge: 'App1.Br' };
    const { ruleset } = compile(s);
    const names = ruleset.chains.map((c) => c.name);
    expect(names.every((n) => /^[a-z][a-z0-9-]*$/.test(n))).toBe(true);
    expect(names.filter((n) => n.startsWith('from-n'))).toHaveLength(1);
    expect(JSON.stringify(compile(s).ruleset)).toBe(JSON.stringify(ruleset));
    expect(forward(s, { iif: 'App1.Br', oif: APP2, saddr: '10.10.101.2', daddr: '10.10.102.2', dport: 22 }).verdict).toBe('drop');
  });
});
