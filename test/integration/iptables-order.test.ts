// The iptables backend's restore order against the real kernel (iptables-nft, in a throwaway
// namespace): an Exec wrapper snapshots iptables-save after every restore run, and no snapshot
// may hold a DNAT to a container port whose filter accept is absent, while a port is published,
// withdrawn or moved. Every restore input holds one table, so the snapshots see every kernel
// transaction (iptables-restore commits per table). Needs root; skipped for non-root runs.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IptablesBackend } from '../../src/dataplane/iptables/backend.js';
import { renderIptablesRestore } from '../../src/dataplane/iptables/render.js';
import type { Exec } from '../../src/lib/exec.js';
import type { Rule, Ruleset } from '../../src/ruleset/model.js';
import { isRoot, mustRun } from '../harness/netns-exec.js';
import { buildLab, labRuleset, type Lab } from './backend-conformance.js';

interface Restore {
  /** `ipv4 nat`, `ipv6 filter`, ... */
  table: string;
  snapshot: string;
}

/** The lab ruleset with host port 8080 published to `address`:80 (accept + DNAT), or nothing published. */
function published(address: string | undefined): Ruleset {
  const rs = labRuleset(false);
  const accept: Rule = {
    match: { daddr: { family: 'ipv4', cidrs: [address ?? ''] }, protocol: 'tcp', dports: [{ from: 80, to: 80 }] },
    verdict: { kind: 'markAccept' },
    counter: { metric: 'exception', kind: 'ExposeRule', name: 'web' },
    origin: 'ExposeRule/web',
  };
  const dnat: Rule = {
    match: { family: 'ipv4', iif: { names: ['lan0'] }, daddrLocal: true, protocol: 'tcp', dports: [{ from: 8080, to: 8080 }] },
    verdict: { kind: 'dnat', family: 'ipv4', address: address ?? '', port: 80 },
    origin: 'ExposeRule/web',
  };
  rs.chains = rs.chains.map((chain) => {
    if (chain.name === 'forward') {
      const rules = chain.rules.filter((r) => !r.match.ctDnat);
      return { ...chain, rules: address ? [rules[0]!, accept, ...rules.slice(1)] : rules };
    }
    if (chain.name === 'prerouting') return { ...chain, rules: address ? [dnat] : [] };
    return chain;
  });
  return rs;
}

/** DNATs in an iptables-save text whose destination no filter ACCEPT of ours admits. */
function unguardedDnats(save: string): string[] {
  const section = (table: string): string[] => (save.split(/^\*/m).find((s) => s.startsWith(`${table}\n`)) ?? '').split('\n');
  const accepts = section('filter').filter((l) => /^-A DF-/.test(l) && / -j ACCEPT$/.test(l));
  return section('nat').flatMap((line) => {
    const m = / -p (tcp|udp) .* -j DNAT --to-destination ([\d.]+):(\d+)$/.exec(line);
    if (!m) return /-j DNAT/.test(line) ? [line] : [];
    const [, protocol, address, port] = m;
    const guarded = accepts.some((a) => a.includes(` -d ${address}/32 `) && a.includes(` -p ${protocol} `) && a.includes(` --dport ${port} `));
    return guarded ? [] : [line];
  });
}

