// Expands an abstract Ruleset into the kernel rules of one address family: iptables has no sets
// here, so set references become one rule per element (the cartesian product when several) and
// negated multi-value matches become a helper chain. Pure; shared by render, plan and counters.
//
//   rule  { oif: set bridges = [br-a, br-b], verdict drop }      (tag 0123456789abcdef)
//   ->    -A DF-X -o br-a -m comment --comment "dockfence:0123456789abcdef/<digest>" -j DROP
//         -A DF-X -o br-b -m comment --comment "dockfence:0123456789abcdef/<digest>" -j DROP
//   rule  { saddr: 10.0.0.0/24, oif: !{br-a, br-b}, verdict masquerade }
//   ->    -A DF-POSTROUTING -s 10.0.0.0/24 ... -j DF-N01234567
//         -A DF-N01234567 -o br-a ... -j RETURN ; -o br-b ... -j RETURN ; ... -j MASQUERADE

import { expandLookups } from '../../ruleset/lookups.js';
import { bug } from '../../lib/errors.js';
import { hashChainRules } from '../diff.js';
import type { AddressFamily, AddrMatch, Chain, Hook, IfMatch, NamedSet, Rule, Ruleset } from '../../ruleset/model.js';
import {
  type Alternative,
  checkAddress,
  checkIfname,
  dnatDestination,
  markText,
  portAlternatives,
  protocolArgs,
  stateArgs,
} from './match-args.js';
import { HOOK_TABLE, helperChainName, hookId, hookParent, type IptTable, kernelChainName, ruleComment, ruleDigest } from './names.js';

export interface KernelRule {
  /** Match arguments (before the comment) and target arguments (after it; empty = count only). */
  match: string[];
  target: string[];
  tag: string;
  digest: string;
  comment: string;
  /** This kernel rule's counters count the abstract rule's packets (see counters.ts). */
  counted: boolean;
}

export interface KernelChain {
  table: IptTable;
  name: string;
  /** A negated-set helper chain, observed as part of its parent rule. */
  helper: boolean;
  rules: KernelRule[];
}

export interface KernelHook {
  hook: Hook;
  id: string;
  table: IptTable;
  /** The foreign chain the jump is inserted into (first rule). */
  parent: string;
  chain: string;
}

export interface KernelProgram {
  family: AddressFamily;
  chains: KernelChain[];
  hooks: KernelHook[];
  /** `desired` as seen in this family: only rules that have kernel rules here, no sets. */
  projected: Ruleset;
}

interface Tail {
  match: string[];
  target: string[];
  counted: boolean;
}

/** Table of each model chain: base chains by hook, others by the base chains that reach them. */
export function assignTables(ruleset: Ruleset): Map<string, IptTable> {
  const byName = new Map(ruleset.chains.map((c) => [c.name, c]));
  const tables = new Map<string, IptTable>();
  const queue: Chain[] = [];
  for (const chain of ruleset.chains) {
    if (chain.hook) {
      tables.set(chain.name, HOOK_TABLE[chain.hook]);
      queue.push(chain);
    }
  }
  while (queue.length > 0) {
    const chain = queue.shift()!;
    const table = tables.get(chain.name)!;
    for (const target of chain.rules.flatMap((r) => jumpTargets(r))) {
      const next = byName.get(target);
      if (!next) throw bug(`chain ${chain.name} jumps to missing chain ${target}`);
      const known = tables.get(target);
      if (known && known !== table) throw bug(`chain ${target} is reached from both ${known} and ${table} chains`);
      if (!known) {
        tables.set(target, table);
        queue.push(next);
      }
    }
  }
  for (const chain of ruleset.chains) if (!tables.has(chain.name)) tables.set(chain.name, 'filter');
  return tables;
}

function jumpTargets(rule: Rule): string[] {
  if (rule.verdict.kind === 'jump') return [rule.verdict.chain];
  if (rule.verdict.kind === 'dispatch') return rule.verdict.targets.map((t) => t.chain);
  return [];
}

