import { describe, expect, it } from 'vitest';
import { matches } from './evaluate.js';
import { expandLookups } from './lookups.js';
import { ACCEPT_MARK, type CounterLabels, type Ruleset } from './model.js';

const drop = (src: string, dst: string): CounterLabels => ({ metric: 'dropped', srcNetwork: src, dstNetwork: dst, reason: 'other_network', policy: 'p' });

function ruleset(): Ruleset {
  return {
    sets: [],
    lookups: [
      {
        name: 'network_pairs',
        key: ['iif', 'oif'],
        elements: [
          { iif: 'br-a', oif: 'br-b', counter: drop('a', 'b'), origin: 'IsolationPolicy/p' },
          { iif: 'br-a', oif: 'br-c', counter: drop('a', 'c') },
          { iif: 'br-b', oif: 'br-a', counter: drop('b', 'a') },
        ],
      },
    ],
    chains: [
      { name: 'from-br-a', rules: [{ match: { iif: { names: ['br-a'] }, lookup: 'network_pairs' }, verdict: { kind: 'drop' }, origin: 'rule' }] },
      { name: 'any', rules: [{ match: { protocol: 'tcp', lookup: 'network_pairs' }, verdict: { kind: 'drop' } }] },
    ],
    acceptMark: ACCEPT_MARK,
    dockerIptables: false,
  };
}

describe('expandLookups', () => {
  it('replaces a lookup rule by one counted rule per element, keeping its other matches', () => {
    const out = expandLookups(ruleset());
    expect(out.lookups).toBeUndefined();
    expect(out.chains[1]?.rules).toEqual([
      { match: { protocol: 'tcp', iif: { names: ['br-a'] }, oif: { names: ['br-b'] } }, verdict: { kind: 'drop' }, counter: drop('a', 'b'), origin: 'IsolationPolicy/p' },
      { match: { protocol: 'tcp', iif: { names: ['br-a'] }, oif: { names: ['br-c'] } }, verdict: { kind: 'drop' }, counter: drop('a', 'c') },
      { match: { protocol: 'tcp', iif: { names: ['br-b'] }, oif: { names: ['br-a'] } }, verdict: { kind: 'drop' }, counter: drop('b', 'a') },
    ]);
  });

  it('leaves out elements the rule\'s own interface names exclude; the element origin wins', () => {
    const rules = expandLookups(ruleset()).chains[0]?.rules ?? [];
    expect(rules.map((r) => [r.counter, r.origin])).toEqual([
      [drop('a', 'b'), 'IsolationPolicy/p'],
      [drop('a', 'c'), 'rule'],
    ]);
  });

  it('keeps element order when a rule names several interfaces', () => {
    const rs = ruleset();
    rs.chains = [{ name: 'c', rules: [{ match: { iif: { names: ['br-b', 'br-a'] }, lookup: 'network_pairs' }, verdict: { kind: 'drop' } }] }];
    expect(expandLookups(rs).chains[0]?.rules.map((r) => r.counter)).toEqual([drop('a', 'b'), drop('a', 'c'), drop('b', 'a')]);
    rs.chains[0]!.rules[0]!.match.iif = { names: ['br-z'] };
    expect(expandLookups(rs).chains[0]?.rules).toEqual([]);
  });

  it('returns a ruleset without lookups as it is, and refuses a rule naming a missing lookup', () => {
    const plain: Ruleset = { ...ruleset(), lookups: [], chains: [] };
    expect(expandLookups(plain)).toBe(plain);
    expect(() => expandLookups({ ...ruleset(), lookups: [] })).toThrow(/missing set network_pairs/);
  });
});

describe('matches with a lookup', () => {
  it('holds when some element holds for the packet, and never for an unknown lookup', () => {
    const rs = ruleset();
    const lookups = new Map((rs.lookups ?? []).map((l) => [l.name, l]));
    const packet = { iif: 'br-a', oif: 'br-c', saddr: '10.0.0.2', daddr: '10.0.1.2', protocol: 'tcp' as const };
    const match = { lookup: 'network_pairs' };
    expect(matches(match, packet, new Map(), lookups)).toBe(true);
    expect(matches(match, { ...packet, oif: 'br-d' }, new Map(), lookups)).toBe(false);
    expect(matches({ ...match, protocol: 'udp' }, packet, new Map(), lookups)).toBe(false);
    expect(matches(match, packet, new Map())).toBe(false);
  });
});
