// Parses `iptables-save -c` / `ip6tables-save -c` text into what dockfence owns in one family:
// our DF- chains (tables filter and nat) with each rule's tag, digest and counters, and our hook
// rules in foreign chains with their position and exact text (apply deletes them by that text).

import { ParseError } from '../../lib/errors.js';
import type { Hook } from '../../ruleset/model.js';
import { hookId, type IptTable, isHelperChain, isOwnedChain, parseHookComment, parseRuleComment } from './names.js';

export interface ObservedKernelRule {
  /** Abstract rule hash from our comment; undefined = a rule someone else put in our chain. */
  tag?: string;
  digest?: string;
  packets: number;
  bytes: number;
  /** `-j`/`-g` target, if any. */
  target?: string;
  /** Counts packets of its abstract rule (not a CONNMARK, helper jump or helper RETURN). */
  counted: boolean;
}

export interface ObservedKernelChain {
  table: IptTable;
  name: string;
  helper: boolean;
  rules: ObservedKernelRule[];
}

export interface ObservedHookRule {
  hook: Hook;
  id: string;
  table: IptTable;
  /** The foreign chain holding the jump, and the jump's index among its rules (0 = first). */
  parent: string;
  position: number;
  /** Rule text after `-A <parent> `, exactly as saved: `-D <parent> <spec>` deletes it. */
  spec: string;
  target?: string;
}

/** What one family's kernel holds of ours. */
export interface IptablesFamilyState {
  /** Any chain or hook rule of ours exists. */
  present: boolean;
  chains: ObservedKernelChain[];
  hooks: ObservedHookRule[];
  /** Docker's DOCKER-USER chain exists in the filter table. */
  dockerUser: boolean;
}

interface SavedRule {
  chain: string;
  packets: number;
  bytes: number;
  spec: string;
  tokens: string[];
}

const RULE_RE = /^(?:\[(\d+):(\d+)\]\s+)?-A\s+(\S+)(?:\s+(.*))?$/;
const CHAIN_RE = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/;

/**
 * Parse one family's `iptables-save -c` output. Tables other than filter and nat, and chains and
 * rules that are not ours, are skipped; foreign rules still count for hook positions.
 * Throws ParseError (with the line number) on a line that is not iptables-save syntax.
 */
export function parseIptablesSave(text: string): IptablesFamilyState {
  const state: IptablesFamilyState = { present: false, chains: [], hooks: [], dockerUser: false };
  let table: string | undefined;
  let declared = new Map<string, SavedRule[]>();
  const finish = (): void => {
    if (table === 'filter' || table === 'nat') collectTable(table, declared, state);
    table = undefined;
    declared = new Map();
  };
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `iptables-save line ${index + 1}`;
    if (line.startsWith('*')) {
      if (table !== undefined) throw new ParseError(`${where}: table ${line.slice(1)} starts before COMMIT of ${table}`);
      table = line.slice(1);
      return;
    }
    if (table === undefined) throw new ParseError(`${where}: ${JSON.stringify(line)} outside a table`);
    if (line === 'COMMIT') return finish();
    const chain = CHAIN_RE.exec(line);
    if (chain) {
      if (!declared.has(chain[1]!)) declared.set(chain[1]!, []);
      return;
    }
    const rule = RULE_RE.exec(line);
    if (!rule) throw new ParseError(`${where}: cannot parse ${JSON.stringify(line)}`);
    const spec = rule[4] ?? '';
    const saved: SavedRule = {
      chain: rule[3]!,
      packets: Number(rule[1] ?? 0),
      bytes: Number(rule[2] ?? 0),
      spec,
      tokens: tokenize(spec, where),
    };
    const list = declared.get(saved.chain) ?? [];
    list.push(saved);
    declared.set(saved.chain, list);
  });
  if (table !== undefined) throw new ParseError(`iptables-save: table ${table} has no COMMIT`);
  state.present = state.chains.length > 0 || state.hooks.length > 0;
  return state;
}

function collectTable(table: IptTable, chains: Map<string, SavedRule[]>, state: IptablesFamilyState): void {
  if (table === 'filter' && chains.has('DOCKER-USER')) state.dockerUser = true;
  for (const [name, rules] of chains) {
    if (isOwnedChain(name)) {
      const helper = isHelperChain(name);
      state.chains.push({ table, name, helper, rules: rules.map((r) => ownedRule(r, helper)) });
      continue;
    }
    rules.forEach((rule, position) => {
      const comment = optionValue(rule.tokens, '--comment');
      const hook = comment === undefined ? undefined : parseHookComment(comment);
      if (!hook) return;
      const target = jumpTarget(rule.tokens);
      state.hooks.push({ hook, id: hookId(hook), table, parent: name, position, spec: rule.spec, ...(target ? { target } : {}) });
    });
  }
}

function ownedRule(rule: SavedRule, inHelper: boolean): ObservedKernelRule {
  const comment = optionValue(rule.tokens, '--comment');
  const parsed = comment === undefined ? undefined : parseRuleComment(comment);
  const target = jumpTarget(rule.tokens);
  const counted =
    parsed !== undefined &&
    target !== 'CONNMARK' &&
    !(target !== undefined && isHelperChain(target)) &&
    !(inHelper && target === 'RETURN');
  return {
    ...(parsed ? { tag: parsed.tag, ...(parsed.digest ? { digest: parsed.digest } : {}) } : {}),
    packets: rule.packets,
    bytes: rule.bytes,
    ...(target ? { target } : {}),
    counted,
  };
}

function jumpTarget(tokens: string[]): string | undefined {
  return optionValue(tokens, '-j') ?? optionValue(tokens, '-g');
}

/** The value after the first occurrence of an option; our comments are the first --comment. */
function optionValue(tokens: string[], option: string): string | undefined {
  const i = tokens.indexOf(option);
  return i >= 0 ? tokens[i + 1] : undefined;
}

/** Split a saved rule into arguments: whitespace-separated, "double quotes" with \ escapes. */
export function tokenize(spec: string, where = 'iptables-save'): string[] {
  const tokens: string[] = [];
  let current: string | undefined;
  let quoted = false;
  for (let i = 0; i < spec.length; i++) {
    const ch = spec[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < spec.length) current += spec[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      current ??= '';
    } else if (/\s/.test(ch)) {
      if (current !== undefined) tokens.push(current);
      current = undefined;
    } else {
      current = (current ?? '') + ch;
    }
  }
  if (quoted) throw new ParseError(`${where}: unterminated quote in ${JSON.stringify(spec)}`);
  if (current !== undefined) tokens.push(current);
  return tokens;
}