/** Families a rule can apply to, from its family, address, protocol and DNAT constraints. */
export function ruleFamilies(rule: Rule): AddressFamily[] {
  const implied = new Set<AddressFamily>();
  const m = rule.match;
  if (m.family) implied.add(m.family);
  if (m.saddr) implied.add(m.saddr.family);
  if (m.daddr) implied.add(m.daddr.family);
  if (m.protocol === 'icmp') implied.add('ipv4');
  if (m.protocol === 'icmpv6') implied.add('ipv6');
  if (rule.verdict.kind === 'dnat') implied.add(rule.verdict.family);
  if (implied.size === 0) return ['ipv4', 'ipv6'];
  return implied.size === 1 ? [...implied] : []; // contradictory: matches nothing anywhere
}

/**
 * Kernel chains, rules and hooks of `ruleset` for `family`. `viaDockerUser`: hook forward from
 * DOCKER-USER (Docker manages iptables and the chain exists in this family).
 * Throws a dockfence bug on what the model promises never to contain (missing sets or chains,
 * bad names or values, a `return` that needs a helper chain).
 */
export function expandRuleset(withLookups: Ruleset, family: AddressFamily, viaDockerUser: boolean): KernelProgram {
  const ruleset = expandLookups(withLookups);
  const tables = assignTables(ruleset);
  const sets = new Map(ruleset.sets.map((s) => [s.name, s]));
  const chains: KernelChain[] = [];
  const helpers: KernelChain[] = [];
  const hooks: KernelHook[] = [];
  const projectedChains: Chain[] = [];
  for (const chain of ruleset.chains) {
    const table = tables.get(chain.name)!;
    const name = kernelChainName(chain.name);
    const kernel: KernelChain = { table, name, helper: false, rules: [] };
    const tags = hashChainRules(chain);
    const kept: Rule[] = [];
    chain.rules.forEach((rule, i) => {
      const out = expandRule({ rule, tag: tags[i]!, chain: name, table, family, sets, mark: ruleset.acceptMark });
      if (out.rules.length === 0) return;
      kernel.rules.push(...out.rules);
      if (out.helper) helpers.push(out.helper);
      kept.push(rule);
    });
    chains.push(kernel);
    projectedChains.push({ ...chain, rules: kept });
    if (chain.hook) {
      if (hooks.some((h) => h.hook === chain.hook)) throw bug(`two chains hook ${chain.hook}`);
      const parent = hookParent(chain.hook, viaDockerUser);
      hooks.push({ hook: chain.hook, id: hookId(chain.hook), table, parent, chain: name });
    }
  }
  const names = new Set<string>();
  for (const c of [...chains, ...helpers]) {
    if (names.has(c.name)) throw bug(`kernel chain name ${c.name} used twice`);
    names.add(c.name);
  }
  const projected: Ruleset = { ...ruleset, sets: [], chains: projectedChains };
  return { family, chains: [...chains, ...helpers], hooks, projected };
}

interface RuleInput {
  rule: Rule;
  tag: string;
  chain: string;
  table: IptTable;
  family: AddressFamily;
  sets: Map<string, NamedSet>;
  mark: number;
}