if (!isRoot()) {
  describe('iptables restore order (integration)', () => {
    it.skip('SKIPPED: needs root to create network namespaces and run iptables (CI runs as root)', () => {});
  });
} else {
  describe('iptables restore order: never a DNAT without its filter accept', () => {
    let lab: Lab;
    let restores: Restore[];
    let backend: IptablesBackend;
    /** Runs like lab.host.exec; after each restore run, records its table and the live state. */
    let recording: Exec;

    beforeEach(async () => {
      lab = await buildLab();
      restores = [];
      recording = async (command, args, options) => {
        const result = await lab.host.exec(command, args, options);
        if (command.includes('restore')) {
          const tables = [...(options?.input ?? '').matchAll(/^\*(\w+)$/gm)].map((m) => m[1]!);
          expect(tables).toHaveLength(1); // one table = one kernel transaction per run
          const v6 = command.startsWith('ip6');
          const snapshot = await mustRun(lab.host.exec, v6 ? 'ip6tables-save' : 'iptables-save', []);
          restores.push({ table: `${v6 ? 'ipv6' : 'ipv4'} ${tables[0]!}`, snapshot });
        }
        return result;
      };
      backend = new IptablesBackend({ exec: recording, retryDelayMs: 10 });
    });
    afterEach(async () => {
      for (const ns of [lab?.c1, lab?.c2, lab?.host]) await ns?.remove();
    });

    /** Applies `from`, then records the restores that turn it into `to`. */
    async function transition(from: Ruleset, to: Ruleset): Promise<Restore[]> {
      await backend.apply(from);
      restores = [];
      await backend.apply(to);
      expect(backend.plan(to, await backend.observe()).differences).toEqual([]);
      return restores;
    }

    it('publishing a port: filter accept first, DNAT after; no snapshot has an unguarded DNAT', async () => {
      const seen = await transition(published(undefined), published('172.30.1.2'));
      expect(seen.map((r) => r.table)).toEqual(['ipv4 filter', 'ipv4 nat']);
      for (const r of seen) expect(unguardedDnats(r.snapshot)).toEqual([]);
      expect(seen.at(-1)!.snapshot).toMatch(/-j DNAT --to-destination 172\.30\.1\.2:80$/m);
    });

    it('withdrawing a port: DNAT out first, accept after; no snapshot has an unguarded DNAT', async () => {
      const seen = await transition(published('172.30.1.2'), published(undefined));
      expect(seen.map((r) => r.table)).toEqual(['ipv4 nat', 'ipv4 filter']);
      for (const r of seen) expect(unguardedDnats(r.snapshot)).toEqual([]);
      expect(seen[0]!.snapshot).not.toContain('-j DNAT');
      expect(seen[0]!.snapshot).toMatch(/-d 172\.30\.1\.2\/32 -p tcp -m tcp --dport 80 .* -j ACCEPT$/m);
    });

    it('moving a port to another container: old DNAT out, accepts swapped, new DNAT in', async () => {
      const seen = await transition(published('172.30.1.2'), published('172.30.2.2'));
      expect(seen.map((r) => r.table)).toEqual(['ipv4 nat', 'ipv4 filter', 'ipv4 nat']);
      for (const r of seen) expect(unguardedDnats(r.snapshot)).toEqual([]);
      expect(seen.at(-1)!.snapshot).toMatch(/-j DNAT --to-destination 172\.30\.2\.2:80$/m);
    });

    it('the check has teeth: filter before nat on a withdrawal leaves an unguarded DNAT live', async () => {
      await backend.apply(published('172.30.1.2'));
      const steps = renderIptablesRestore(published(undefined), await backend.observe());
      expect(steps.map((s) => s.table)).toEqual(['nat', 'filter']);
      restores = [];
      for (const step of [...steps].reverse()) {
        await mustRun(recording, 'iptables-restore', ['-w', '5', '--noflush', '--counters'], step.text);
      }
      expect(unguardedDnats(restores[0]!.snapshot)).toEqual([
        expect.stringMatching(/-j DNAT --to-destination 172\.30\.1\.2:80$/),
      ]);
      expect(unguardedDnats(restores[1]!.snapshot)).toEqual([]);
    });

    it('remove() takes the DNAT out before the accept', async () => {
      await backend.apply(published('172.30.1.2'));
      restores = [];
      await backend.remove();
      expect(restores.map((r) => r.table)).toEqual(['ipv4 nat', 'ipv4 filter', 'ipv6 nat', 'ipv6 filter']);
      for (const r of restores) expect(unguardedDnats(r.snapshot)).toEqual([]);
      expect(restores[0]!.snapshot).not.toContain('-j DNAT');
      expect(restores[0]!.snapshot).toMatch(/-d 172\.30\.1\.2\/32 -p tcp -m tcp --dport 80 .* -j ACCEPT$/m);
      for (const r of [restores[1]!, restores[3]!]) expect(r.snapshot).not.toMatch(/DF-|dockfence/); // each family done
    });
  });
}
