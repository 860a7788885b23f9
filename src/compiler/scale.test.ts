import { describe, expect, it } from 'vitest';
import { evaluate } from '../ruleset/evaluate.js';
import type { IsolationPolicy } from '../resources/types.js';
import { compile } from './compile.js';
import { PAIRS_IN_SET, PAIRS_OUT_SET } from './emit-isolation.js';
import { network } from './testdata/lab.js';
import type { Snapshot } from './snapshot.js';

/** Docker network id whose first 12 digits (the bridge name) differ per network. */
function hexId(i: number): string {
  return `${i.toString(16).padStart(12, '0')}abcd`;
}

function policy(name: string, labels: Record<string, string>, otherNetworks: 'Deny' | 'Allow', mode?: 'Audit'): IsolationPolicy {
  return {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'IsolationPolicy',
    metadata: { name },
    spec: { networks: { matchLabels: labels }, otherNetworks, ...(mode ? { mode } : {}) },
  };
}

/** n networks; the first `audited` are in an Audit policy, the rest denied by `lockdown`. */
function snapshot(n: number, audited = 0): Snapshot {
  const networks = Array.from({ length: n }, (_, i) =>
    network(`net${i}`, hexId(i + 1), [`10.${Math.floor(i / 250)}.${i % 250}.0/24`], { group: i < audited ? 'audit' : 'deny' }),
  );
  const policies = [policy('lockdown', { group: 'deny' }, 'Deny')];
  if (audited > 0) policies.push(policy('trial', { group: 'audit' }, 'Deny', 'Audit'));
  return { policies, exposeRules: [], egressExceptions: [], inventory: { dockerIptables: true, networks, containers: [] } };
}

describe('network pairs cost a few rules per network, not one per pair', () => {
  it('rules grow linearly with networks while the pair counts cover every denied pair', () => {
    const rules = (n: number) => compile(snapshot(n)).ruleset.chains.reduce((sum, c) => sum + c.rules.length, 0);
    const pairs = (n: number) => compile(snapshot(n)).ruleset.lookups?.find((l) => l.name === PAIRS_OUT_SET)?.elements.length;
    expect(pairs(20)).toBe(20 * 19);
    expect(pairs(80)).toBe(80 * 79);
    // All drop at the source: nothing is left for the receiving side.
    expect(compile(snapshot(20)).ruleset.lookups?.some((l) => l.name === PAIRS_IN_SET)).toBe(false);
    // Linear: each added network adds the same few rules (quadratic growth would double the step).
    const step = (rules(40) - rules(20)) / 20;
    expect((rules(80) - rules(40)) / 40).toBe(step);
    expect(step).toBeLessThanOrEqual(8);
  });

  it('every denied pair decides with its own counter, naming the source and destination', () => {
    const rs = compile(snapshot(12)).ruleset;
    for (const [src, dst] of [[0, 11], [11, 0], [5, 6]] as const) {
      const out = evaluate(rs, 'forward', {
        iif: `br-${hexId(src + 1).slice(0, 12)}`,
        oif: `br-${hexId(dst + 1).slice(0, 12)}`,
        saddr: `10.0.${src}.2`,
        daddr: `10.0.${dst}.2`,
        protocol: 'tcp',
        dport: 80,
      });
      expect(out.verdict).toBe('drop');
      expect(out.counted.map((r) => r.counter)).toEqual([
        { metric: 'dropped', srcNetwork: `net${src}`, dstNetwork: `net${dst}`, reason: 'other_network', policy: 'lockdown' },
      ]);
    }
  });

  it('an audited network is counted as audit, then dropped by the receiving network, once each', () => {
    const rs = compile(snapshot(4, 1)).ruleset;
    const out = evaluate(rs, 'forward', {
      iif: `br-${hexId(1).slice(0, 12)}`,
      oif: `br-${hexId(3).slice(0, 12)}`,
      saddr: '10.0.0.2',
      daddr: '10.0.2.2',
      protocol: 'udp',
      dport: 53,
    });
    expect(out.verdict).toBe('drop');
    expect(out.counted.map((r) => [r.counter?.metric, (r.counter as { policy?: string }).policy])).toEqual([
      ['audit', 'trial'],
      ['dropped', 'lockdown'],
    ]);
  });
});
