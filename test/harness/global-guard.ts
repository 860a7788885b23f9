// Proof that the test suite leaves this machine's own network namespace alone: a vitest
// globalSetup that snapshots the root namespace's firewall, links, addresses, routes and
// forwarding sysctls before all tests and fails the run if anything differs afterwards.

import { existsSync, readFileSync } from 'node:fs';
import { run } from './netns.js';

/** One normalized text per aspect of this machine's own network namespace. */
export type HostNetnsSnapshot = Record<string, string>;

const SYSCTLS = [
  'net/ipv4/ip_forward',
  'net/ipv6/conf/all/forwarding',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
];

/**
 * Reads, in the namespace this process runs in (the machine's own): `nft -s list ruleset`
 * (without counters), iptables-save of the nft and legacy variants and ip6tables-save (comments
 * and counters removed), `ip -o link` (without statistics), `ip -o addr` (without lifetimes),
 * IPv4 and IPv6 routes, and a few forwarding sysctls. Missing tools yield "(absent)".
 */
export async function snapshotHostNetns(): Promise<HostNetnsSnapshot> {
  const read = async (command: string, args: string[], clean: (s: string) => string = (s) => s): Promise<string> => {
    try {
      const result = await run(command, args, { timeoutMs: 20_000 });
      return clean(`${result.stdout}${result.stderr ? `\nstderr: ${result.stderr}` : ''}`);
    } catch {
      return '(absent)';
    }
  };
  const iptables = (s: string): string =>
    s
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .map((line) => line.replace(/\[\d+:\d+\]/g, '[-]'))
      .join('\n');
  const snapshot: HostNetnsSnapshot = {
    nft: await read('nft', ['-s', 'list', 'ruleset']),
    'iptables-nft': await read('iptables-nft-save', [], iptables),
    'ip6tables-nft': await read('ip6tables-nft-save', [], iptables),
    'iptables-legacy': await read('iptables-legacy-save', [], iptables),
    'ip6tables-legacy': await read('ip6tables-legacy-save', [], iptables),
    links: await read('ip', ['-o', 'link', 'show'], (s) => s.replace(/\\\s+/g, ' ')),
    addresses: await read('ip', ['-o', 'addr', 'show'], (s) => s.replace(/valid_lft \S+ preferred_lft \S+/g, '')),
    routes: await read('ip', ['-4', 'route', 'show', 'table', 'all']),
    routes6: await read('ip', ['-6', 'route', 'show', 'table', 'all'], (s) => s.replace(/ expires \S+/g, '')),
  };
  for (const key of SYSCTLS) {
    const file = `/proc/sys/${key}`;
    snapshot[key] = existsSync(file) ? readFileSync(file, 'utf8').trim() : '(absent)';
  }
  return snapshot;
}

/** Aspects that differ, each with its before and after text; empty when identical. */
export function diffSnapshots(before: HostNetnsSnapshot, after: HostNetnsSnapshot): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((key) => before[key] !== after[key])
    .map((key) => `${key} changed:\n--- before\n${before[key] ?? ''}\n--- after\n${after[key] ?? ''}`);
}

/**
 * vitest globalSetup: snapshot now, compare at teardown, fail the run when the host namespace
 * changed. vitest 4 only logs a teardown error and still exits 0, hence the exit code.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const before = await snapshotHostNetns();
  return async () => {
    const differences = diffSnapshots(before, await snapshotHostNetns());
    if (differences.length > 0) {
      process.exitCode = 1;
      throw new Error(`the test suite changed this machine's own network namespace:\n${differences.join('\n')}`);
    }
  };
}
