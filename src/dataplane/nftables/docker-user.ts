// Our one rule in Docker's DOCKER-USER chain (iptables, table filter; and ip6tables when dockerd
// runs with --ip6tables): Docker's isolation drops would override an accept in our own nft table,
// so connections our table admitted as exceptions (conntrack mark bit) are accepted there first:
//   -A DOCKER-USER -m connmark --mark 0x100000/0x100000 -m comment --comment dockfence:docker-user -j ACCEPT

import { ApplyError } from '../../lib/errors.js';
import type { ExecResult } from '../../lib/exec.js';
import { formatMark } from './values.js';

export const DOCKER_USER_HOOK = 'docker-user';
/** The same rule in ip6tables' DOCKER-USER (only where that chain exists). */
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

/** `iptables -S DOCKER-USER` output -> our rules and their positions (pure). */
export function parseDockerUserRules(text: string): DockerUserRule[] {
  const rules = text.split('\n').filter((line) => line.startsWith(`-A ${DOCKER_USER_CHAIN} `));
  const ours: DockerUserRule[] = [];
  rules.forEach((line, position) => {
    if (!/--comment "?dockfence:docker-user"?( |$)/.test(line)) return;
    const match = /^-A DOCKER-USER -m connmark --mark (0x[0-9a-f]+)\/(0x[0-9a-f]+) -m comment --comment "?dockfence:docker-user"? -j ACCEPT$/.exec(line.trim());
    const mark = match && match[1] === match[2] ? parseInt(match[1] as string, 16) : undefined;
    ours.push(mark === undefined ? { position } : { position, mark });
  });
  return ours;
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

/** How ensureDockerUserFirst treats one family's chain. */
export interface EnsureOptions {
  /** The binary named in errors (default `iptables`). */
  binary?: string;
  /** A missing chain is nothing to do rather than an error (ip6tables without Docker's --ip6tables). */
  optional?: boolean;
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

async function deleteAt(run: RunIptables, binary: string, positions: number[]): Promise<void> {
  // Highest first, so earlier rule numbers stay valid.
  for (const position of [...positions].sort((a, b) => b - a)) {
    const args = ['-w', '-D', DOCKER_USER_CHAIN, String(position + 1)];
    const result = await run(args);
    if (result.exitCode !== 0) throw failed(binary, `deleting our rule ${position + 1} from ${binary} ${DOCKER_USER_CHAIN}`, args, result);
  }
}

/**
 * Makes our rule (for `mark`) the first of DOCKER-USER and the only one of ours. Inserts before
 * it deletes, so accepted exceptions never pass a moment without the rule. Throws ApplyError when
 * iptables fails, or when the chain is missing unless `options.optional` (then does nothing).
 */
export async function ensureDockerUserFirst(run: RunIptables, mark: number, options: EnsureOptions = {}): Promise<void> {
  const binary = options.binary ?? 'iptables';
  let state = await readDockerUser(run);
  if (!state.exists && options.optional) return;
  if (!state.exists) throw missingChainError(state, binary);
  const [first, ...rest] = state.ours;
  if (first && first.position === 0 && first.mark === mark && rest.length === 0) return;
  if (!(first && first.position === 0 && first.mark === mark)) {
    const args = ['-w', '-I', DOCKER_USER_CHAIN, '1', ...dockerUserRuleSpec(mark)];
    const result = await run(args);
    if (result.exitCode !== 0) throw failed(binary, `inserting our rule at the top of ${binary} ${DOCKER_USER_CHAIN}`, args, result);
    state = await readDockerUser(run);
    if (!state.exists) throw missingChainError(state, binary);
  }
  const keep = state.ours.find((r) => r.mark === mark);
  await deleteAt(run, binary, state.ours.filter((r) => r !== keep).map((r) => r.position));
}

/** Deletes every rule of ours from DOCKER-USER; nothing to do when the chain does not exist. */
export async function removeDockerUser(run: RunIptables, binary = 'iptables'): Promise<void> {
  const state = await readDockerUser(run);
  if (state.exists) await deleteAt(run, binary, state.ours.map((r) => r.position));
}
