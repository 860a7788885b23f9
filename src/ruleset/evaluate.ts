// An interpreter for the abstract ruleset: which rule decides a given packet's fate. Used by
// `dockfence check` (the verdict and the resource that decides it) and by compiler tests to
// assert behaviour instead of rule text. Pure; mirrors what the backends render.

import { covers, parsePrefix } from '../lib/cidr.js';
import { elementMatch, expandLookups } from './lookups.js';
import type { AddrMatch, Chain, CounterLabels, Hook, IfMatch, LookupSet, Match, Rule, Ruleset } from './model.js';

export interface Packet {
  iif: string;
  oif?: string; // absent on the input path
  saddr: string;
  daddr: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  dport?: number;
  ctState?: 'new' | 'established' | 'related';
  dnat?: boolean;
  daddrLocal?: boolean;
}

export interface Outcome {
  /** accept/markAccept = admitted by dockfence; none = no rule decided (Docker's rules apply). */
  verdict: 'accept' | 'markAccept' | 'drop' | 'none' | 'dnat' | 'masquerade';
  rule?: Rule;
  chain?: string;
  /** Counted rules the packet passed through, in order (Audit shows up here). */
  counted: Rule[];
  /**
   * What the decision is counted as: the deciding rule's counter or, for a drop counted by a
   * dynamic lookup just ahead of it (per network pair), that count's.
   */
  counter?: CounterLabels;
}

function ifMatches(m: IfMatch, name: string | undefined, sets: Map<string, string[]>): boolean {
  if (name === undefined) return false;
  const list = m.set !== undefined ? (sets.get(m.set) ?? []) : (m.names ?? []);
  return list.includes(name) !== Boolean(m.negate);
}

function addrMatches(m: AddrMatch, addr: string, sets: Map<string, string[]>): boolean {
  const a = parsePrefix(addr);
  if (!a || a.family !== m.family) return false;
  const list = m.set !== undefined ? (sets.get(m.set) ?? []) : (m.cidrs ?? []);
  const hit = list.some((c) => {
    const p = parsePrefix(c);
    return p !== undefined && covers(p, a);
  });
  return hit !== Boolean(m.negate);
}

/**
 * True when every field of the match holds for the packet; a lookup holds when some element of
 * the named LookupSet (in `lookups`) does, a lookup of a dynamic set always (it only counts).
 */
export function matches(match: Match, p: Packet, sets: Map<string, string[]>, lookups: ReadonlyMap<string, LookupSet> = new Map()): boolean {
  if (match.lookup !== undefined) {
    const set = lookups.get(match.lookup);
    if (!set) return false;
    if (!set.dynamic && !set.elements.some((e) => matches(elementMatch(set, e), p, sets))) return false;
  }
  const family = p.saddr.includes(':') ? 'ipv6' : 'ipv4';
  if (match.family && match.family !== family) return false;
  if (match.iif && !ifMatches(match.iif, p.iif, sets)) return false;
  if (match.oif && !ifMatches(match.oif, p.oif, sets)) return false;
  if (match.saddr && !addrMatches(match.saddr, p.saddr, sets)) return false;
  if (match.daddr && !addrMatches(match.daddr, p.daddr, sets)) return false;
  if (match.protocol && match.protocol !== p.protocol) return false;
  if (match.dports && !match.dports.some((r) => p.dport !== undefined && p.dport >= r.from && p.dport <= r.to)) return false;
  if (match.ctState && !match.ctState.includes(p.ctState ?? 'new')) return false;
  if (match.ctDnat && !p.dnat) return false;
  if (match.daddrLocal && !p.daddrLocal) return false;
  return true;
}

type Step = { done: true; outcome: Omit<Outcome, 'counted'> } | { done: false };

function runChain(chain: Chain, rs: Ruleset, p: Packet, sets: Map<string, string[]>, counted: Rule[], depth: number): Step {
  if (depth > 16) throw new Error('dockfence bug: jump depth exceeded');
  for (const rule of chain.rules) {
    if (!matches(rule.match, p, sets)) continue;
    if (rule.counter) counted.push(rule);
    const v = rule.verdict;
    switch (v.kind) {
      case 'continue':
        continue;
      case 'return':
        return { done: false };
      case 'jump':
      case 'dispatch': {
        const target =
          v.kind === 'jump' ? v.chain : v.targets.find((t) => t.ifname === (v.on === 'iif' ? p.iif : p.oif))?.chain;
        if (target === undefined) continue;
        const sub = rs.chains.find((c) => c.name === target);
        if (!sub) throw new Error(`dockfence bug: jump to missing chain ${target}`);
        const step = runChain(sub, rs, p, sets, counted, depth + 1);
        if (step.done) return step;
        continue;
      }
      default:
        return { done: true, outcome: { verdict: v.kind, rule, chain: chain.name } };
    }
  }
  return { done: false };
}

/**
 * Run a packet through the base chain of `hook`. A lookup acts as its elements in order, so the
 * deciding and counted rules of a lookup hit are the element's (its counter and origin).
 */
export function evaluate(desired: Ruleset, hook: Hook, packet: Packet): Outcome {
  const ruleset = expandLookups(desired);
  const sets = new Map(ruleset.sets.map((s) => [s.name, s.elements]));
  const base = ruleset.chains.find((c) => c.hook === hook);
  const counted: Rule[] = [];
  if (!base) return { verdict: 'none', counted };
  const step = runChain(base, ruleset, packet, sets, counted, 0);
  if (!step.done) return { verdict: 'none', counted };
  const last = counted.at(-1)?.counter;
  const counter = step.outcome.rule?.counter ?? (step.outcome.verdict === 'drop' && last?.metric === 'dropped' ? last : undefined);
  return { ...step.outcome, counted, ...(counter ? { counter } : {}) };
}
