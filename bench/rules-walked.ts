// How many of our rules one packet is tested against in the forward hook before its fate is
// decided: the number that linear per-packet cost scales with. A vmap dispatch or a set lookup
// counts as one (one hash lookup); rules inside a chain it jumps to count individually. Pure.

import { evaluate, matches, type Outcome, type Packet } from '../src/ruleset/evaluate.js';
import type { Chain, LookupSet, Ruleset } from '../src/ruleset/model.js';

function walk(chain: Chain, rs: Ruleset, p: Packet, sets: Map<string, string[]>, lookups: Map<string, LookupSet>): { walked: number; done: boolean } {
  let walked = 0;
  for (const rule of chain.rules) {
    walked++;
    if (!matches(rule.match, p, sets, lookups)) continue;
    const v = rule.verdict;
    if (v.kind === 'continue') continue;
    if (v.kind === 'return') return { walked, done: false };
    if (v.kind === 'jump' || v.kind === 'dispatch') {
      const target = v.kind === 'jump' ? v.chain : v.targets.find((t) => t.ifname === (v.on === 'iif' ? p.iif : p.oif))?.chain;
      const sub = target === undefined ? undefined : rs.chains.find((c) => c.name === target);
      if (!sub) continue;
      const inner = walk(sub, rs, p, sets, lookups);
      walked += inner.walked;
      if (inner.done) return { walked, done: true };
      continue;
    }
    return { walked, done: true };
  }
  return { walked, done: false };
}

/** Rules of the forward base chain (and what it jumps to) tested for `packet`; 0 without one. */
export function rulesWalked(ruleset: Ruleset, packet: Packet): number {
  const base = ruleset.chains.find((c) => c.hook === 'forward');
  if (!base) return 0;
  const sets = new Map(ruleset.sets.map((s) => [s.name, s.elements]));
  return walk(base, ruleset, packet, sets, new Map((ruleset.lookups ?? []).map((l) => [l.name, l]))).walked;
}

/** The forward verdict and the resource deciding it, e.g. `markAccept ExposeRule/zz-bench`. */
export function forwardVerdict(ruleset: Ruleset, packet: Packet): string {
  const outcome: Outcome = evaluate(ruleset, 'forward', packet);
  return outcome.rule?.origin ? `${outcome.verdict} ${outcome.rule.origin}` : outcome.verdict;
}
