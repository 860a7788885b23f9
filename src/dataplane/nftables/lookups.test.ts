import { describe, expect, it } from 'vitest';
import type { CounterLabels, LookupSet } from '../../ruleset/model.js';
import { dynamicUpdate, lookupDeclaration, lookupKeyExpression, printedLookupElement, renderLookupElement } from './lookups.js';
import { renderNftables } from './render.js';
import { ACCEPT_MARK } from '../../ruleset/model.js';

const counter: CounterLabels = { metric: 'exception', kind: 'ExposeRule', name: 'x' };

const pairs: LookupSet = { name: 'network_pairs', key: ['iif', 'oif'], elements: [{ iif: 'br-a', oif: 'br-b', counter }] };
const ports6: LookupSet = {
  name: 'exceptions_ports6',
  key: ['saddr', 'daddr', 'protocol', 'dport'],
  family: 'ipv6',
  elements: [
    { saddr: '::/0', daddr: 'FD00:0:0::5/128', protocol: 'tcp', dport: { from: 80, to: 80 }, counter },
    { saddr: 'fd00:1::/64', daddr: 'fd00::6', protocol: 'udp', dport: { from: 5000, to: 5010 }, counter },
  ],
};

describe('nft lookups', () => {
  it('declares a counted set typed by its key; addresses and ports make it an interval set', () => {
    expect(lookupDeclaration(pairs)).toEqual([
      '\tset network_pairs {',
      '\t\ttype ifname . ifname;',
      '\t\tcounter;',
      '\t\telements = { "br-a" . "br-b" }',
      '\t}',
    ]);
    expect(lookupDeclaration(ports6).join('\n')).toBe(
      [
        '\tset exceptions_ports6 {',
        '\t\ttype ipv6_addr . ipv6_addr . inet_proto . inet_service;',
        '\t\tflags interval;',
        '\t\tcounter;',
        '\t\telements = { ::/0 . FD00:0:0::5/128 . tcp . 80, fd00:1::/64 . fd00::6 . udp . 5000-5010 }',
        '\t}',
      ].join('\n'),
    );
  });

  it('declares a dynamic set empty and sized, filled by an update statement in a count-only rule', () => {
    const dynamic: LookupSet = { ...pairs, name: 'network_pairs_out', dynamic: true };
    expect(lookupDeclaration(dynamic)).toEqual([
      '\tset network_pairs_out {',
      '\t\ttype ifname . ifname;',
      '\t\tflags dynamic; size 65536;',
      '\t\tcounter;',
      '\t}',
    ]);
    expect(dynamicUpdate(dynamic)).toBe('update @network_pairs_out { iifname . oifname }');
    const ruleset = (kind: 'continue' | 'drop') => ({
      sets: [],
      lookups: [dynamic],
      chains: [{ name: 'c', rules: [{ match: { iif: { names: ['br-a'] }, lookup: 'network_pairs_out' }, verdict: { kind } }] }],
      acceptMark: ACCEPT_MARK,
      dockerIptables: false,
    });
    expect(renderNftables(ruleset('continue'))).toContain('\t\tiifname "br-a" update @network_pairs_out { iifname . oifname } continue comment');
    expect(() => renderNftables(ruleset('drop'))).toThrow(/dynamic lookup network_pairs_out in a rule with verdict drop/);
  });

  it('renders the key a rule looks up', () => {
    expect(lookupKeyExpression(pairs)).toBe('iifname . oifname');
    expect(lookupKeyExpression(ports6)).toBe('ip6 saddr . ip6 daddr . meta l4proto . th dport');
    expect(lookupKeyExpression({ ...ports6, family: 'ipv4', key: ['saddr', 'daddr', 'protocol'] })).toBe('ip saddr . ip daddr . meta l4proto');
  });

  it('prints elements as nft reads them back: bare host addresses, RFC 5952, ipv6-icmp', () => {
    expect(printedLookupElement(pairs, pairs.elements[0]!)).toBe('br-a . br-b');
    expect(ports6.elements.map((e) => printedLookupElement(ports6, e))).toEqual(['::/0 . fd00::5 . tcp . 80', 'fd00:1::/64 . fd00::6 . udp . 5000-5010']);
    const icmp: LookupSet = { name: 'e', key: ['saddr', 'daddr', 'protocol'], family: 'ipv6', elements: [{ saddr: '::/0', daddr: 'fd00::1', protocol: 'icmpv6', counter }] };
    expect(renderLookupElement(icmp, icmp.elements[0]!)).toBe('::/0 . fd00::1 . ipv6-icmp');
  });

  it('refuses values that could change the transaction\'s meaning', () => {
    const bad: LookupSet = { ...pairs, elements: [{ iif: 'br-a" accept', oif: 'br-b', counter }] };
    expect(() => lookupDeclaration(bad)).toThrow(/dockfence bug/);
    const reversed: LookupSet = { ...ports6, elements: [{ ...ports6.elements[0]!, dport: { from: 9, to: 8 } }] };
    expect(() => lookupDeclaration(reversed)).toThrow(/reversed/);
    expect(() => lookupDeclaration({ ...pairs, name: 'drop' })).toThrow(/nft keyword/);
  });
});
