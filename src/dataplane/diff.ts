// Shared by both backends: the rule hashes a desired Ruleset expects to see live, and the
// structural comparison of desired with observed that decides whether to apply.

import { hashRule } from '../ruleset/hash.js';
import type { Chain, Ruleset } from '../ruleset/model.js';
import type { ObservedRuleset, Plan } from './backend.js';

/** Rule hashes per chain object: render, plan and counter reads of one ruleset hash it once. */
const hashed = new WeakMap<Chain, { rules: Chain['rules']; hashes: string[] }>();

/**
 * Hashes of a chain's rules in order; equal rules get distinct hashes by occurrence. Cached per
 * chain object (rulesets are not mutated once built; a replaced rules array is hashed afresh).
 */
export function hashChainRules(chain: Chain): string[] {
  const cached = hashed.get(chain);
  if (cached && cached.rules === chain.rules) return cached.hashes;
  const seen = new Map<string, number>();
  const hashes = chain.rules.map((rule) => {
    const key = JSON.stringify(rule);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return hashRule(chain.name, rule, occurrence);
  });
  hashed.set(chain, { rules: chain.rules, hashes });
  return hashes;
}

/**
 * Compare desired with observed. `expectedHooks` lists the shared-chain hook ids the backend
 * must find first in their chains (e.g. iptables jumps); a hook found later than position 0 is
 * shadowed by a foreign rule ahead of it and counts as drift.
 */
export function diffRulesets(desired: Ruleset, observed: ObservedRuleset, expectedHooks: string[] = []): Plan {
  const differences: string[] = [];
  if (!observed.present) {
    if (desired.chains.length > 0) differences.push('table/chains missing');
    return { differences };
  }
  const liveChains = new Map(observed.chains.map((c) => [c.name, c]));
  for (const chain of desired.chains) {
    const live = liveChains.get(chain.name);
    if (!live) {
      differences.push(`chain ${chain.name} missing`);
      continue;
    }
    liveChains.delete(chain.name);
    if ((live.hook ?? undefined) !== (chain.hook ?? undefined)) {
      differences.push(`chain ${chain.name} hook ${live.hook ?? 'none'} != ${chain.hook ?? 'none'}`);
    }
    if (live.untagged > 0) differences.push(`chain ${chain.name} has ${live.untagged} foreign rule(s)`);
    const want = hashChainRules(chain);
    if (want.join(',') !== live.ruleHashes.join(',')) {
      differences.push(`chain ${chain.name} rules differ (${live.ruleHashes.length} live, ${want.length} desired)`);
    }
  }
  for (const extra of liveChains.keys()) differences.push(`chain ${extra} not desired`);

  const liveSets = new Map(observed.sets.map((s) => [s.name, s]));
  for (const set of desired.sets) {
    const live = liveSets.get(set.name);
    if (!live) differences.push(`set ${set.name} missing`);
    else if ([...set.elements].sort().join(',') !== [...live.elements].sort().join(',')) {
      differences.push(`set ${set.name} elements differ`);
    }
    liveSets.delete(set.name);
  }
  for (const extra of liveSets.keys()) differences.push(`set ${extra} not desired`);

  for (const hook of expectedHooks) {
    const position = observed.hooks[hook];
    if (position === undefined) differences.push(`hook ${hook} missing`);
    else if (position !== 0) differences.push(`hook ${hook} shadowed by ${position} foreign rule(s) ahead of it`);
  }
  return { differences };
}
