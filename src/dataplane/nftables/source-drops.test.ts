// The per-source drop breakdown: the ruleset transform, and parsing recorded `nft -j list set`
// output (testdata/live-source-drops*.json, captured by capture-source-drops.sh in a netns).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftablesBackend } from './backend.js';
import { parseNftablesJson } from './parse.js';
import { addSourceDropRules, parseSourceDrops } from './source-drops.js';
import { sourceDropsRuleset } from './testdata/source-drops-ruleset.js';
import type { LookupSet, Rule, Ruleset } from '../../ruleset/model.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('addSourceDropRules', () => {
  it('puts one update rule per family ahead of each counted drop, none elsewhere', () => {
    const rules = addSourceDropRules(sourceDropsRuleset).chains[0]?.rules ?? [];
    expect(rules.map((r) => r.sourceDrops ?? r.verdict.kind)).toEqual(['ipv4', 'ipv6', 'drop', 'ipv6', 'drop', 'drop']);
    expect(rules[0]?.match).toEqual({ ...sourceDropsRuleset.chains[0]?.rules[0]?.match, family: 'ipv4' });
  });

  it('puts the update rules ahead of a per-pair count (dynamic lookup), without the lookup', () => {
    const pairs: LookupSet = {
      name: 'pairs',
      key: ['iif', 'oif'],
      dynamic: true,
      elements: [{ iif: 'br-a', oif: 'br-b', counter: { metric: 'dropped', srcNetwork: 'a', dstNetwork: 'b', reason: 'other_network', policy: 'p' } }],
    };
    const count: Rule = { match: { iif: { names: ['br-a'] }, oif: { set: 'bridges' }, lookup: 'pairs' }, verdict: { kind: 'continue' } };
    const drop: Rule = { match: { oif: { set: 'bridges' } }, verdict: { kind: 'drop' } };
    const ruleset: Ruleset = { ...sourceDropsRuleset, lookups: [pairs], chains: [{ name: 'from-a', rules: [count, drop] }] };
    const rules = addSourceDropRules(ruleset).chains[0]?.rules ?? [];
    expect(rules.map((r) => r.sourceDrops ?? r.verdict.kind)).toEqual(['ipv4', 'ipv6', 'continue', 'drop']);
    expect(rules[0]?.match).toEqual({ iif: { names: ['br-a'] }, oif: { set: 'bridges' }, family: 'ipv4' });
    // The same on a static lookup is not a count of drops: nothing added.
    const staticSet = addSourceDropRules({ ...ruleset, lookups: [{ ...pairs, dynamic: false }] });
    expect(staticSet.chains[0]?.rules).toEqual([count, drop]);
  });

  it('is idempotent and leaves a ruleset without the flag as it is', () => {
    const once = addSourceDropRules(sourceDropsRuleset);
    expect(addSourceDropRules(once)).toEqual(once);
    const { dropsBySource: _flag, ...plain } = sourceDropsRuleset;
    expect(addSourceDropRules(plain)).toBe(plain);
  });
});

describe('parseSourceDrops', () => {
  it('reads every element with its counter from recorded nft 1.0.6 output', () => {
    expect(parseSourceDrops(recorded('live-source-drops4.json'))).toEqual([
      { family: 'ipv4', saddr: '127.0.0.1', ifname: 'lo', packets: 2, bytes: 168 },
      { family: 'ipv4', saddr: '127.0.0.9', ifname: 'lo', packets: 3, bytes: 252 },
    ]);
    expect(parseSourceDrops(recorded('live-source-drops6.json'))).toEqual([
      { family: 'ipv6', saddr: '::1', ifname: 'lo', packets: 1, bytes: 104 },
    ]);
  });

  it('reads both sets from a whole-table listing and rejects non-JSON', () => {
    expect(parseSourceDrops(recorded('live-source-drops-table.json'))).toHaveLength(3);
    expect(() => parseSourceDrops('table inet dockfence {')).toThrow(/not valid JSON/);
  });
});

describe('NftablesBackend.plan with dropsBySource', () => {
  const backend = new NftablesBackend({ exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }) });

  it('finds the live table (sets full of elements) equal to the desired one', () => {
    const observed = parseNftablesJson(recorded('live-source-drops-table.json'));
    expect(backend.plan(sourceDropsRuleset, observed).differences).toEqual([]);
  });

  it('re-applies when the flag is toggled off, or on while the sets are missing', () => {
    const observed = parseNftablesJson(recorded('live-source-drops-table.json'));
    const { dropsBySource: _flag, ...plain } = sourceDropsRuleset;
    expect(backend.plan(plain, observed).differences).toEqual(
      expect.arrayContaining(['set drops_by_source4 not desired', 'set drops_by_source6 not desired']),
    );
    const withoutSets = { ...observed, sets: observed.sets.filter((s) => s.name !== 'drops_by_source6') };
    expect(backend.plan(sourceDropsRuleset, withoutSets).differences).toEqual(['set drops_by_source6 missing']);
  });

  it('readSourceDrops returns nothing when our table does not exist', async () => {
    const missing = new NftablesBackend({
      exec: async () => ({ exitCode: 1, stdout: '', stderr: 'Error: No such file or directory\n' }),
    });
    expect(await missing.readSourceDrops()).toEqual([]);
  });
});
