// A hand-made Ruleset shaped like the compiler's output that uses every match and verdict kind:
// set expansion (cartesian), negated sets (helper chains), family splits, multiport chunks, a
// chain reached only from nat. Rendered to full-ruleset.v4/.v6 (golden), recorded live by
// capture.sh and applied for real in test/integration/iptables.test.ts.

import { ACCEPT_MARK, type CounterLabels, type Ruleset } from '../../../ruleset/model.js';

const dropped = (srcNetwork: string, dstNetwork: string, reason: 'other_network' | 'host' | 'protected' | 'external' | 'same_network'): CounterLabels =>
  ({ metric: 'dropped', srcNetwork, dstNetwork, reason, policy: 'lockdown' }) as const;

/** 20 single ports: more than one multiport match can hold. */
const manyPorts = Array.from({ length: 20 }, (_, i) => ({ from: 8000 + i, to: 8000 + i }));

export function fullRuleset(dockerIptables = true): Ruleset {
  return {
    acceptMark: ACCEPT_MARK,
    dockerIptables,
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
          { match: { iif: { set: 'bridges' }, ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
          { match: { ctState: ['invalid'] }, verdict: { kind: 'drop' } },
          { match: { ctDnat: true }, verdict: { kind: 'accept' }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'app2-web' }, origin: 'ExposeRule/app2-web' },
          { match: {}, verdict: { kind: 'jump', chain: 'exceptions' } },
          {
            match: {},
            verdict: { kind: 'dispatch', on: 'iif', targets: [{ ifname: 'br-0a1b2c3d4e5f', chain: 'from-int-app1' }, { ifname: 'docker0', chain: 'from-bridge' }] },
          },
          { match: { oif: { set: 'bridges' } }, verdict: { kind: 'dispatch', on: 'oif', targets: [{ ifname: 'docker0', chain: 'to-bridge' }, { ifname: 'ens3', chain: 'to-bridge' }] } },
          { match: {}, verdict: { kind: 'dispatch', on: 'oif', targets: [] }, origin: 'nothing governed' },
        ],
      },
      {
        name: 'exceptions',
        rules: [
          {
            match: { saddr: { family: 'ipv4', cidrs: ['172.18.0.5', '172.18.0.6'] }, daddr: { family: 'ipv4', cidrs: ['10.10.10.55', '10.10.10.56'] }, protocol: 'tcp', dports: manyPorts },
            verdict: { kind: 'markAccept' },
            counter: { metric: 'exception', kind: 'EgressException', name: 'app1-to-webserver' },
            origin: 'EgressException/app1-to-webserver "quoted" & {braces}',
          },
        ],
      },
      {
        name: 'from-int-app1',
        rules: [
          { match: { oif: { names: ['br-0a1b2c3d4e5f'] } }, verdict: { kind: 'return' } },
          { match: { daddr: { family: 'ipv4', set: 'protected4' } }, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'protected', 'protected') },
          { match: { daddr: { family: 'ipv6', set: 'protected6' } }, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'protected', 'protected') },
          { match: { oif: { set: 'bridges' } }, verdict: { kind: 'continue' }, counter: { metric: 'audit', srcNetwork: 'int-app1', dstNetwork: 'bridge', reason: 'other_network', policy: 'audit' } },
          { match: { oif: { names: ['br-0a1b2c3d4e5f', 'docker0'], negate: true }, daddr: { family: 'ipv4', cidrs: ['10.0.0.0/8', '192.168.0.0/16'], negate: true } }, verdict: { kind: 'accept' } },
          { match: { oif: { names: ['docker0'], negate: true }, daddr: { family: 'ipv6', set: 'empty6', negate: true }, protocol: 'icmpv6' }, verdict: { kind: 'accept' } },
          { match: { family: 'ipv6', protocol: 'udp', dports: [{ from: 53, to: 53 }, { from: 5000, to: 5100 }] }, verdict: { kind: 'accept' } },
          { match: { iif: { names: [] } }, verdict: { kind: 'accept' }, origin: 'empty list never matches' },
          { match: { iif: { names: [], negate: true } }, verdict: { kind: 'continue' } },
          { match: {}, verdict: { kind: 'drop' }, counter: dropped('int-app1', 'external', 'external'), origin: 'IsolationPolicy/lockdown' },
        ],
      },
      { name: 'from-bridge', rules: [{ match: { family: 'ipv4', protocol: 'icmp' }, verdict: { kind: 'accept' } }] },
      { name: 'to-bridge', rules: [{ match: { iif: { set: 'bridges', negate: true } }, verdict: { kind: 'jump', chain: 'from-bridge' } }] },
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
          { match: { saddr: { family: 'ipv4', set: 'docker4' }, daddr: { family: 'ipv4', set: 'protected4' } }, verdict: { kind: 'return' } },
          { match: {}, verdict: { kind: 'jump', chain: 'snat' } },
        ],
      },
      {
        name: 'snat',
        rules: [
          { match: { saddr: { family: 'ipv4', set: 'docker4' }, oif: { set: 'bridges', negate: true }, daddr: { family: 'ipv4', set: 'protected4', negate: true } }, verdict: { kind: 'masquerade' } },
          { match: { saddr: { family: 'ipv6', cidrs: ['fd00:18::/64'] }, oif: { set: 'bridges', negate: true } }, verdict: { kind: 'masquerade' }, origin: 'IsolationPolicy/lockdown' },
        ],
      },
    ],
  };
}
