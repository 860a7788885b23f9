// LookupSet helpers shared by the evaluator and the iptables backend: an element as the plain
// match it stands for, and a ruleset with every lookup rule expanded into one rule per element
// (same verdict, the element's counter). Pure.

import { bug } from '../lib/errors.js';
import type { LookupElement, LookupSet, Match, Rule, Ruleset } from './model.js';

/** The match an element stands for: its key fields as one-value matches. */
export function elementMatch(set: LookupSet, element: LookupElement): Match {
  const match: Match = {};
  for (const field of set.key) {
    const value = element[field];
    if (value === undefined) throw bug(`element of lookup ${set.name} has no ${field}`);
    switch (field) {
      case 'iif':
        match.iif = { names: [element.iif!] };
        break;
      case 'oif':
        match.oif = { names: [element.oif!] };
        break;
      case 'saddr':
      case 'daddr':
        if (!set.family) throw bug(`lookup ${set.name} keys addresses without a family`);
        match[field] = { family: set.family, cidrs: [element[field]!] };
        break;
      case 'protocol':
        match.protocol = element.protocol!;
        break;
      case 'dport':
        match.dports = [element.dport!];
        break;
    }
  }
  if (set.family && !match.saddr && !match.daddr) match.family = set.family;
  return match;
}

/** False when the rule's own interface match rules the element out (e.g. iif br-a vs br-b). */
function compatible(rule: Rule, element: LookupElement): boolean {
  for (const field of ['iif', 'oif'] as const) {
    const names = rule.match[field]?.negate ? undefined : rule.match[field]?.names;
    const value = element[field];
    if (names !== undefined && value !== undefined && !names.includes(value)) return false;
  }
  return true;
}

/** Element positions by interface, per set: a rule naming its interface skips the others. */
const byInterface = new WeakMap<LookupSet, Record<'iif' | 'oif', Map<string, number[]>>>();

function indexOf(set: LookupSet): Record<'iif' | 'oif', Map<string, number[]>> {
  let index = byInterface.get(set);
  if (!index) {
    index = { iif: new Map(), oif: new Map() };
    set.elements.forEach((element, i) => {
      for (const field of ['iif', 'oif'] as const) {
        const value = element[field];
        if (value !== undefined) index![field].set(value, [...(index![field].get(value) ?? []), i]);
      }
    });
    byInterface.set(set, index);
  }
  return index;
}

/** The elements a rule can see, in element order: narrowed by its literal iif/oif names when keyed on them. */
function candidates(rule: Rule, set: LookupSet): LookupElement[] {
  for (const field of ['iif', 'oif'] as const) {
    const m = rule.match[field];
    if (!set.key.includes(field) || m?.negate || m?.names === undefined) continue;
    const index = indexOf(set)[field];
    const positions = [...new Set(m.names.flatMap((name) => index.get(name) ?? []))].sort((a, b) => a - b);
    return positions.map((i) => set.elements[i]!);
  }
  return set.elements;
}

/**
 * The rules a lookup rule stands for: one per element, in element order, each counted. Elements
 * that the rule's own interface names exclude are left out (they could never match there). A
 * dynamic lookup's rule only counts (verdict continue), so its expansion counts the same packets.
 */
export function expandLookupRule(rule: Rule, set: LookupSet): Rule[] {
  if (set.dynamic && rule.verdict.kind !== 'continue') throw bug(`dynamic lookup ${set.name} in a rule with verdict ${rule.verdict.kind}`);
  const { lookup: _lookup, ...rest } = rule.match;
  return candidates(rule, set).filter((element) => compatible(rule, element)).map((element) => {
    const expanded: Rule = { match: { ...rest, ...elementMatch(set, element) }, verdict: rule.verdict, counter: element.counter };
    const origin = element.origin ?? rule.origin;
    if (origin !== undefined) expanded.origin = origin;
    if (rule.sourceDrops !== undefined) expanded.sourceDrops = rule.sourceDrops;
    return expanded;
  });
}

/**
 * `ruleset` without lookups: each lookup rule replaced by its element rules. Returns `ruleset`
 * itself when it has none. Throws a dockfence bug for a rule naming a lookup that is not there.
 */
export function expandLookups(ruleset: Ruleset): Ruleset {
  const lookups = ruleset.lookups ?? [];
  if (lookups.length === 0 && !ruleset.chains.some((c) => c.rules.some((r) => r.match.lookup !== undefined))) return ruleset;
  const byName = new Map(lookups.map((l) => [l.name, l]));
  const chains = ruleset.chains.map((chain) => ({
    ...chain,
    rules: chain.rules.flatMap((rule) => {
      if (rule.match.lookup === undefined) return [rule];
      const set = byName.get(rule.match.lookup);
      if (!set) throw bug(`rule in chain ${chain.name} looks up missing set ${rule.match.lookup}`);
      return expandLookupRule(rule, set);
    }),
  }));
  const { lookups: _lookups, ...rest } = ruleset;
  return { ...rest, chains };
}
