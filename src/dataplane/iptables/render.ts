// Renders the `iptables-restore --noflush --counters` inputs that turn the live state into the
// desired ruleset: one table per input, run in a fail-closed order (see renderFamilySteps). In
// --noflush mode `:CHAIN - [0:0]` creates or flushes a chain, so our chains are rewritten in
// place and foreign chains are only ever touched by -D/-I of our hook rules.
//
// Why one table per input: iptables-restore commits per COMMIT line, i.e. per table, not per
// input (iptables 1.8 xtables-restore.c: "Commit per table, although we support global commit at
// once, stick by now to the existing behaviour."; `nft monitor` in a namespace shows one new
// generation per table for a two-table input), and a failed line aborts only the table it is
// in. filter and nat are two kernel transactions whatever we do, so we order them ourselves.

import { expandLookups } from '../../ruleset/lookups.js';
import type { AddressFamily, Ruleset } from '../../ruleset/model.js';
import { carryCounters, type Count } from './counters.js';
import { expandRuleset, type KernelHook, type KernelProgram, type KernelRule } from './expand.js';
import { FAMILIES, hookComment, type IptTable } from './names.js';
import type { IptablesObserved } from './observed.js';
import type { IptablesFamilyState, ObservedHookRule, ObservedKernelChain } from './parse.js';

/** One kernel transaction: a single `*table ... COMMIT` input for one family's restore program. */
export interface RestoreStep {
  family: AddressFamily;
  table: IptTable;
  text: string;
}

/**
 * The restore steps that turn what `observed` saw into `ruleset`, to run in this order (ipv4's,
 * then ipv6's; see renderFamilySteps). Each step declares (creates or flushes) its table's
 * desired chains, deletes the observed hook rules by their saved text, adds the rules with their
 * carried-over counters, flushes and deletes our chains no longer desired, and inserts the hook
 * jumps first in their foreign chains. A table that already holds exactly its step's rules has
 * no step; [] = nothing to do. Throws a dockfence bug when the ruleset breaks the model's
 * promises (see expandRuleset).
 */
export function renderIptablesRestore(withLookups: Ruleset, observed: IptablesObserved): RestoreStep[] {
  const ruleset = expandLookups(withLookups);
  return FAMILIES.flatMap((family) => {
    const state = observed.families[family];
    const program = expandRuleset(ruleset, family, ruleset.dockerIptables && state.dockerUser);
    return renderFamilySteps(program, state).map((step) => ({ family, ...step }));
  });
}

/**
 * One family's steps, in the order that keeps every intermediate kernel state fail-closed: never
 * a DNAT/MASQUERADE live whose filter accept is not, never a filter accept withdrawn while its
 * DNAT is still live.
 *   1. nat, withdrawals only: the nat rules and hooks both live and desired (nothing added);
 *   2. filter, fully desired;
 *   3. nat, fully desired (the additions, now that their accepts are live).
 * Step 3 is rendered against the state step 1 leaves behind; every step carries counters from
 * the one observation. Each step is skipped when its table already holds what it would write.
 */
export function renderFamilySteps(program: KernelProgram, state: IptablesFamilyState): Array<{ table: IptTable; text: string }> {
  const steps: Array<{ table: IptTable; text: string }> = [];
  let natState = state;
  const withdrawn = liveSubset(program, state, 'nat');
  if (!holdsExactly(withdrawn, state, 'nat')) {
    steps.push({ table: 'nat', text: renderTable('nat', withdrawn, state, carryCounters(withdrawn, state)) });
    natState = stateAfter(withdrawn, state, 'nat');
  }
  const counts = carryCounters(program, state);
  if (!holdsExactly(program, state, 'filter')) steps.push({ table: 'filter', text: renderTable('filter', program, state, counts) });
  if (!holdsExactly(program, natState, 'nat')) steps.push({ table: 'nat', text: renderTable('nat', program, natState, counts) });
  return steps;
}

/**
 * The restore steps that delete our hook rules and our chains: nat before filter (a DNAT never
 * outlives its accept), ipv4 then ipv6; [] = nothing of ours is live.
 */
export function renderIptablesRemove(observed: IptablesObserved): RestoreStep[] {
  const steps: RestoreStep[] = [];
  for (const family of FAMILIES) {
    const state = observed.families[family];
    for (const table of ['nat', 'filter'] as const) {
      const hooks = state.hooks.filter((h) => h.table === table);
      const chains = state.chains.filter((c) => c.table === table).map((c) => c.name);
      if (hooks.length === 0 && chains.length === 0) continue;
      const out = [`*${table}`];
      for (const hook of hooks) out.push(`-D ${hook.parent} ${hook.spec}`);
      for (const name of chains) out.push(`-F ${name}`);
      for (const name of chains) out.push(`-X ${name}`);
      out.push('COMMIT');
      steps.push({ family, table, text: `${out.join('\n')}\n` });
    }
  }
  return steps;
}

