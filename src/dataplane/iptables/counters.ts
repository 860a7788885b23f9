// Packet counters of the iptables backend. Every iptables rule counts; an abstract rule's count
// is the sum over its counted kernel rules (both families). Re-applying rewrites our chains, so
// render carries each abstract rule's count over to its new kernel rules: counts stay monotonic.

import { expandLookups } from '../../ruleset/lookups.js';
import type { Ruleset } from '../../ruleset/model.js';
import type { CounterSample } from '../backend.js';
import { hashChainRules } from '../diff.js';
import type { KernelProgram, KernelRule } from './expand.js';
import type { IptablesObserved } from './observed.js';
import type { IptablesFamilyState } from './parse.js';

export interface Count {
  packets: number;
  bytes: number;
}

/** Sum of the counted kernel rules per abstract rule tag. */
function countedTotals(states: IptablesFamilyState[]): Map<string, Count> {
  const totals = new Map<string, Count>();
  for (const state of states) {
    for (const chain of state.chains) {
      for (const rule of chain.rules) {
        if (!rule.counted || rule.tag === undefined) continue;
        const t = totals.get(rule.tag) ?? { packets: 0, bytes: 0 };
        t.packets += rule.packets;
        t.bytes += rule.bytes;
        totals.set(rule.tag, t);
      }
    }
  }
  return totals;
}

/** One sample per counted rule of `desired`, from the observed kernel counters (0 when not live). */
export function collectCounters(withLookups: Ruleset, observed: IptablesObserved): CounterSample[] {
  const desired = expandLookups(withLookups);
  const totals = countedTotals([observed.families.ipv4, observed.families.ipv6]);
  const samples: CounterSample[] = [];
  for (const chain of desired.chains) {
    const tags = hashChainRules(chain);
    chain.rules.forEach((rule, i) => {
      if (!rule.counter) return;
      const t = totals.get(tags[i]!) ?? { packets: 0, bytes: 0 };
      samples.push({ labels: rule.counter, packets: t.packets, bytes: t.bytes });
    });
  }
  return samples;
}

/**
 * Counter values to restore with each kernel rule of `program`: a rule whose tag and digest were
 * live keeps its value; what the vanished kernel rules of a still-desired abstract rule had
 * counted moves to that rule's first counted kernel rule, so per-rule sums never go down.
 */
export function carryCounters(program: KernelProgram, state: IptablesFamilyState): Map<KernelRule, Count> {
  const live = new Map<string, Count[]>();
  for (const chain of state.chains) {
    for (const rule of chain.rules) {
      if (rule.tag === undefined) continue;
      const key = `${rule.tag}/${rule.digest ?? ''}`;
      live.set(key, [...(live.get(key) ?? []), { packets: rule.packets, bytes: rule.bytes }]);
    }
  }
  const totals = countedTotals([state]);
  const carried = new Map<KernelRule, Count>();
  const assigned = new Map<string, Count>();
  const firstCounted = new Map<string, KernelRule>();
  for (const chain of program.chains) {
    for (const rule of chain.rules) {
      if (rule.counted && !firstCounted.has(rule.tag)) firstCounted.set(rule.tag, rule);
      const value = live.get(`${rule.tag}/${rule.digest}`)?.shift();
      if (!value) continue;
      carried.set(rule, { ...value });
      if (!rule.counted) continue;
      const a = assigned.get(rule.tag) ?? { packets: 0, bytes: 0 };
      a.packets += value.packets;
      a.bytes += value.bytes;
      assigned.set(rule.tag, a);
    }
  }
  for (const [tag, rule] of firstCounted) {
    const total = totals.get(tag);
    if (!total) continue;
    const a = assigned.get(tag) ?? { packets: 0, bytes: 0 };
    const packets = Math.max(0, total.packets - a.packets);
    const bytes = Math.max(0, total.bytes - a.bytes);
    if (packets === 0 && bytes === 0) continue;
    const c = carried.get(rule) ?? { packets: 0, bytes: 0 };
    carried.set(rule, { packets: c.packets + packets, bytes: c.bytes + bytes });
  }
  return carried;
}
