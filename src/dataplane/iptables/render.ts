// Renders the one `iptables-restore --noflush --counters` transaction per family that replaces
// our chains by the desired ones. In --noflush mode `:CHAIN - [0:0]` creates or flushes a chain,
// so our chains are rewritten in place, foreign chains are only ever touched by -D/-I of our
// hook rules, and every table section commits atomically (iptables-nft commits per COMMIT).

import { expandLookups } from '../../ruleset/lookups.js';
import type { AddressFamily, Ruleset } from '../../ruleset/model.js';
import { carryCounters, type Count } from './counters.js';
import { expandRuleset, type KernelProgram, type KernelRule } from './expand.js';
import { hookComment, type IptTable } from './names.js';
import type { IptablesObserved } from './observed.js';
import type { IptablesFamilyState } from './parse.js';

export interface RestoreTexts {
  v4: string;
  v6: string;
}

/** filter first: it holds the isolation drops, which must not wait on a nat failure. */
const TABLES: readonly IptTable[] = ['filter', 'nat'];

/**
 * The restore input per family that turns what `observed` saw into `ruleset`: declare (create or
 * flush) all desired chains, delete each observed hook rule by its saved text, add the desired
 * rules with their carried-over counters, flush and delete our chains no longer desired, and
 * insert the hook jumps first in their foreign chains. An empty string = nothing to do.
 * Throws a dockfence bug when the ruleset breaks the model's promises (see expandRuleset).
 */
export function renderIptablesRestore(withLookups: Ruleset, observed: IptablesObserved): RestoreTexts {
  const ruleset = expandLookups(withLookups);
  const render = (family: AddressFamily): string => {
    const state = observed.families[family];
    const program = expandRuleset(ruleset, family, ruleset.dockerIptables && state.dockerUser);
    return renderFamily(program, state);
  };
  return { v4: render('ipv4'), v6: render('ipv6') };
}

/** The restore input of one family (see renderIptablesRestore). */
export function renderFamily(program: KernelProgram, state: IptablesFamilyState): string {
  const counts = carryCounters(program, state);
  const out: string[] = [];
  for (const table of TABLES) {
    const chains = program.chains.filter((c) => c.table === table);
    const hooks = program.hooks.filter((h) => h.table === table);
    const liveHooks = state.hooks.filter((h) => h.table === table);
    const wanted = new Set(chains.map((c) => c.name));
    const obsolete = state.chains.filter((c) => c.table === table && !wanted.has(c.name)).map((c) => c.name);
    if (chains.length === 0 && liveHooks.length === 0 && obsolete.length === 0) continue;
    out.push(`*${table}`);
    for (const chain of chains) out.push(`:${chain.name} - [0:0]`);
    for (const hook of liveHooks) out.push(`-D ${hook.parent} ${hook.spec}`);
    for (const chain of chains) {
      for (const rule of chain.rules) out.push(ruleLine(chain.name, rule, counts.get(rule)));
    }
    for (const name of obsolete) out.push(`-F ${name}`);
    for (const name of obsolete) out.push(`-X ${name}`);
    for (const hook of hooks) {
      out.push(`-I ${hook.parent} 1 -m comment --comment "${hookComment(hook.hook)}" -j ${hook.chain}`);
    }
    out.push('COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** The restore input per family that deletes our hook rules and our chains; '' = nothing of ours. */
export function renderIptablesRemove(observed: IptablesObserved): RestoreTexts {
  return { v4: renderRemoveFamily(observed.families.ipv4), v6: renderRemoveFamily(observed.families.ipv6) };
}

function renderRemoveFamily(state: IptablesFamilyState): string {
  const out: string[] = [];
  for (const table of TABLES) {
    const hooks = state.hooks.filter((h) => h.table === table);
    const chains = state.chains.filter((c) => c.table === table).map((c) => c.name);
    if (hooks.length === 0 && chains.length === 0) continue;
    out.push(`*${table}`);
    for (const hook of hooks) out.push(`-D ${hook.parent} ${hook.spec}`);
    for (const name of chains) out.push(`-F ${name}`);
    for (const name of chains) out.push(`-X ${name}`);
    out.push('COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

function ruleLine(chain: string, rule: KernelRule, count: Count | undefined): string {
  const counter = count ? `[${count.packets}:${count.bytes}] ` : '';
  const parts = ['-A', chain, ...rule.match, '-m', 'comment', '--comment', `"${rule.comment}"`, ...rule.target];
  return counter + parts.join(' ');
}
