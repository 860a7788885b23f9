// A hand-made Ruleset that uses every match and verdict kind of the model once or more, shaped
// like the compiler's output (two bridges, dispatch chains, exceptions, audit, DNAT, masquerade).
// Rendered to full-ruleset.nft (golden) and applied for real in test/integration/nftables.test.ts.

import { ACCEPT_MARK, type Ruleset } from '../../../ruleset/model.js';

const dropped = (srcNetwork: string, dstNetwork: string, reason: 'other_network' | 'host' | 'protected' | 'external' | 'same_network') =>
  ({ metric: 'dropped', srcNetwork, dstNetwork, reason, policy: 'lockdown' }) as const;

export const fullRuleset: Ruleset = {
  acceptMark: ACCEPT_MARK,
  dockerIptables: true,
  lookups: [
    {
      name: 'network_pairs',
      key: ['iif', 'oif'],
      elements: [
        { iif: 'br-0a1b2c3d4e5f', oif: 'docker0', counter: dropped('int-app1', 'bridge', 'other_network'), origin: 'IsolationPolicy/lockdown' },
        { iif: 'docker0', oif: 'br-0a1b2c3d4e5f', counter: dropped('bridge', 'int-app1', 'other_network') },
      ],
    },
    {
      name: 'exceptions_ports4',
      key: ['saddr', 'daddr', 'protocol', 'dport'],
      family: 'ipv4',
      elements: [
        { saddr: '0.0.0.0/0', daddr: '172.19.0.2', protocol: 'tcp', dport: { from: 443, to: 443 }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'app2-web' } },
        { saddr: '172.18.0.0/16', daddr: '172.19.0.2/32', protocol: 'udp', dport: { from: 5000, to: 5100 }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'app2-udp' } },
      ],
    },
    {
      name: 'exceptions_proto6',
      key: ['saddr', 'daddr', 'protocol'],
      family: 'ipv6',
      elements: [{ saddr: 'fd00:18::5', daddr: 'fd10::/64', protocol: 'icmpv6', counter: { metric: 'exception', kind: 'EgressException', name: 'ping6' } }],
    },
    { name: 'exceptions_any4', key: ['saddr', 'daddr'], family: 'ipv4', elements: [] },
    {
      name: 'pair_counts',
      key: ['iif', 'oif'],
      dynamic: true,
      elements: [{ iif: 'docker0', oif: 'br-0a1b2c3d4e5f', counter: dropped('bridge', 'int-app1', 'other_network') }],
    },
  ],
  sets: [
    { name: 'bridges', type: 'ifname', elements: ['br-0a1b2c3d4e5f', 'docker0'] },
    { name: 'protected4', type: 'ipv4', elements: ['10.10.10.0/24', '192.168.5.7'] },
    { name: 'protected6', type: 'ipv6', elements: ['fd10::/64', 'fd11::7'] },
    { name: 'docker4', type: 'ipv4', elements: ['172.18.0.0/16', '172.19.0.0/16'] },
    { name: 'empty6', type: 'ipv6', elements: [] },
  ],
  chains: [
    {
      name: 'forward',
      hook: 'forward',
      rules: [
        { match: { ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
        { match: { ctState: ['invalid'] }, verdict: { kind: 'drop' } },
        { match: { ctDnat: true }, verdict: { kind: 'accept' }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'app2-web' }, origin: 'ExposeRule/app2-web' },
        {
          match: {},
          verdict: { kind: 'dispatch', on: 'iif', targets: [{ ifname: 'br-0a1b2c3d4e5f', chain: 'from-int-app1' }, { ifname: 'docker0', chain: 'from-bridge' }] },
        },
        { match: { oif: { set: 'bridges' } }, verdict: { kind: 'dispatch', on: 'oif', targets: [{ ifname: 'docker0', chain: 'to-bridge' }] } },
        { match: {}, verdict: { kind: 'dispatch', on: 'oif', targets: [] }, origin: 'nothing governed' },
      ],
    },
    {
      name: 'from-int-app1',
      rules: [
        { match: { oif: { names: ['br-0a1b2c3d4e5f'] } }, verdict: { kind: 'return' } },
        {
          match: { saddr: { family: 'ipv4', cidrs: ['172.18.0.5'] }, daddr: { family: 'ipv4', cidrs: ['10.10.10.55'] }, protocol: 'tcp', dports: [{ from: 80, to: 80 }] },
          verdict: { kind: 'markAccept' },
          counter: { metric: 'exception', kind: 'EgressException', name: 'app1-to-webserver' },
          origin: 'EgressException/app1-to-webserver "quoted" & {braces}',
        },
        { match: { lookup: 'exceptions_ports4' }, verdict: { kind: 'markAccept' } },
        { match: { lookup: 'exceptions_proto6' }, verdict: { kind: 'markAccept' } },
        { match: { lookup: 'exceptions_any4' }, verdict: { kind: 'markAccept' }, origin: 'empty lookup' },
        { match: { iif: { names: ['br-0a1b2c3d4e5f'] }, lookup: 'network_pairs' }, verdict: { kind: 'drop' }, origin: 'IsolationPolicy/lockdown' },
        { match: { daddr: { family: 'ipv4', set: 'protected4' } }, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'protected', 'protected') },
        { match: { daddr: { family: 'ipv6', set: 'protected6' } }, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'protected', 'protected') },
        { match: { oif: { set: 'bridges' } }, verdict: { kind: 'continue' }, counter: { metric: 'audit', srcNetwork: 'int-app1', dstNetwork: 'bridge', reason: 'other_network', policy: 'audit' } },
        { match: { oif: { names: ['br-0a1b2c3d4e5f', 'docker0'], negate: true }, daddr: { family: 'ipv4', cidrs: ['10.0.0.0/8', '192.168.0.0/16'], negate: true } }, verdict: { kind: 'accept' } },
        { match: { daddr: { family: 'ipv6', set: 'empty6', negate: true }, protocol: 'icmpv6' }, verdict: { kind: 'accept' } },
        { match: { family: 'ipv6', protocol: 'udp', dports: [{ from: 53, to: 53 }, { from: 5000, to: 5100 }] }, verdict: { kind: 'accept' } },
        { match: { iif: { names: [] } }, verdict: { kind: 'accept' }, origin: 'empty list never matches' },
        { match: { iif: { names: [], negate: true } }, verdict: { kind: 'continue' } },
        { match: {}, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'external', 'external'), origin: 'IsolationPolicy/lockdown' },
      ],
    },
    { name: 'from-bridge', rules: [{ match: { family: 'ipv4', protocol: 'icmp' }, verdict: { kind: 'accept' } }] },
    {
      name: 'to-bridge',
      rules: [
        { match: { oif: { names: ['docker0'] }, lookup: 'network_pairs' }, verdict: { kind: 'drop' } },
        { match: { iif: { set: 'bridges' }, lookup: 'pair_counts' }, verdict: { kind: 'continue' } },
        { match: { iif: { set: 'bridges', negate: true } }, verdict: { kind: 'jump', chain: 'from-bridge' } },
      ],
    },
    {
      name: 'input',
      hook: 'input',
      rules: [
        { match: { iif: { set: 'bridges' }, ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
        { match: { iif: { set: 'bridges' }, protocol: 'udp', dports: [{ from: 53, to: 53 }] }, verdict: { kind: 'accept' } },
        { match: { iif: { set: 'bridges' }, saddr: { family: 'ipv4', set: 'docker4' }, daddrLocal: true }, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'host', 'host') },
      ],
    },
    {
      name: 'prerouting',
      hook: 'prerouting',
      rules: [
        {
          match: { family: 'ipv4', iif: { names: ['ens3'] }, saddr: { family: 'ipv4', cidrs: ['0.0.0.0/0'] }, daddrLocal: true, protocol: 'tcp', dports: [{ from: 443, to: 443 }] },
          verdict: { kind: 'dnat', family: 'ipv4', address: '172.19.0.2', port: 443 },
          origin: 'ExposeRule/app2-web',
        },
        { match: { daddrLocal: true, protocol: 'tcp', dports: [{ from: 8080, to: 8080 }] }, verdict: { kind: 'dnat', family: 'ipv4', address: '172.19.0.2' } },
        { match: { family: 'ipv6', daddrLocal: true, protocol: 'tcp', dports: [{ from: 443, to: 443 }] }, verdict: { kind: 'dnat', family: 'ipv6', address: 'fd00:19::2', port: 443 } },
        { match: { family: 'ipv6', daddrLocal: true, protocol: 'tcp', dports: [{ from: 80, to: 80 }] }, verdict: { kind: 'dnat', family: 'ipv6', address: 'fd00:19::2' } },
      ],
    },
    {
      name: 'postrouting',
      hook: 'postrouting',
      rules: [
        { match: { saddr: { family: 'ipv4', set: 'docker4' }, oif: { set: 'bridges', negate: true }, daddr: { family: 'ipv4', set: 'protected4', negate: true } }, verdict: { kind: 'masquerade' } },
        { match: { saddr: { family: 'ipv4', cidrs: ['172.18.0.5'] }, daddr: { family: 'ipv4', cidrs: ['10.10.10.55'] } }, verdict: { kind: 'masquerade' }, origin: 'EgressException/app1-to-webserver' },
      ],
    },
  ],
};
