import { describe, expect, it } from 'vitest';
import { evaluate } from '../ruleset/evaluate.js';
import { ACCEPT_MARK, type CounterLabels, type Ruleset } from '../ruleset/model.js';
import { type ExceptionGrant, exceptionLookups } from './exception-lookups.js';

const label = (name: string): CounterLabels => ({ metric: 'exception', kind: 'ExposeRule', name });

function grant(name: string, over: Partial<ExceptionGrant>): ExceptionGrant {
  return { family: 'ipv4', saddrs: ['10.0.1.0/24'], daddrs: ['10.0.2.5'], ports: { protocol: 'tcp', dports: [{ from: 80, to: 80 }] }, counter: label(name), origin: `ExposeRule/${name}`, ...over };
}

/** The exceptions chain as the only forward chain, to ask the evaluator who admits a packet. */
function asRuleset(grants: ExceptionGrant[]): Ruleset {
  const { rules, lookups } = exceptionLookups(grants);
  return { sets: [], lookups, chains: [{ name: 'forward', hook: 'forward', rules }], acceptMark: ACCEPT_MARK, dockerIptables: false };
}

describe('exceptionLookups', () => {
  it('puts each shape and family in its own lookup, one rule each', () => {
    const { rules, lookups } = exceptionLookups([
      grant('web', {}),
      grant('ping', { ports: { protocol: 'icmp' } }),
      grant('all', { saddrs: undefined, ports: {} }),
      grant('web6', { family: 'ipv6', saddrs: ['fd00:1::/64'], daddrs: ['fd00:2::5'] }),
    ]);
    expect(lookups.map((l) => [l.name, l.key.join(','), l.elements.length])).toEqual([
      ['exceptions_any4', 'saddr,daddr', 1],
      ['exceptions_proto4', 'saddr,daddr,protocol', 1],
      ['exceptions_ports4', 'saddr,daddr,protocol,dport', 1],
      ['exceptions_ports6', 'saddr,daddr,protocol,dport', 1],
    ]);
    expect(lookups[0]?.elements[0]?.saddr).toBe('0.0.0.0/0'); // no sources given: anyone
    expect(rules.map((r) => r.match.lookup)).toEqual(lookups.map((l) => l.name));
    expect(rules.every((r) => r.verdict.kind === 'markAccept' && r.counter === undefined)).toBe(true);
  });

  it('expands sources x destinations x ports into elements that all admit', () => {
    const g = grant('multi', { saddrs: ['10.0.1.0/24', '10.0.3.7'], daddrs: ['10.0.2.5', '10.0.2.6'], ports: { protocol: 'udp', dports: [{ from: 53, to: 53 }, { from: 5000, to: 5010 }] } });
    const rs = asRuleset([g]);
    expect(rs.lookups?.[0]?.elements).toHaveLength(8);
    const admit = (saddr: string, daddr: string, dport: number) =>
      evaluate(rs, 'forward', { iif: 'br-a', oif: 'br-b', saddr, daddr, protocol: 'udp', dport }).verdict;
    expect(admit('10.0.3.7', '10.0.2.6', 5005)).toBe('markAccept');
    expect(admit('10.0.1.9', '10.0.2.5', 53)).toBe('markAccept');
    expect(admit('10.0.3.8', '10.0.2.5', 53)).toBe('none');
    expect(admit('10.0.1.9', '10.0.2.5', 5011)).toBe('none');
  });

  it('an element overlapping an earlier one becomes its own rule ahead of the lookups', () => {
    const { rules, lookups } = exceptionLookups([
      grant('wide', { saddrs: ['10.0.0.0/16'] }),
      grant('narrow', { saddrs: ['10.0.1.0/24'] }), // inside wide, same destination and port
      grant('same', {}), // identical key to narrow
      grant('range', { saddrs: ['10.0.0.0/8'], ports: { protocol: 'tcp', dports: [{ from: 79, to: 81 }] } }),
      grant('other-port', { saddrs: ['10.0.0.0/8'], ports: { protocol: 'tcp', dports: [{ from: 81, to: 90 }] } }), // overlaps only range, which is apart
      grant('other-proto', { ports: { protocol: 'udp', dports: [{ from: 80, to: 80 }] } }),
      grant('other-dest', { daddrs: ['10.0.2.6'] }),
    ]);
    expect(lookups[0]?.elements.map((e) => (e.counter as { name: string }).name)).toEqual(['wide', 'other-port', 'other-proto', 'other-dest']);
    expect(rules.map((r) => r.match.lookup ?? (r.counter as { name: string }).name)).toEqual(['narrow', 'same', 'range', 'exceptions_ports4']);
  });

  it('compares a destination CIDR with host destinations inside it', () => {
    const { rules, lookups } = exceptionLookups([
      grant('host', {}),
      grant('subnet', { daddrs: ['10.0.2.0/24'] }),
      grant('elsewhere', { daddrs: ['10.0.9.0/24'] }),
    ]);
    expect(lookups[0]?.elements.map((e) => (e.counter as { name: string }).name)).toEqual(['host', 'elsewhere']);
    expect(rules[0]?.counter).toEqual(label('subnet'));
  });
});
