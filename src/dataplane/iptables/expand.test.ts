// expandRuleset(): the abstract model turned into iptables kernel rules, one family at a time:
// set expansion, helper chains for negated sets, family split, tables, names and the bugs it refuses.

import { describe, expect, it } from 'vitest';
import { ACCEPT_MARK, type Chain, type NamedSet, type Rule, type Ruleset } from '../../ruleset/model.js';
import { hashChainRules } from '../diff.js';
import { assignTables, expandRuleset, type KernelProgram } from './expand.js';

const sets: NamedSet[] = [
  { name: 'bridges', type: 'ifname', elements: ['br-a', 'br-b'] },
  { name: 'lan4', type: 'ipv4', elements: ['10.0.0.0/8', '192.168.1.1'] },
  { name: 'none4', type: 'ipv4', elements: [] },
];

const ruleset = (chains: Chain[], extra: Partial<Ruleset> = {}): Ruleset => ({ sets, chains, acceptMark: ACCEPT_MARK, dockerIptables: false, ...extra });
const oneRule = (rule: Rule): Ruleset => ruleset([{ name: 'forward', hook: 'forward', rules: [rule] }]);
/** Kernel rules of a chain as `match | target` text. */
const text = (program: KernelProgram, chain: string): string[] =>
  program.chains.find((c) => c.name === chain)!.rules.map((r) => `${r.match.join(' ')} | ${r.target.join(' ')}`);

