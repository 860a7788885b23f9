// Counters: an abstract rule's count is the sum of its counted kernel rules over both families,
// and a re-apply carries counts over so they never go down while the abstract rule stays.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectCounters, carryCounters } from './counters.js';
import { expandRuleset } from './expand.js';
import { combineFamilies, emptyFamilyState } from './observed.js';
import { parseIptablesSave } from './parse.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const full4 = parseIptablesSave(recorded('live-full.v4.save'));
const full6 = parseIptablesSave(recorded('live-full.v6.save'));

describe('collectCounters', () => {
  it('reads the packets the recorded pings left on the drop rules, one sample per counted rule', () => {
    const desired = fullRuleset(true);
    const samples = collectCounters(desired, combineFamilies(full4, full6));
    expect(samples).toHaveLength(desired.chains.flatMap((c) => c.rules).filter((r) => r.counter).length);
    const host = samples.find((s) => s.labels.metric === 'dropped' && s.labels.reason === 'host');
    expect(host).toMatchObject({ packets: 2, bytes: 168 });
    const protectedDrops = samples.filter((s) => s.labels.metric === 'dropped' && s.labels.reason === 'protected');
    expect(protectedDrops.map((s) => s.packets)).toEqual([3, 0]); // ipv4 rule, ipv6 rule
    expect(samples.find((s) => s.labels.metric === 'exception' && s.labels.kind === 'EgressException')?.packets).toBe(0);
  });

  it('sums expanded rules and both families, skipping CONNMARK, helper jumps and helper RETURNs', () => {
    const desired = fullRuleset(true);
    const v4 = parseIptablesSave(recorded('live-full.v4.save').replace(/^\[0:0\] (-A DF-\S+ .*-j (?:CONNMARK|DF-N|RETURN).*)$/gm, '[100:1000] $1'));
    const v6 = parseIptablesSave(recorded('live-full.v6.save').replace(/^\[0:0\] (-A DF-FROM-INT-APP1 -d fd1[01].*)$/gm, '[1:10] $1'));
    const samples = collectCounters(desired, combineFamilies(v4, v6));
    const byPolicy = samples.filter((s) => s.labels.metric === 'dropped' && s.labels.reason === 'protected').map((s) => s.packets);
    expect(byPolicy).toEqual([3, 2]);
    expect(samples.find((s) => s.labels.metric === 'exception' && s.labels.kind === 'EgressException')?.packets).toBe(0);
  });

  it('reports 0 for counted rules that are not live', () => {
    const samples = collectCounters(fullRuleset(true), combineFamilies(emptyFamilyState(), emptyFamilyState()));
    expect(samples.every((s) => s.packets === 0 && s.bytes === 0)).toBe(true);
  });
});

describe('carryCounters', () => {
  it('keeps each live kernel rule its counts', () => {
    const program = expandRuleset(fullRuleset(true), 'ipv4', true);
    const carried = carryCounters(program, full4);
    const input = program.chains.find((c) => c.name === 'DF-INPUT')!;
    expect(input.rules.map((r) => carried.get(r)?.packets)).toEqual([0, 0, 0, 0, 2, 0, 0, 0]);
  });

  it('moves what vanished kernel rules counted to the first counted rule of the same abstract rule', () => {
    const desired = fullRuleset(true);
    // br-0a1b2c3d4e5f left the bridges set: the DF-INPUT drop that counted 2 packets is gone.
    desired.sets = desired.sets.map((s) => (s.name === 'bridges' ? { ...s, elements: ['docker0'] } : s));
    const program = expandRuleset(desired, 'ipv4', true);
    const carried = carryCounters(program, full4);
    const drops = program.chains.find((c) => c.name === 'DF-INPUT')!.rules.filter((r) => r.target[1] === 'DROP');
    expect(drops.map((r) => carried.get(r))).toEqual([{ packets: 2, bytes: 168 }, { packets: 0, bytes: 0 }]);
    expect(collectCounters(desired, combineFamilies(full4, full6)).find((s) => s.labels.metric === 'dropped' && s.labels.reason === 'host')?.packets).toBe(2);
  });
});