/** Kernel rules of one abstract rule (none when it cannot match in this family), and its helper. */
function expandRule(input: RuleInput): { rules: KernelRule[]; helper?: KernelChain } {
  const { rule, tag, chain, table, family, sets } = input;
  if (!ruleFamilies(rule).includes(family)) return { rules: [] };
  const m = rule.match;
  let iif = m.iif && resolveIf(m.iif, sets);
  let oif = m.oif && resolveIf(m.oif, sets);
  let verdict = rule.verdict;
  // A dispatch on the interface the rule also matches: narrow the targets instead.
  if (verdict.kind === 'dispatch') {
    const on = verdict.on === 'iif' ? iif : oif;
    if (on) {
      const keep = (t: { ifname: string }): boolean => on.values.includes(checkIfname(t.ifname)) !== on.negate;
      verdict = { ...verdict, targets: verdict.targets.filter(keep) };
      if (verdict.on === 'iif') iif = undefined;
      else oif = undefined;
    }
  }
  const dims: Array<{ flag: string; values: string[]; negate: boolean } | undefined> = [
    m.saddr && { flag: '-s', ...resolveAddr(m.saddr, sets) },
    m.daddr && { flag: '-d', ...resolveAddr(m.daddr, sets) },
    iif && { flag: '-i', ...iif },
    oif && { flag: '-o', ...oif },
  ];
  const alternatives: Alternative[][] = [];
  const negated: Array<{ flag: string; values: string[] }> = [];
  for (const dim of dims) {
    if (!dim) continue;
    if (!dim.negate) alternatives.push(dim.values.map((v) => [dim.flag, v]));
    else if (dim.values.length === 1) alternatives.push([['!', dim.flag, dim.values[0]!]]);
    else if (dim.values.length > 1) negated.push(dim);
  }
  alternatives.push([protocolArgs(m.protocol)], portAlternatives(m), [stateArgs(m)]);
  const combos = cartesian(alternatives);
  const tails = verdictTails(rule.verdict.kind === 'dispatch' ? { ...rule, verdict } : rule, input.mark);
  if (combos.length === 0 || tails.length === 0) return { rules: [] };

  const make = (chainName: string, match: string[], target: string[], counted: boolean): KernelRule => {
    const digest = ruleDigest(chainName, [...match, ...target]);
    return { match, target, tag, digest, comment: ruleComment(tag, digest, rule.origin), counted };
  };
  if (negated.length === 0) {
    const rules = combos.flatMap((c) => tails.map((t) => make(chain, [...c, ...t.match], t.target, t.counted)));
    return { rules };
  }
  // Matches only when no negated element matches: the helper RETURNs for each element first.
  if (rule.verdict.kind === 'return') throw bug(`chain ${chain}: return with a negated multi-value match`);
  const helperName = helperChainName(tag);
  const helper: KernelChain = { table, name: helperName, helper: true, rules: [] };
  for (const dim of negated) {
    for (const v of dim.values) helper.rules.push(make(helperName, [dim.flag, v], ['-j', 'RETURN'], false));
  }
  for (const t of tails) helper.rules.push(make(helperName, t.match, t.target, t.counted));
  const rules = combos.map((c) => make(chain, c, ['-j', helperName], false));
  return { rules, helper };
}

function resolveIf(match: IfMatch, sets: Map<string, NamedSet>): { values: string[]; negate: boolean } {
  const raw = match.set !== undefined ? setElements(match.set, 'ifname', sets) : (match.names ?? []);
  return { values: [...new Set(raw.map(checkIfname))], negate: match.negate === true };
}

function resolveAddr(match: AddrMatch, sets: Map<string, NamedSet>): { values: string[]; negate: boolean } {
  const raw = match.set !== undefined ? setElements(match.set, match.family, sets) : (match.cidrs ?? []);
  return { values: [...new Set(raw.map((a) => checkAddress(a, match.family)))], negate: match.negate === true };
}

function setElements(name: string, type: NamedSet['type'], sets: Map<string, NamedSet>): string[] {
  const set = sets.get(name);
  if (!set) throw bug(`rule references missing set ${name}`);
  if (set.type !== type) throw bug(`set ${name} has type ${set.type}, used as ${type}`);
  return set.elements;
}

/** The kernel rules a verdict needs after the matches; several for dispatch and markAccept. */
function verdictTails(rule: Rule, mark: number): Tail[] {
  const v = rule.verdict;
  const one = (target: string[]): Tail[] => [{ match: [], target, counted: true }];
  switch (v.kind) {
    case 'accept':
      return one(['-j', 'ACCEPT']);
    case 'drop':
      return one(['-j', 'DROP']);
    case 'return':
      return one(['-j', 'RETURN']);
    case 'continue':
      return one([]);
    case 'jump':
      return one(['-j', kernelChainName(v.chain)]);
    case 'dispatch':
      return v.targets.map((t) => ({
        match: [v.on === 'iif' ? '-i' : '-o', checkIfname(t.ifname)],
        target: ['-j', kernelChainName(t.chain)],
        counted: true,
      }));
    case 'markAccept':
      return [
        { match: [], target: ['-j', 'CONNMARK', '--or-mark', markText(mark)], counted: false },
        { match: [], target: ['-j', 'ACCEPT'], counted: true },
      ];
    case 'dnat':
      return one(['-j', 'DNAT', '--to-destination', dnatDestination(v.family, v.address, v.port)]);
    case 'masquerade':
      return one(['-j', 'MASQUERADE']);
  }
}

/** Every way to pick one alternative per dimension, concatenated; [] if a dimension has none. */
function cartesian(dimensions: Alternative[][]): string[][] {
  let out: string[][] = [[]];
  for (const dim of dimensions) out = out.flatMap((prefix) => dim.map((alt) => [...prefix, ...alt]));
  return out;
}
