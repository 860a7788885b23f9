// Our DOCKER-USER mark rule in ip6tables. Docker 23+ with --ip6tables makes an ip6tables
// DOCKER-USER and the rule goes first there; Docker 20.10 builds its ip6tables isolation chains
// but no DOCKER-USER (moby#44706), so the rule goes first in FORWARD, as the iptables backend's
// hookParent does. Where Docker has no ip6tables chains at all, nothing of ours belongs there.

import type { ExecResult } from '../../lib/exec.js';
import {
  DOCKER_USER_CHAIN,
  type DockerUserRule,
  deleteOurRules,
  extraRules,
  insertOurRuleFirst,
  isFirstAndOnly,
  parseOurRules,
  type RunIptables,
} from './docker-user.js';

/** The ip6tables chains our rule may live in, in order of preference. */
export const V6_CHAINS = [DOCKER_USER_CHAIN, 'FORWARD'] as const;
export type V6Chain = (typeof V6_CHAINS)[number];

export interface Ip6tablesState {
  /**
   * Where our rule belongs: DOCKER-USER when ip6tables has it, else FORWARD when Docker's own
   * ip6tables chains are there (Docker 20.10 --ip6tables); undefined when Docker does not manage
   * ip6tables (or ip6tables cannot be read).
   */
  parent?: V6Chain;
  /** Our rules in each chain, with their positions there. */
  ours: Record<V6Chain, DockerUserRule[]>;
  /** Why the table could not be read, when it could not. */
  error?: string;
}

/**
 * Docker manages ip6tables when its chains exist (a fresh dockerd --ip6tables has DOCKER and the
 * isolation stages, with no FORWARD jump until it makes an IPv6 network) or FORWARD jumps to one.
 */
const DOCKER_CHAIN_LINE = /^-N DOCKER(-ISOLATION-STAGE-[12])?$/;
const DOCKER_JUMP_LINE = /^-A FORWARD .*-j DOCKER(-[A-Z0-9-]+)?$/;

/** `ip6tables -S` output (the whole filter table) -> where our rule belongs and where ours are (pure). */
export function parseIp6tablesFilter(text: string): Ip6tablesState {
  const lines = text.split('\n').map((l) => l.trim());
  const ours = { 'DOCKER-USER': parseOurRules(text, DOCKER_USER_CHAIN), FORWARD: parseOurRules(text, 'FORWARD') };
  if (lines.includes(`-N ${DOCKER_USER_CHAIN}`)) return { parent: DOCKER_USER_CHAIN, ours };
  if (lines.some((l) => DOCKER_CHAIN_LINE.test(l) || DOCKER_JUMP_LINE.test(l))) return { parent: 'FORWARD', ours };
  return { ours };
}

/** Reads ip6tables' filter table. One that cannot be read (no ip6tables, incompatible table) holds nothing of ours. */
export async function readIp6tables(run: RunIptables): Promise<Ip6tablesState> {
  const none = { 'DOCKER-USER': [], FORWARD: [] };
  let result: ExecResult;
  try {
    result = await run(['-w', '-S']);
  } catch (cause) {
    return { ours: none, error: String(cause instanceof Error ? cause.message : cause) };
  }
  if (result.exitCode !== 0) return { ours: none, error: result.stderr.trim() };
  return parseIp6tablesFilter(result.stdout);
}

/** Our rules outside the chain where ours belongs (all of them when none belongs anywhere). */
export function strayCount(state: Ip6tablesState): number {
  return V6_CHAINS.filter((c) => c !== state.parent).reduce((n, c) => n + state.ours[c].length, 0);
}

/**
 * Makes our rule (for `mark`) the first of the chain where it belongs and the only one of ours in
 * ip6tables: inserts it first, then deletes ours elsewhere (a FORWARD rule once Docker has made
 * DOCKER-USER, say). Where Docker does not manage ip6tables it only deletes rules of ours, if any.
 * Throws ApplyError naming `binary` when ip6tables fails.
 */
export async function ensureIp6tablesRule(run: RunIptables, mark: number, binary = 'ip6tables'): Promise<void> {
  let state = await readIp6tables(run);
  const parent = state.parent;
  if (parent && isFirstAndOnly(state.ours[parent], mark) && strayCount(state) === 0) return;
  const first = parent ? state.ours[parent][0] : undefined;
  if (parent && !(first?.position === 0 && first.mark === mark)) {
    await insertOurRuleFirst(run, binary, parent, mark);
    state = await readIp6tables(run);
  }
  for (const chain of V6_CHAINS) {
    const positions = chain === state.parent ? extraRules(state.ours[chain], mark) : state.ours[chain].map((r) => r.position);
    await deleteOurRules(run, binary, chain, positions);
  }
}

/** Deletes every rule of ours from ip6tables, wherever it is; nothing to do when there is none. */
export async function removeIp6tablesRules(run: RunIptables, binary = 'ip6tables'): Promise<void> {
  const state = await readIp6tables(run);
  for (const chain of V6_CHAINS) await deleteOurRules(run, binary, chain, state.ours[chain].map((r) => r.position));
}
