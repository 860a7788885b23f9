// A small fake of nft, iptables and ip6tables for NftablesBackend's unit tests: nft answers from a
// recorded listing; iptables keeps DOCKER-USER's rules; ip6tables keeps a whole filter table and
// prints rules the way the real one does (marks unpadded, comments quoted).

import type { Exec, ExecResult } from '../../../lib/exec.js';

export const OURS = '-A DOCKER-USER -m connmark --mark 0x100000/0x100000 -m comment --comment "dockfence:docker-user" -j ACCEPT';
export const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', exitCode: 0 });
export const fail = (stderr: string, exitCode = 1): ExecResult => ({ stdout: '', stderr, exitCode });

/** What iptables prints for the rule `-I CHAIN POS <spec>` adds: marks unpadded, comments quoted. */
function printed(chain: string, spec: readonly string[]): string {
  const text = spec.join(' ').replace(/0x0*([0-9a-f]+)/g, '0x$1').replace(/--comment (\S+)/, '--comment "$1"');
  return `-A ${chain} ${text}`;
}

const BUILTIN = ['INPUT', 'FORWARD', 'OUTPUT'];
export type Table = Record<string, string[]>;

/** `iptables -S [CHAIN]` of a table: chain name -> its `-A` lines (built-in chains implied). */
function listTable(table: Table, chain?: string): ExecResult {
  if (chain !== undefined) {
    const rules = table[chain] ?? (BUILTIN.includes(chain) ? [] : undefined);
    if (rules === undefined) return fail(`iptables: chain \`${chain}' in table \`filter' is incompatible, use 'nft' tool.\n`);
    return ok([BUILTIN.includes(chain) ? `-P ${chain} ACCEPT` : `-N ${chain}`, ...rules].join('\n') + '\n');
  }
  const user = Object.keys(table).filter((c) => !BUILTIN.includes(c));
  const lines = [...BUILTIN.map((c) => `-P ${c} ACCEPT`), ...user.map((c) => `-N ${c}`)];
  for (const c of [...BUILTIN, ...user]) lines.push(...(table[c] ?? []));
  return ok(lines.join('\n') + '\n');
}

/**
 * nft answers from `listing`; iptables keeps DOCKER-USER's rules (undefined = no chain);
 * ip6tables keeps a whole filter table (`v6`: chain -> rules; undefined = ip6tables unreadable).
 */
export function fakeHost(init: { listing?: string; dockerUser?: string[]; v6?: Table } = {}) {
  const calls: Array<{ command: string; args: readonly string[]; input?: string }> = [];
  const state = { listing: init.listing, dockerUser: init.dockerUser, v6: init.v6, nftResults: [] as ExecResult[] };
  const exec: Exec = async (command, args, options) => {
    calls.push({ command, args, ...(options?.input === undefined ? {} : { input: options.input }) });
    if (command === 'nft') {
      const scripted = state.nftResults.shift();
      if (scripted) return scripted;
      if (args[0] === '-j') return state.listing === undefined ? fail('Error: No such file or directory\n') : ok(state.listing);
      return ok();
    }
    const table = command === 'ip6tables' ? state.v6 : state.dockerUser && { 'DOCKER-USER': state.dockerUser };
    if (table === undefined) return fail("iptables: chain `DOCKER-USER' in table `filter' is incompatible, use 'nft' tool.\n");
    const [, op, chain = '', pos] = args;
    if (op === '-S') return listTable(table, args[2]);
    const rules = (table[chain] ??= []);
    if (op === '-I') rules.splice(Number(pos) - 1, 0, printed(chain, args.slice(4)));
    if (op === '-D') rules.splice(Number(pos) - 1, 1);
    return ok();
  };
  return { exec, calls, state };
}

export type FakeHost = ReturnType<typeof fakeHost>;