/** One table's restore input that turns `state` into `program` (see renderIptablesRestore). */
function renderTable(table: IptTable, program: KernelProgram, state: IptablesFamilyState, counts: Map<KernelRule, Count>): string {
  const chains = program.chains.filter((c) => c.table === table);
  const wanted = new Set(chains.map((c) => c.name));
  const obsolete = state.chains.filter((c) => c.table === table && !wanted.has(c.name)).map((c) => c.name);
  const out = [`*${table}`];
  for (const chain of chains) out.push(`:${chain.name} - [0:0]`);
  for (const hook of state.hooks.filter((h) => h.table === table)) out.push(`-D ${hook.parent} ${hook.spec}`);
  for (const chain of chains) {
    for (const rule of chain.rules) out.push(ruleLine(chain.name, rule, counts.get(rule)));
  }
  for (const name of obsolete) out.push(`-F ${name}`);
  for (const name of obsolete) out.push(`-X ${name}`);
  for (const hook of program.hooks.filter((h) => h.table === table)) out.push(`-I ${hook.parent} 1 ${hookSpec(hook)}`);
  out.push('COMMIT');
  return `${out.join('\n')}\n`;
}

/**
 * `program` cut down, in `table`, to what is live in `state`: the desired chains that exist,
 * each holding only its desired kernel rules that are live (same tag and digest = same text), in
 * desired order, and the desired hooks that are live. Only removals and reorders relative to
 * both `state` and `program`; other tables are left out.
 */
export function liveSubset(program: KernelProgram, state: IptablesFamilyState, table: IptTable): KernelProgram {
  const live = new Map(state.chains.filter((c) => c.table === table).map((c) => [c.name, c]));
  const chains = program.chains.flatMap((chain) => {
    const got = chain.table === table ? live.get(chain.name) : undefined;
    if (!got) return [];
    const left = new Map<string, number>();
    for (const key of got.rules.map(observedKey)) left.set(key, (left.get(key) ?? 0) + 1);
    const rules = chain.rules.filter((rule) => {
      const n = left.get(ruleKey(rule)) ?? 0;
      left.set(ruleKey(rule), n - 1);
      return n > 0;
    });
    return [{ ...chain, rules }];
  });
  const hooks = program.hooks.filter((h) => h.table === table && state.hooks.some((l) => isHookOf(l, h)));
  return { ...program, chains, hooks };
}

/**
 * `state` already holds exactly `program`'s part in `table`: the same chains of ours with the
 * same kernel rules in the same order, each hook once and first in its foreign chain, and no
 * other hook of ours. Writing the table again would change nothing but counters.
 */
export function holdsExactly(program: KernelProgram, state: IptablesFamilyState, table: IptTable): boolean {
  const want = program.chains.filter((c) => c.table === table);
  const have = new Map(state.chains.filter((c) => c.table === table).map((c) => [c.name, c]));
  if (want.length !== have.size) return false;
  for (const chain of want) {
    const got = have.get(chain.name);
    if (!got || got.rules.map(observedKey).join(',') !== chain.rules.map(ruleKey).join(',')) return false;
  }
  const wantHooks = program.hooks.filter((h) => h.table === table);
  const liveHooks = state.hooks.filter((h) => h.table === table);
  return liveHooks.length === wantHooks.length && wantHooks.every((h) => liveHooks.some((l) => isHookOf(l, h) && l.position === 0));
}

/** What `state` becomes once `table` holds exactly `program` (counters zero: callers carry their own). */
function stateAfter(program: KernelProgram, state: IptablesFamilyState, table: IptTable): IptablesFamilyState {
  const chains: ObservedKernelChain[] = program.chains
    .filter((c) => c.table === table)
    .map((c) => ({
      table,
      name: c.name,
      helper: c.helper,
      rules: c.rules.map((r) => ({ tag: r.tag, digest: r.digest, packets: 0, bytes: 0, counted: r.counted, ...(r.target[1] ? { target: r.target[1] } : {}) })),
    }));
  const hooks: ObservedHookRule[] = program.hooks
    .filter((h) => h.table === table)
    .map((h) => ({ hook: h.hook, id: h.id, table, parent: h.parent, position: 0, spec: hookSpec(h), target: h.chain }));
  return {
    present: true,
    chains: [...state.chains.filter((c) => c.table !== table), ...chains],
    hooks: [...state.hooks.filter((h) => h.table !== table), ...hooks],
    dockerUser: state.dockerUser,
  };
}

function isHookOf(live: ObservedHookRule, hook: KernelHook): boolean {
  return live.id === hook.id && live.table === hook.table && live.parent === hook.parent && live.target === hook.chain;
}

/** A hook rule's text after its chain, as iptables-save prints it back. */
function hookSpec(hook: KernelHook): string {
  return `-m comment --comment "${hookComment(hook.hook)}" -j ${hook.chain}`;
}

const ruleKey = (rule: KernelRule): string => `${rule.tag}/${rule.digest}`;
const observedKey = (rule: ObservedKernelChain['rules'][number]): string =>
  rule.tag === undefined ? 'untagged' : `${rule.tag}/${rule.digest ?? ''}`;

function ruleLine(chain: string, rule: KernelRule, count: Count | undefined): string {
  const counter = count ? `[${count.packets}:${count.bytes}] ` : '';
  const parts = ['-A', chain, ...rule.match, '-m', 'comment', '--comment', `"${rule.comment}"`, ...rule.target];
  return counter + parts.join(' ');
}
