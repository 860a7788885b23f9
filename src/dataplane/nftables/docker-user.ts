// Our one rule in Docker's DOCKER-USER chain (iptables, table filter; docker-user6.ts places it in
// ip6tables): Docker's isolation drops would override an accept in our own nft table, so
// connections our table admitted as exceptions (conntrack mark bit) are accepted there first:
//   -A DOCKER-USER -m connmark --mark 0x100000/0x100000 -m comment --comment dockfence:docker-user -j ACCEPT

import { ApplyError } from '../../lib/errors.js';
import type { ExecResult } from '../../lib/exec.js';
import { formatMark } from './values.js';

export const DOCKER_USER_HOOK = 'docker-user';
/** The same rule in ip6tables (DOCKER-USER, or FORWARD on Docker 20.10: docker-user6.ts). */
export const DOCKER_USER6_HOOK = 'docker-user6';
export const DOCKER_USER_CHAIN = 'DOCKER-USER';
export const DOCKER_USER_TAG = 'dockfence:docker-user';

/** Runs the iptables binary (with retries) and returns its result; rejects when it cannot start. */
export type RunIptables = (args: string[]) => Promise<ExecResult>;

export interface DockerUserRule {
  /** Position among the chain's rules, 0 = first. */
  position: number;
  /** The mark it accepts; undefined when the rule is ours but not in the form we write. */
  mark?: number;
}

export interface DockerUserState {
  exists: boolean;
  ours: DockerUserRule[];
  /** Why the chain could not be read, when it could not. */
  error?: string;
}

/**
 * Our rules among `chain`'s `-A` lines of `iptables -S` output (one chain or a whole table) and
 * their positions within that chain (pure).
 */
export function parseOurRules(text: string, chain: string): DockerUserRule[] {
  const prefix = `-A ${chain} `;
  const rules = text.split('\n').filter((line) => line.startsWith(prefix));
  const ours: DockerUserRule[] = [];
  rules.forEach((line, position) => {
    if (!/--comment "?dockfence:docker-user"?( |$)/.test(line)) return;
    const spec = line.trim().slice(prefix.length);
    const match = /^-m connmark --mark (0x[0-9a-f]+)\/(0x[0-9a-f]+) -m comment --comment "?dockfence:docker-user"? -j ACCEPT$/.exec(spec);
    const mark = match && match[1] === match[2] ? parseInt(match[1] as string, 16) : undefined;
    ours.push(mark === undefined ? { position } : { position, mark });
  });
  return ours;
}

/** `iptables -S DOCKER-USER` output -> our rules and their positions (pure). */
export function parseDockerUserRules(text: string): DockerUserRule[] {
  return parseOurRules(text, DOCKER_USER_CHAIN);
}

/** iptables arguments of our rule for `mark`, after the chain (and position) arguments. */
export function dockerUserRuleSpec(mark: number): string[] {
  const m = formatMark(mark);
  return ['-m', 'connmark', '--mark', `${m}/${m}`, '-m', 'comment', '--comment', DOCKER_USER_TAG, '-j', 'ACCEPT'];
}

/** Reads DOCKER-USER. A chain that cannot be read (absent, no iptables) reads as not existing. */
export async function readDockerUser(run: RunIptables): Promise<DockerUserState> {
  let result: ExecResult;
  try {
    result = await run(['-w', '-S', DOCKER_USER_CHAIN]);
  } catch (cause) {
    return { exists: false, ours: [], error: String(cause instanceof Error ? cause.message : cause) };
  }
  if (result.exitCode !== 0) return { exists: false, ours: [], error: result.stderr.trim() };
  return { exists: true, ours: parseDockerUserRules(result.stdout) };
}

function failed(binary: string, action: string, args: string[], result: ExecResult): ApplyError {
  return new ApplyError(`${action}: ${result.stderr.trim() || `exit ${result.exitCode}`}`, {
    command: [binary, ...args].join(' '),
    exitCode: result.exitCode,
    stderr: result.stderr,
  });
}

/** The ApplyError for a missing DOCKER-USER chain, saying what to check. */
export function missingChainError(state: DockerUserState, binary = 'iptables'): ApplyError {
  return new ApplyError(
    `Docker manages iptables but ${binary} has no ${DOCKER_USER_CHAIN} chain in table filter (${state.error ?? 'not found'}); ` +
      'is dockerd running with iptables enabled and using the same iptables variant (nft/legacy)?',
    { command: `${binary} -w -S ${DOCKER_USER_CHAIN}`, stderr: state.error ?? '' },
  );
}

/** Inserts our rule for `mark` as rule 1 of `chain`. Throws ApplyError naming `binary` when that fails. */
export async function insertOurRuleFirst(run: RunIptables, binary: string, chain: string, mark: number): Promise<void> {
  const args = ['-w', '-I', chain, '1', ...dockerUserRuleSpec(mark)];
  const result = await run(args);
  if (result.exitCode !== 0) throw failed(binary, `inserting our rule at the top of ${binary} ${chain}`, args, result);
}

/** Deletes the rules at `positions` (0-based) of `chain`. Throws ApplyError naming `binary` when one fails. */
export async function deleteOurRules(run: RunIptables, binary: string, chain: string, positions: number[]): Promise<void> {
  // Highest first, so earlier rule numbers stay valid.
  for (const position of [...positions].sort((a, b) => b - a)) {
    const args = ['-w', '-D', chain, String(position + 1)];
    const result = await run(args);
    if (result.exitCode !== 0) throw failed(binary, `deleting our rule ${position + 1} from ${binary} ${chain}`, args, result);
  }
}

/** Whether `ours` (of one chain) already is exactly our rule for `mark`, first and alone. */
export function isFirstAndOnly(ours: DockerUserRule[], mark: number): boolean {
  return ours.length === 1 && ours[0]?.position === 0 && ours[0].mark === mark;
}

/** Our rules of one chain to delete once ours for `mark` is first: every one but that first. */
export function extraRules(ours: DockerUserRule[], mark: number): number[] {
  const keep = ours.find((r) => r.mark === mark);
  return ours.filter((r) => r !== keep).map((r) => r.position);
}

/**
 * Makes our rule (for `mark`) the first of iptables' DOCKER-USER and the only one of ours there.
 * Inserts before it deletes, so accepted exceptions never pass a moment without the rule. Throws
 * ApplyError when the chain is missing or iptables fails; `binary` names the program in errors.
 */
export async function ensureDockerUserFirst(run: RunIptables, mark: number, binary = 'iptables'): Promise<void> {
  let state = await readDockerUser(run);
  if (!state.exists) throw missingChainError(state, binary);
  if (isFirstAndOnly(state.ours, mark)) return;
  const first = state.ours[0];
  if (!(first && first.position === 0 && first.mark === mark)) {
    await insertOurRuleFirst(run, binary, DOCKER_USER_CHAIN, mark);
    state = await readDockerUser(run);
    if (!state.exists) throw missingChainError(state, binary);
  }
  await deleteOurRules(run, binary, DOCKER_USER_CHAIN, extraRules(state.ours, mark));
}

/** Deletes every rule of ours from iptables' DOCKER-USER; nothing to do when the chain does not exist. */
export async function removeDockerUser(run: RunIptables, binary = 'iptables'): Promise<void> {
  const state = await readDockerUser(run);
  if (state.exists) await deleteOurRules(run, binary, DOCKER_USER_CHAIN, state.ours.map((r) => r.position));
}
