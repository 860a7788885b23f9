// The iptables backend's ObservedRuleset: the shared shape (for the controller and the shared
// diff) plus each family's own kernel state, which plan, render and counters work from, since
// a rule may live in iptables, ip6tables or both.

import type { Hook } from '../../ruleset/model.js';
import type { ObservedChain, ObservedRuleset } from '../backend.js';
import { modelChainName } from './names.js';
import type { IptablesFamilyState, ObservedKernelChain } from './parse.js';

export interface IptablesObserved extends ObservedRuleset {
  families: { ipv4: IptablesFamilyState; ipv6: IptablesFamilyState };
}

export function emptyFamilyState(): IptablesFamilyState {
  return { present: false, chains: [], hooks: [], dockerUser: false };
}

/** An observation of a kernel holding nothing of ours (and no DOCKER-USER chain). */
export function emptyIptablesObserved(): IptablesObserved {
  return combineFamilies(emptyFamilyState(), emptyFamilyState());
}

/**
 * One family's state in the shared shape, helper chains hidden (they belong to their parent
 * rule; plan checks them at kernel level). Hooks are left empty: where a hook must be depends
 * on the desired ruleset, so plan fills them.
 */
export function familyView(state: IptablesFamilyState): ObservedRuleset {
  const chains: ObservedChain[] = [];
  for (const chain of state.chains) {
    const name = modelChainName(chain.name);
    if (name === undefined) continue;
    const hook = hookOf(state, chain);
    chains.push({ name, ...(hook ? { hook } : {}), ...collapseTags(chain) });
  }
  return { present: state.present, chains, sets: [], hooks: {} };
}

/**
 * Both families combined for readers of the shared shape: a chain's hashes are both families'
 * merged along their common rules (IPv4-only before IPv6-only between two common ones, as the
 * compiler orders them); a hook's position is the worse of the two families, and absent unless
 * both have it. Authoritative comparisons use `families` (see plan.ts).
 */
export function combineFamilies(ipv4: IptablesFamilyState, ipv6: IptablesFamilyState): IptablesObserved {
  const v4 = familyView(ipv4);
  const v6 = familyView(ipv6);
  const chains = new Map<string, ObservedChain>();
  for (const c of v4.chains) chains.set(c.name, { ...c, ruleHashes: [...c.ruleHashes] });
  for (const c of v6.chains) {
    const known = chains.get(c.name);
    if (!known) {
      chains.set(c.name, { ...c, ruleHashes: [...c.ruleHashes] });
      continue;
    }
    known.ruleHashes = mergeSequences(known.ruleHashes, c.ruleHashes);
    known.untagged += c.untagged;
    if (!known.hook && c.hook) known.hook = c.hook;
  }
  const hooks: Record<string, number> = {};
  const first4 = firstHookPositions(ipv4);
  const first6 = firstHookPositions(ipv6);
  for (const [id, position] of Object.entries(first4)) {
    const other = first6[id];
    if (other !== undefined) hooks[id] = Math.max(position, other);
  }
  return {
    present: ipv4.present || ipv6.present,
    chains: [...chains.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    sets: [],
    hooks,
    families: { ipv4, ipv6 },
  };
}

/** Shortest merge of two tag sequences that keeps both orders, aligned on their longest common subsequence. */
export function mergeSequences(a: readonly string[], b: readonly string[]): string[] {
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(a[i++]!);
      j++;
    } else if (j >= b.length || (i < a.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(a[i++]!);
    } else {
      out.push(b[j++]!);
    }
  }
  return out;
}

/** Position of the first hook rule of each id (a jump to our chain from a foreign chain). */
function firstHookPositions(state: IptablesFamilyState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of state.hooks) if (out[h.id] === undefined) out[h.id] = h.position;
  return out;
}

function hookOf(state: IptablesFamilyState, chain: ObservedKernelChain): Hook | undefined {
  return state.hooks.find((h) => h.table === chain.table && h.target === chain.name)?.hook;
}

/** Tags in kernel order with runs of one abstract rule's kernel rules collapsed to one entry. */
function collapseTags(chain: ObservedKernelChain): { ruleHashes: string[]; untagged: number } {
  const ruleHashes: string[] = [];
  let untagged = 0;
  for (const rule of chain.rules) {
    if (rule.tag === undefined) untagged++;
    else if (ruleHashes[ruleHashes.length - 1] !== rule.tag) ruleHashes.push(rule.tag);
  }
  return { ruleHashes, untagged };
}
