// plan(): the recorded live state of the applied full ruleset plans nothing; each kind of drift
// (edited by hand in recorded text, or in the desired ruleset) plans a difference.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Ruleset } from '../../ruleset/model.js';
import { combineFamilies, type IptablesObserved } from './observed.js';
import { parseIptablesSave } from './parse.js';
import { planIptables } from './plan.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const observe = (v4: string, v6: string): IptablesObserved => combineFamilies(parseIptablesSave(v4), parseIptablesSave(v6));
const full4 = recorded('live-full.v4.save');
const full6 = recorded('live-full.v6.save');

/** The recorded text without the first line matching `pattern` (a rule deleted by hand). */
function without(text: string, pattern: RegExp): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => pattern.test(l));
  expect(i).toBeGreaterThanOrEqual(0);
  lines.splice(i, 1);
  return lines.join('\n');
}

describe('planIptables', () => {
  it('plans nothing for the live state of the applied ruleset', () => {
    expect(planIptables(fullRuleset(true), observe(full4, full6)).differences).toEqual([]);
  });

  it('plans everything on a host without our chains', () => {
    const differences = planIptables(fullRuleset(true), observe(recorded('live-docker.v4.save'), recorded('live-docker.v6.save'))).differences;
    expect(differences).toEqual(['table/chains (ipv4) missing', 'table/chains (ipv6) missing']);
  });

  it('sees hand-made drift: a foreign ACCEPT ahead of our hook, a foreign rule in our chain, a stray chain', () => {
    const differences = planIptables(fullRuleset(true), observe(recorded('live-drift.v4.save'), full6)).differences;
    expect(differences).toEqual(
      expect.arrayContaining([
        'hook (ipv4) hook-forward shadowed by 1 foreign rule(s) ahead of it',
        'chain (ipv4) from-bridge has 1 foreign rule(s)',
        'chain (ipv4) stale not desired',
      ]),
    );
    expect(differences.every((d) => d.includes(' (ipv4) '))).toBe(true);
  });

  it('sees one deleted kernel rule of an expanded abstract rule', () => {
    const v4 = without(full4, /-A DF-INPUT -i docker0 -p udp/);
    expect(planIptables(fullRuleset(true), observe(v4, full6)).differences).toEqual([
      'chain (ipv4) DF-INPUT in table filter: kernel rules differ (7 live, 8 desired)',
    ]);
  });

  it('sees a rule missing in one family only', () => {
    const v6 = without(full6, /-A DF-FORWARD -m conntrack --ctstate INVALID/);
    expect(planIptables(fullRuleset(true), observe(full4, v6)).differences).toEqual([
      'chain (ipv6) forward rules differ (5 live, 6 desired)',
    ]);
  });

  it('sees an edited helper chain', () => {
    const v4 = without(full4, /-A DF-N20ce8bad -o docker0/);
    expect(planIptables(fullRuleset(true), observe(v4, full6)).differences).toEqual([
      'chain (ipv4) DF-N20ce8bad in table nat: kernel rules differ (4 live, 5 desired)',
    ]);
    const gone = observe(full4.replace(/^.*DF-N474a5c6a.*$/gm, ''), full6);
    expect(planIptables(fullRuleset(true), gone).differences).toContain('chain (ipv4) from-int-app1 rules differ (5 live, 6 desired)');
  });

  it('sees set element changes that keep every abstract rule hash', () => {
    const desired = fullRuleset(true);
    desired.sets = desired.sets.map((s) => (s.name === 'protected4' ? { ...s, elements: [...s.elements, '10.20.0.0/16'] } : s));
    const differences = planIptables(desired, observe(full4, full6)).differences;
    expect(differences).toEqual(
      expect.arrayContaining([
        'chain (ipv4) DF-FROM-INT-APP1 in table filter: kernel rules differ (8 live, 9 desired)',
        'chain (ipv4) DF-POSTROUTING in table nat: kernel rules differ (5 live, 7 desired)',
        'chain (ipv4) DF-N20ce8bad in table nat: kernel rules differ (5 live, 6 desired)',
      ]),
    );
  });

  it('sees a missing, duplicated or misplaced hook', () => {
    const noHook = without(full4, /-A DOCKER-USER -m comment --comment "dockfence:hook-forward"/);
    expect(planIptables(fullRuleset(true), observe(noHook, full6)).differences).toEqual([
      'chain (ipv4) forward hook none != forward',
      'hook (ipv4) hook-forward missing',
    ]);
    const twice = full4.replace(/^(\[\d+:\d+\] -A DOCKER-USER -m comment .*)$/m, '$1\n$1');
    expect(planIptables(fullRuleset(true), observe(twice, full6)).differences).toEqual(['hook (ipv4) hook-forward duplicated in filter DOCKER-USER']);
    // Docker's iptables turned off: the forward hook belongs in FORWARD now.
    expect(planIptables(fullRuleset(false), observe(full4, full6)).differences).toEqual([
      'hook (ipv4) hook-forward missing',
      'hook (ipv4) hook-forward in filter DOCKER-USER not desired',
    ]);
  });

  it('sees our chains live when nothing is desired', () => {
    const empty: Ruleset = { ...fullRuleset(true), sets: [], chains: [] };
    const differences = planIptables(empty, observe(full4, full6)).differences;
    expect(differences).toContain('chain (ipv4) forward not desired');
    expect(differences).toContain('hook (ipv6) hook-forward in filter FORWARD not desired');
  });

  it('compares an observation without per-family state in the shared shape', () => {
    const { families: _unused, ...plain } = observe(full4, full6);
    expect(planIptables(fullRuleset(true), plain).differences).toEqual([]);
    expect(planIptables(fullRuleset(true), { ...plain, hooks: {} }).differences).toContain('hook hook-forward missing');
  });
});