describe('expandRuleset', () => {
  it('expands set references into one rule per element, the cartesian product when several', () => {
    const p = expandRuleset(oneRule({ match: { iif: { set: 'bridges' }, daddr: { family: 'ipv4', set: 'lan4' } }, verdict: { kind: 'drop' } }), 'ipv4', false);
    expect(text(p, 'DF-FORWARD')).toEqual([
      '-d 10.0.0.0/8 -i br-a | -j DROP',
      '-d 10.0.0.0/8 -i br-b | -j DROP',
      '-d 192.168.1.1 -i br-a | -j DROP',
      '-d 192.168.1.1 -i br-b | -j DROP',
    ]);
    const rules = p.chains[0]!.rules;
    expect(new Set(rules.map((r) => r.tag))).toEqual(new Set(hashChainRules(oneRule({ match: { iif: { set: 'bridges' }, daddr: { family: 'ipv4', set: 'lan4' } }, verdict: { kind: 'drop' } }).chains[0]!)));
    expect(new Set(rules.map((r) => r.digest)).size).toBe(4);
    expect(rules.every((r) => r.counted && r.comment === `dockfence:${r.tag}/${r.digest}`)).toBe(true);
  });

  it('turns a negated multi-element match into a helper chain that RETURNs per element, then decides', () => {
    const rule: Rule = { match: { saddr: { family: 'ipv4', cidrs: ['172.18.0.0/16'] }, oif: { set: 'bridges', negate: true } }, verdict: { kind: 'masquerade' }, origin: 'x' };
    const p = expandRuleset(ruleset([{ name: 'postrouting', hook: 'postrouting', rules: [rule] }]), 'ipv4', false);
    const tag = hashChainRules(p.projected.chains[0]!)[0]!;
    const helper = `DF-N${tag.slice(0, 8)}`;
    expect(text(p, 'DF-POSTROUTING')).toEqual([`-s 172.18.0.0/16 | -j ${helper}`]);
    expect(text(p, helper)).toEqual(['-o br-a | -j RETURN', '-o br-b | -j RETURN', ' | -j MASQUERADE']);
    expect(p.chains.find((c) => c.name === helper)).toMatchObject({ table: 'nat', helper: true });
    const all = p.chains.flatMap((c) => c.rules);
    expect(all.every((r) => r.tag === tag)).toBe(true);
    expect(all.map((r) => r.counted)).toEqual([false, false, false, true]);
  });

  it('negates a single element inline and ignores a negated empty list', () => {
    const p = expandRuleset(oneRule({ match: { iif: { names: ['br-a'], negate: true }, daddr: { family: 'ipv4', set: 'none4', negate: true } }, verdict: { kind: 'accept' } }), 'ipv4', false);
    expect(text(p, 'DF-FORWARD')).toEqual(['! -i br-a | -j ACCEPT']);
    expect(p.chains).toHaveLength(1);
  });

  it('drops rules that can never match from the kernel and from the projected ruleset', () => {
    const never: Rule = { match: { daddr: { family: 'ipv4', set: 'none4' } }, verdict: { kind: 'drop' } };
    const p = expandRuleset(ruleset([{ name: 'forward', hook: 'forward', rules: [never, { match: {}, verdict: { kind: 'accept' } }] }]), 'ipv4', false);
    expect(text(p, 'DF-FORWARD')).toEqual([' | -j ACCEPT']);
    expect(p.projected.chains[0]!.rules).toHaveLength(1);
    expect(hashChainRules(p.projected.chains[0]!)[0]).toBe(hashChainRules({ name: 'forward', rules: [never, { match: {}, verdict: { kind: 'accept' } }] })[1]);
  });

  it('splits by family: rules without family go to both, ipv4/ipv6/icmp/dnat rules to one', () => {
    const rs = ruleset([
      {
        name: 'forward',
        hook: 'forward',
        rules: [
          { match: {}, verdict: { kind: 'accept' } },
          { match: { family: 'ipv6' }, verdict: { kind: 'accept' } },
          { match: { protocol: 'icmp' }, verdict: { kind: 'accept' } },
          { match: { protocol: 'icmpv6' }, verdict: { kind: 'accept' } },
          { match: { daddr: { family: 'ipv6', cidrs: ['fd00::/8'] } }, verdict: { kind: 'drop' } },
          { match: { saddr: { family: 'ipv4', cidrs: ['10.0.0.1'] }, daddr: { family: 'ipv6', cidrs: ['fd00::1'] } }, verdict: { kind: 'drop' } },
        ],
      },
    ]);
    expect(text(expandRuleset(rs, 'ipv4', false), 'DF-FORWARD')).toEqual([' | -j ACCEPT', '-p icmp | -j ACCEPT']);
    expect(text(expandRuleset(rs, 'ipv6', false), 'DF-FORWARD')).toEqual([' | -j ACCEPT', ' | -j ACCEPT', '-p ipv6-icmp | -j ACCEPT', '-d fd00::/8 | -j DROP']);
  });

  it('splits more than 15 ports into multiport chunks, a range counting two', () => {
    const dports = [...Array.from({ length: 14 }, (_, i) => ({ from: 100 + i, to: 100 + i })), { from: 200, to: 300 }, { from: 400, to: 400 }];
    const p = expandRuleset(oneRule({ match: { protocol: 'udp', dports }, verdict: { kind: 'accept' } }), 'ipv4', false);
    expect(text(p, 'DF-FORWARD')).toEqual([
      `-p udp -m multiport --dports ${dports.slice(0, 14).map((d) => d.from).join(',')} | -j ACCEPT`,
      '-p udp -m multiport --dports 200:300,400 | -j ACCEPT',
    ]);
    const single = expandRuleset(oneRule({ match: { protocol: 'tcp', dports: [{ from: 1000, to: 2000 }] }, verdict: { kind: 'accept' } }), 'ipv4', false);
    expect(text(single, 'DF-FORWARD')).toEqual(['-p tcp -m tcp --dport 1000:2000 | -j ACCEPT']);
  });

  it('renders conntrack, addrtype and every verdict kind', () => {
    const rs = ruleset([
      {
        name: 'forward',
        hook: 'forward',
        rules: [
          { match: { ctState: ['established', 'related'], ctDnat: true, daddrLocal: true }, verdict: { kind: 'continue' } },
          { match: {}, verdict: { kind: 'markAccept' } },
          { match: {}, verdict: { kind: 'return' } },
          { match: {}, verdict: { kind: 'jump', chain: 'other' } },
          { match: { iif: { names: ['br-a', 'eth0'] } }, verdict: { kind: 'dispatch', on: 'iif', targets: [{ ifname: 'br-a', chain: 'other' }, { ifname: 'br-b', chain: 'other' }] } },
          { match: { oif: { names: ['br-*'] } }, verdict: { kind: 'drop' } },
        ],
      },
      { name: 'other', rules: [] },
      { name: 'prerouting', hook: 'prerouting', rules: [{ match: {}, verdict: { kind: 'dnat', family: 'ipv6', address: 'fd00::2', port: 80 } }] },
    ]);
    const p = expandRuleset(rs, 'ipv6', false);
    expect(text(p, 'DF-FORWARD')).toEqual([
      '-m addrtype --dst-type LOCAL -m conntrack --ctstate ESTABLISHED,RELATED -m conntrack --ctstate DNAT | ',
      ' | -j CONNMARK --or-mark 0x100000',
      ' | -j ACCEPT',
      ' | -j RETURN',
      ' | -j DF-OTHER',
      '-i br-a | -j DF-OTHER',
      '-o br-+ | -j DROP',
    ]);
    expect(text(p, 'DF-PREROUTING')).toEqual([' | -j DNAT --to-destination [fd00::2]:80']);
    const markAccept = p.chains[0]!.rules.slice(1, 3);
    expect(markAccept[0]!.tag).toBe(markAccept[1]!.tag);
    expect(markAccept.map((r) => r.counted)).toEqual([false, true]);
  });

  it('hooks each base chain from its foreign chain, forward from DOCKER-USER when asked', () => {
    const rs = ruleset([
      { name: 'forward', hook: 'forward', rules: [] },
      { name: 'input', hook: 'input', rules: [] },
      { name: 'prerouting', hook: 'prerouting', rules: [] },
      { name: 'postrouting', hook: 'postrouting', rules: [] },
    ]);
    expect(expandRuleset(rs, 'ipv4', true).hooks.map((h) => `${h.id} ${h.table} ${h.parent} ${h.chain}`)).toEqual([
      'hook-forward filter DOCKER-USER DF-FORWARD',
      'hook-input filter INPUT DF-INPUT',
      'hook-prerouting nat PREROUTING DF-PREROUTING',
      'hook-postrouting nat POSTROUTING DF-POSTROUTING',
    ]);
    expect(expandRuleset(rs, 'ipv4', false).hooks[0]!.parent).toBe('FORWARD');
  });

  it('puts regular chains in the table of the base chains that reach them', () => {
    const rs = ruleset([
      { name: 'postrouting', hook: 'postrouting', rules: [{ match: {}, verdict: { kind: 'jump', chain: 'snat' } }] },
      { name: 'snat', rules: [{ match: {}, verdict: { kind: 'jump', chain: 'deeper' } }] },
      { name: 'deeper', rules: [] },
      { name: 'orphan', rules: [] },
    ]);
    expect(Object.fromEntries(assignTables(rs))).toEqual({ postrouting: 'nat', snat: 'nat', deeper: 'nat', orphan: 'filter' });
  });

  it('throws a dockfence bug on what the model promises never to contain', () => {
    const bad = (rs: Ruleset): (() => unknown) => () => expandRuleset(rs, 'ipv4', false);
    expect(bad(ruleset([{ name: 'a-chain-name-that-is-too-long', rules: [] }]))).toThrow(/dockfence bug: .*longer than 28/);
    expect(bad(ruleset([{ name: 'Upper', rules: [] }]))).toThrow(/dockfence bug/);
    expect(bad(ruleset([{ name: 'n01234567', rules: [] }]))).toThrow(/collides with a helper/);
    expect(bad(oneRule({ match: {}, verdict: { kind: 'jump', chain: 'missing' } }))).toThrow(/missing chain missing/);
    expect(bad(oneRule({ match: { iif: { set: 'nope' } }, verdict: { kind: 'drop' } }))).toThrow(/missing set nope/);
    expect(bad(oneRule({ match: { iif: { set: 'lan4' } }, verdict: { kind: 'drop' } }))).toThrow(/type ipv4, used as ifname/);
    expect(bad(oneRule({ match: { iif: { names: ['eth0; rm -rf'] } }, verdict: { kind: 'drop' } }))).toThrow(/invalid interface name/);
    expect(bad(oneRule({ match: { saddr: { family: 'ipv4', cidrs: ['10.0.0.300'] } }, verdict: { kind: 'drop' } }))).toThrow(/invalid IPv4/);
    expect(bad(oneRule({ match: { dports: [{ from: 80, to: 80 }] }, verdict: { kind: 'drop' } }))).toThrow(/dports without tcp\/udp/);
    expect(bad(oneRule({ match: { oif: { set: 'bridges', negate: true } }, verdict: { kind: 'return' } }))).toThrow(/return with a negated/);
    expect(bad(ruleset([{ name: 'forward', hook: 'forward', rules: [] }], { acceptMark: 3 }))).not.toThrow();
    expect(bad(ruleset([{ name: 'forward', hook: 'forward', rules: [{ match: {}, verdict: { kind: 'markAccept' } }] }], { acceptMark: 3 }))).toThrow(/single bit/);
    const shared = ruleset([
      { name: 'forward', hook: 'forward', rules: [{ match: {}, verdict: { kind: 'jump', chain: 'both' } }] },
      { name: 'postrouting', hook: 'postrouting', rules: [{ match: {}, verdict: { kind: 'jump', chain: 'both' } }] },
      { name: 'both', rules: [] },
    ]);
    expect(bad(shared)).toThrow(/reached from both/);
  });
});
