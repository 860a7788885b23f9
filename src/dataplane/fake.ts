// An in-memory Backend for controller tests: keeps the "live" state as an ObservedRuleset,
// lets a test break it (drift) or make the next apply fail. No kernel involved.

import { canonicalJson } from '../ruleset/hash.js';
import type { NamedSet, Ruleset } from '../ruleset/model.js';
import type { Backend, CounterSample, ObservedRuleset, Plan } from './backend.js';
import { diffRulesets, hashChainRules } from './diff.js';

export class FakeBackend implements Backend {
  readonly name = 'nftables' as const;
  live: ObservedRuleset = { present: false, chains: [], sets: [], hooks: {} };
  applies = 0;
  removes = 0;
  failNextApply: string | undefined;
  /** Packets reported for every counted rule. */
  packetsPerRule = 0;

  async observe(): Promise<ObservedRuleset> {
    return structuredClone(this.live);
  }

  plan(desired: Ruleset, observed: ObservedRuleset): Plan {
    return diffRulesets({ ...desired, sets: allSets(desired) }, observed, desired.dockerIptables ? ['docker-user'] : []);
  }

  async apply(desired: Ruleset): Promise<void> {
    if (this.failNextApply) {
      const message = this.failNextApply;
      this.failNextApply = undefined;
      throw new Error(message);
    }
    this.applies++;
    this.live = {
      present: true,
      chains: desired.chains.map((c) => ({ name: c.name, hook: c.hook, ruleHashes: hashChainRules(c), untagged: 0 })),
      sets: allSets(desired).map((s) => ({ name: s.name, elements: [...s.elements].sort() })),
      hooks: desired.dockerIptables ? { 'docker-user': 0 } : {},
    };
  }

  async readCounters(desired: Ruleset): Promise<CounterSample[]> {
    const sample = (labels: CounterSample['labels']): CounterSample => ({ labels, packets: this.packetsPerRule, bytes: this.packetsPerRule * 100 });
    return [
      ...desired.chains.flatMap((c) => c.rules.flatMap((r) => (r.counter ? [sample(r.counter)] : []))),
      ...(desired.lookups ?? []).flatMap((l) => l.elements.map((e) => sample(e.counter))),
    ];
  }

  async remove(): Promise<void> {
    this.removes++;
    this.live = { present: false, chains: [], sets: [], hooks: {} };
  }
}

/** Named sets plus lookups as sets of their elements' JSON, so the shared diff sees both. */
function allSets(desired: Ruleset): NamedSet[] {
  const lookups = (desired.lookups ?? []).map((l): NamedSet => ({ name: l.name, type: 'ifname', elements: l.elements.map((e) => canonicalJson(e)) }));
  return [...desired.sets, ...lookups];
}
