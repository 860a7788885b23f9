// serve --drops-by-source against the real kernel, in a throwaway namespace: the per-source sets
// count dropped packets per source address with real pings, the drop still holds when the set
// is full (the update lives in its own rule), and the backend reads back in sync.

import { describe, expect, it } from 'vitest';
import { NftablesBackend } from '../../src/dataplane/nftables/backend.js';
import { sourceDropsRuleset } from '../../src/dataplane/nftables/testdata/source-drops-ruleset.js';
import type { Exec } from '../../src/lib/exec.js';
import { createNetns, isRoot } from '../harness/netns-exec.js';

const withNetns = async (fn: (exec: Exec) => Promise<void>): Promise<void> => {
  const ns = await createNetns('dfs');
  try {
    await fn(ns.exec);
  } finally {
    await ns.remove();
  }
};

/** One ping from `source` to itself over lo; true when it was answered. */
const ping = async (exec: Exec, source: string): Promise<boolean> =>
  (await exec('ping', ['-c', '1', '-W', '1', '-I', source, source])).exitCode === 0;

if (!isRoot()) {
  describe('nftables per-source drops (integration)', () => {
    it.skip('SKIPPED: needs root to create network namespaces and run nft (CI runs as root)', () => {});
  });
} else {
  describe('nftables per-source drops (integration)', () => {
    it('counts dropped packets per source address and reads back in sync', () =>
      withNetns(async (exec) => {
        await exec('ip', ['link', 'set', 'lo', 'up']);
        await exec('ip', ['addr', 'add', '127.0.0.9/8', 'dev', 'lo']);
        const backend = new NftablesBackend({ exec });
        await backend.apply(sourceDropsRuleset);
        expect(backend.plan(sourceDropsRuleset, await backend.observe()).differences).toEqual([]);
        expect(await ping(exec, '127.0.0.1')).toBe(false);
        expect(await ping(exec, '127.0.0.9')).toBe(false);
        expect(await ping(exec, '127.0.0.9')).toBe(false);
        const drops = await backend.readSourceDrops();
        const packets = (saddr: string): number | undefined => drops.find((d) => d.saddr === saddr && d.ifname === 'lo')?.packets;
        expect(packets('127.0.0.1')).toBe(1);
        expect(packets('127.0.0.9')).toBe(2);
        // Elements never count as drift: still in sync with a filled set.
        expect(backend.plan(sourceDropsRuleset, await backend.observe()).differences).toEqual([]);
        const counters = await backend.readCounters(sourceDropsRuleset);
        expect(counters.reduce((sum, c) => sum + c.packets, 0)).toBe(3);
      }));

    it('still drops when the set is full', () =>
      withNetns(async (exec) => {
        await exec('ip', ['link', 'set', 'lo', 'up']);
        await exec('ip', ['addr', 'add', '127.0.0.9/8', 'dev', 'lo']);
        const backend = new NftablesBackend({ exec });
        await backend.apply(sourceDropsRuleset);
        // Fill the IPv4 set: 65536 elements that never send.
        const elements: string[] = [];
        for (let i = 0; i < 65536; i++) elements.push(`10.${(i >> 8) & 255}.${i & 255}.${i >> 16} . "x"`);
        const input = `add element inet dockfence drops_by_source4 { ${elements.join(', ')} }\n`;
        const fill = await exec('nft', ['-f', '-'], { input });
        expect(fill.exitCode).toBe(0);
        expect(await ping(exec, '127.0.0.9')).toBe(false);
        const drops = await backend.readSourceDrops();
        expect(drops.some((d) => d.saddr === '127.0.0.9')).toBe(false);
      }));
  });
}
