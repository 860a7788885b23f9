// The nftables backend's ip6tables rule against real ip6tables in a throwaway namespace, with
// Docker's ip6tables chains laid out as dockerd 20.10 --ip6tables leaves them (recorded in
// src/dataplane/nftables/testdata): no DOCKER-USER there, so our rule goes first in FORWARD.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NftablesBackend } from '../../src/dataplane/nftables/backend.js';
import type { Exec } from '../../src/lib/exec.js';
import { createNetns, isRoot, mustRun } from '../harness/netns-exec.js';
import { labRuleset } from './backend-conformance.js';

const DOCKER20_FRESH = new URL('../../src/dataplane/nftables/testdata/ip6tables-docker20-fresh.txt', import.meta.url);
/** What Docker 20.10 adds to FORWARD for one IPv6 network (br-a), after it made the chains above. */
const BRIDGE_RULES = [
  '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
  '-A FORWARD -o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A FORWARD -o br-a -j DOCKER',
  '-A FORWARD -i br-a ! -o br-a -j ACCEPT',
  '-A FORWARD -i br-a -o br-a -j ACCEPT',
];
const OURS = /^-A (FORWARD|DOCKER-USER) -m connmark --mark 0x100000\/0x100000 -m comment --comment "dockfence:docker-user" -j ACCEPT$/;

/** Replays `iptables -S` lines (policies, chains, rules) with ip6tables. */
async function replay(exec: Exec, lines: string[]): Promise<void> {
  for (const line of lines.filter((l) => l.trim() !== '')) {
    const [op, ...rest] = line.trim().split(/\s+/);
    await mustRun(exec, 'ip6tables', ['-w', op as string, ...rest]);
  }
}

/** ip6tables-save without its timestamped comments. */
const save6 = async (exec: Exec): Promise<string> => (await mustRun(exec, 'ip6tables-save', [])).replace(/^#.*\n/gm, '');
const chain6 = async (exec: Exec, chain: string): Promise<string[]> => (await mustRun(exec, 'ip6tables', ['-w', '-S', chain])).trim().split('\n').slice(1);

async function withDockerNetns(fn: (exec: Exec) => Promise<void>): Promise<void> {
  const ns = await createNetns('dfn6');
  try {
    // iptables' DOCKER-USER, as Docker makes it in every version.
    await mustRun(ns.exec, 'iptables', ['-w', '-N', 'DOCKER-USER']);
    await mustRun(ns.exec, 'iptables', ['-w', '-A', 'DOCKER-USER', '-j', 'RETURN']);
    await fn(ns.exec);
  } finally {
    await ns.remove();
  }
}

if (!isRoot()) {
  describe('nftables backend and ip6tables (integration)', () => {
    it.skip('SKIPPED: needs root to create network namespaces and run ip6tables (CI runs as root)', () => {});
  });
} else {
  describe('nftables backend and ip6tables (integration)', () => {
    it('Docker 20.10 chains without DOCKER-USER: ours goes first in FORWARD, a rule shadowing it is healed, remove() restores ip6tables byte for byte', () =>
      withDockerNetns(async (exec) => {
        await replay(exec, [...readFileSync(DOCKER20_FRESH, 'utf8').split('\n'), ...BRIDGE_RULES]);
        const dockerOnly = await save6(exec);
        const backend = new NftablesBackend({ exec });
        const desired = labRuleset(true);
        const observed = await backend.observe();
        expect(observed.dockerUser6Chain).toBe('FORWARD');
        expect(observed.hooks['docker-user6']).toBeUndefined();

        await backend.apply(desired);
        expect(await chain6(exec, 'FORWARD')).toEqual([expect.stringMatching(OURS), ...BRIDGE_RULES]);
        expect((await exec('ip6tables', ['-w', '-S', 'DOCKER-USER'])).exitCode).not.toBe(0);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);

        // What Docker does on network create: its rules go back on top, ahead of ours.
        await mustRun(exec, 'ip6tables', ['-w', '-I', 'FORWARD', '1', '-o', 'br-c', '-j', 'DOCKER']);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual(['hook docker-user6 shadowed by 1 foreign rule(s) ahead of it']);
        await backend.apply(desired);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        const forward = await chain6(exec, 'FORWARD');
        expect(forward[0]).toMatch(OURS);
        expect(forward.filter((l) => OURS.test(l))).toHaveLength(1);
        await mustRun(exec, 'ip6tables', ['-w', '-D', 'FORWARD', '-o', 'br-c', '-j', 'DOCKER']);

        await backend.remove();
        expect(await save6(exec)).toBe(dockerOnly);
      }));

    it('DOCKER-USER appearing later (Docker 23+): ours moves there and leaves FORWARD; remove() restores ip6tables', () =>
      withDockerNetns(async (exec) => {
        await replay(exec, [...readFileSync(DOCKER20_FRESH, 'utf8').split('\n'), ...BRIDGE_RULES]);
        const backend = new NftablesBackend({ exec });
        const desired = labRuleset(true);
        await backend.apply(desired);
        expect((await chain6(exec, 'FORWARD'))[0]).toMatch(OURS);

        await replay(exec, ['-N DOCKER-USER', '-A DOCKER-USER -j RETURN', '-I FORWARD 1 -j DOCKER-USER']);
        const dockerOnly = (await save6(exec)).replace(/^-A FORWARD -m connmark .*\n/m, '');
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([
          'hook docker-user6 missing',
          'hook docker-user6 has 1 rule(s) of ours outside DOCKER-USER',
        ]);
        await backend.apply(desired);
        expect(await chain6(exec, 'DOCKER-USER')).toEqual([expect.stringMatching(OURS), '-A DOCKER-USER -j RETURN']);
        expect(await chain6(exec, 'FORWARD')).toEqual(['-A FORWARD -j DOCKER-USER', ...BRIDGE_RULES]);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);

        await backend.remove();
        expect(await save6(exec)).toBe(dockerOnly);
      }));

    it('ip6tables without Docker chains: apply and remove leave it byte for byte as it was', () =>
      withDockerNetns(async (exec) => {
        await replay(exec, ['-A FORWARD -s 2001:db8::1/128 -j ACCEPT']);
        const before = await save6(exec);
        const backend = new NftablesBackend({ exec });
        await backend.apply(labRuleset(true));
        expect(backend.plan(labRuleset(true), await backend.observe()).differences).toEqual([]);
        expect(await save6(exec)).toBe(before);
        await backend.remove();
        expect(await save6(exec)).toBe(before);
      }));
  });
}
