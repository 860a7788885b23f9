// Golden renders of the nftables transaction (testdata/*.nft) and the rules render enforces.
// Regenerate the golden after an intended change: UPDATE_GOLDEN=1 npx vitest run <this file>.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCEPT_MARK, type Ruleset } from '../../ruleset/model.js';
import { hashChainRules } from '../diff.js';
import { renderComment, renderNftables } from './render.js';
import { counterRuleset } from './testdata/counter-ruleset.js';
import { fullRuleset } from './testdata/full-ruleset.js';
import { sourceDropsRuleset } from './testdata/source-drops-ruleset.js';

function golden(name: string, actual: string): void {
  const path = new URL(`./testdata/${name}`, import.meta.url);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const oneRule = (rule: Ruleset['chains'][number]['rules'][number], extra: Partial<Ruleset> = {}): Ruleset => ({
  sets: [],
  chains: [{ name: 'c', rules: [rule] }],
  acceptMark: ACCEPT_MARK,
  dockerIptables: false,
  ...extra,
});

describe('renderNftables', () => {
  it('renders every match and verdict kind as in the golden file', () => {
    golden('full-ruleset.nft', renderNftables(fullRuleset));
  });

  it('renders the counter ruleset as in the golden file', () => {
    golden('counter-ruleset.nft', renderNftables(counterRuleset));
  });

  it('renders an empty ruleset as the table deletion alone', () => {
    golden('empty-ruleset.nft', renderNftables({ sets: [], chains: [], acceptMark: ACCEPT_MARK, dockerIptables: false }));
  });

  it('is deterministic: same input, byte-identical text', () => {
    const copy = JSON.parse(JSON.stringify(fullRuleset)) as Ruleset;
    expect(renderNftables(copy)).toBe(renderNftables(fullRuleset));
  });

  it('tags every rule with the hash the shared diff expects', () => {
    const text = renderNftables(fullRuleset);
    for (const chain of fullRuleset.chains) {
      for (const hash of hashChainRules(chain)) expect(text).toContain(`comment "dockfence:${hash}`);
    }
    const declaration = /^\t\t(type |flags |counter;|elements )/;
    const ruleLines = text.split('\n').filter((l) => l.startsWith('\t\t') && !declaration.test(l));
    expect(ruleLines.every((l) => /comment "dockfence:[0-9a-f]{16}[^"]*"$/.test(l))).toBe(true);
  });

  it('gives equal rules in one chain distinct tags', () => {
    const rule = { match: {}, verdict: { kind: 'accept' as const } };
    const text = renderNftables({ ...oneRule(rule), chains: [{ name: 'c', rules: [rule, rule] }] });
    const tags = [...text.matchAll(/dockfence:([0-9a-f]{16})/g)].map((m) => m[1]);
    expect(tags).toHaveLength(2);
    expect(new Set(tags).size).toBe(2);
  });

  it('uses the ruleset accept mark in markAccept', () => {
    const text = renderNftables(oneRule({ match: {}, verdict: { kind: 'markAccept' } }, { acceptMark: 0x40 }));
    expect(text).toContain('ct mark set ct mark | 0x00000040 accept comment');
  });
});

describe('renderComment', () => {
  it('keeps only safe characters of the origin and at most 128 bytes', () => {
    expect(renderComment('0123456789abcdef', 'Expose"Rule/x; drop')).toBe('dockfence:0123456789abcdef Expose_Rule/x_ drop');
    const long = renderComment('0123456789abcdef', 'é'.repeat(300));
    expect(Buffer.byteLength(long)).toBe(128);
    expect(renderComment('0123456789abcdef')).toBe('dockfence:0123456789abcdef');
  });
});

describe('renderNftables refuses what nft would misread', () => {
  const cases: Array<[string, Ruleset]> = [
    ['a quote in an interface name', oneRule({ match: { iif: { names: ['br-"x'] } }, verdict: { kind: 'accept' } })],
    ['a wildcard interface name', oneRule({ match: { iif: { names: ['br-*'] } }, verdict: { kind: 'accept' } })],
    ['an interface name over 15 bytes', oneRule({ match: { oif: { names: ['br-0123456789abcdef'] } }, verdict: { kind: 'accept' } })],
    ['a malformed IPv4 prefix', oneRule({ match: { daddr: { family: 'ipv4', cidrs: ['10.0.0.0/33'] } }, verdict: { kind: 'drop' } })],
    ['an IPv4 address in an IPv6 match', oneRule({ match: { daddr: { family: 'ipv6', cidrs: ['10.0.0.1'] } }, verdict: { kind: 'drop' } })],
    ['text smuggled into an address', oneRule({ match: { saddr: { family: 'ipv4', cidrs: ['1.2.3.4 accept'] } }, verdict: { kind: 'drop' } })],
    ['ports without tcp/udp', oneRule({ match: { protocol: 'icmp', dports: [{ from: 1, to: 1 }] }, verdict: { kind: 'drop' } })],
    ['a port out of range', oneRule({ match: { protocol: 'tcp', dports: [{ from: 1, to: 70000 }] }, verdict: { kind: 'drop' } })],
    ['a chain named like an nft keyword', oneRule({ match: {}, verdict: { kind: 'jump', chain: 'drop' } })],
    ['a chain name starting with a digit', { ...oneRule({ match: {}, verdict: { kind: 'accept' } }), chains: [{ name: '1net', rules: [] }] }],
    ['a set named like an nft keyword', oneRule({ match: { iif: { set: 'ip' } }, verdict: { kind: 'accept' } })],
    ['an accept mark of 0', oneRule({ match: {}, verdict: { kind: 'markAccept' } }, { acceptMark: 0 })],
  ];
  it.each(cases)('throws a dockfence bug for %s', (_what, ruleset) => {
    expect(() => renderNftables(ruleset)).toThrow(/dockfence bug/);
  });
});

describe('renderNftables with dropsBySource', () => {
  it('adds the dynamic sets and an update rule ahead of each counted drop, as in the golden file', () => {
    golden('source-drops.nft', renderNftables(sourceDropsRuleset));
  });

  it('renders the same ruleset without the flag exactly as before (no sets, no update rules)', () => {
    const { dropsBySource: _flag, ...plain } = sourceDropsRuleset;
    const text = renderNftables(plain);
    expect(text).not.toMatch(/update @|drops_by_source/);
    expect(renderNftables({ ...plain, dropsBySource: false })).toBe(text);
    expect(text.match(/ drop comment/g)).toHaveLength(3);
  });

  it('keeps the drop rules’ hash tags whether the flag is on or off', () => {
    const { dropsBySource: _flag, ...plain } = sourceDropsRuleset;
    const tags = (t: string): string[] => [...t.matchAll(/drop comment "dockfence:([0-9a-f]{16})/g)].map((m) => m[1] as string);
    expect(tags(renderNftables(sourceDropsRuleset))).toEqual(tags(renderNftables(plain)));
  });
});
