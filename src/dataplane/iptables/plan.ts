// Decides whether the live iptables state differs from the desired ruleset. Per family: the
// shared diff on the desired rules that exist in that family (abstract hashes, hook positions),
// then, when that finds nothing, a kernel-level check of every rule's tag and digest, which also
// sees set-element changes and edits to helper chains. Pure.

import { expandLookups } from '../../ruleset/lookups.js';
import type { Rule, Ruleset } from '../../ruleset/model.js';
import type { ObservedRuleset, Plan } from '../backend.js';
import { diffRulesets } from '../diff.js';
import { expandRuleset, type KernelProgram } from './expand.js';
import { FAMILIES, hookId } from './names.js';
import { familyView, type IptablesObserved } from './observed.js';
import type { IptablesFamilyState } from './parse.js';

/**
 * Differences between `desired` and `observed`, each naming its family after its first word
 * ("hook (ipv4) hook-forward missing": readers that classify by first and last word still can); none = the kernel
 * already holds exactly the rendering of `desired`. An observation without per-family state
 * (not from IptablesBackend.observe) is compared in the shared shape only.
 */
export function planIptables(withLookups: Ruleset, observed: ObservedRuleset | IptablesObserved): Plan {
  const desired = expandLookups(withLookups);
  if (!('families' in observed)) return planShared(desired, observed);
  const differences: string[] = [];
  for (const family of FAMILIES) {
    const state = observed.families[family];
    const program = expandRuleset(desired, family, desired.dockerIptables && state.dockerUser);
    const view = familyView(state);
    for (const hook of program.hooks) {
      const live = state.hooks.find((h) => h.id === hook.id && h.table === hook.table && h.parent === hook.parent);
      if (live && live.target === hook.chain) view.hooks[hook.id] = live.position;
    }
    const found = diffRulesets(program.projected, view, program.hooks.map((h) => h.id)).differences;
    if (found.length === 0) found.push(...kernelDifferences(program, state));
    found.push(...hookDifferences(program, state));
    differences.push(...found.map((d) => withFamily(d, family)));
  }
  return { differences };
}

function withFamily(difference: string, family: string): string {
  const space = difference.indexOf(' ');
  return space < 0 ? `${difference} (${family})` : `${difference.slice(0, space)} (${family})${difference.slice(space)}`;
}

/** The shared diff on the desired rules that have kernel rules in either family. */
function planShared(desired: Ruleset, observed: ObservedRuleset): Plan {
  const live = new Set<Rule>();
  for (const family of FAMILIES) {
    for (const chain of expandRuleset(desired, family, false).projected.chains) for (const rule of chain.rules) live.add(rule);
  }
  const chains = desired.chains.map((c) => ({ ...c, rules: c.rules.filter((r) => live.has(r)) }));
  const hooks = desired.chains.flatMap((c) => (c.hook ? [hookId(c.hook)] : []));
  return diffRulesets({ ...desired, sets: [], chains }, observed, hooks);
}

/** Hook rules of ours that are duplicated, misplaced or no longer desired. */
function hookDifferences(program: KernelProgram, state: IptablesFamilyState): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const live of state.hooks) {
    const want = program.hooks.find(
      (h) => h.id === live.id && h.table === live.table && h.parent === live.parent && h.chain === live.target,
    );
    if (!want) out.push(`hook ${live.id} in ${live.table} ${live.parent} not desired`);
    else if (seen.has(want.id)) out.push(`hook ${live.id} duplicated in ${live.table} ${live.parent}`);
    else seen.add(want.id);
  }
  return out;
}

/** Every kernel chain of ours (helpers included) against the rendering, rule by rule. */
function kernelDifferences(program: KernelProgram, state: IptablesFamilyState): string[] {
  const out: string[] = [];
  const live = new Map(state.chains.map((c) => [`${c.table} ${c.name}`, c]));
  for (const chain of program.chains) {
    const key = `${chain.table} ${chain.name}`;
    const got = live.get(key);
    live.delete(key);
    if (!got) {
      out.push(`chain ${chain.name} in table ${chain.table} missing`);
      continue;
    }
    const want = chain.rules.map((r) => `${r.tag}/${r.digest}`);
    const have = got.rules.map((r) => (r.tag === undefined ? 'untagged' : `${r.tag}/${r.digest ?? ''}`));
    if (want.join(',') !== have.join(',')) {
      out.push(`chain ${chain.name} in table ${chain.table}: kernel rules differ (${have.length} live, ${want.length} desired)`);
    }
  }
  for (const extra of live.values()) out.push(`chain ${extra.name} in table ${extra.table} not desired`);
  return out;
}
