// The nftables backend against the real kernel: the shared conformance suite, plus what only nft
// has (every rendered construct accepted by the kernel, set and table drift, atomic failure).
// Needs root for network namespaces; CI runs as root, so it is skipped only for non-root runs.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { labExpose, labSnapshot } from '../../src/compiler/testdata/lab.js';
import { NftablesBackend } from '../../src/dataplane/nftables/backend.js';
import { fullRuleset } from '../../src/dataplane/nftables/testdata/full-ruleset.js';
import { ApplyError } from '../../src/lib/errors.js';
import type { Exec } from '../../src/lib/exec.js';
import { createNetns, isRoot, mustRun } from '../harness/netns-exec.js';
import { labRuleset, runBackendConformance } from './backend-conformance.js';

async function deleteOwnRule(exec: Exec): Promise<void> {
  const listing = JSON.parse(await mustRun(exec, 'nft', ['-j', 'list', 'table', 'inet', 'dockfence'])) as {
    nftables: Array<{ rule?: { chain: string; handle: number } }>;
  };
  const rule = listing.nftables.find((o) => o.rule && o.rule.chain.startsWith('from-'))?.rule;
  if (!rule) throw new Error('no rule of ours to delete');
  await mustRun(exec, 'nft', ['delete', 'rule', 'inet', 'dockfence', rule.chain, 'handle', String(rule.handle)]);
}

async function dumpOwnState(exec: Exec): Promise<string> {
  const table = await exec('nft', ['list', 'table', 'inet', 'dockfence']);
  const dockerUser = await exec('iptables', ['-w', '-S', 'DOCKER-USER']);
  const ours = dockerUser.exitCode === 0 ? dockerUser.stdout.split('\n').filter((l) => l.includes('dockfence')) : [];
  return [table.exitCode === 0 ? table.stdout : '', ...ours].join('').trim();
}

const make = (exec: Exec) => new NftablesBackend({ exec });

if (!isRoot()) {
  describe('nftables backend (integration)', () => {
    it.skip('SKIPPED: needs root to create network namespaces and run nft (CI runs as root)', () => {});
  });
} else {
  runBackendConformance('nftables', make, { deleteOwnRule, dumpOwnState });

  describe('nftables backend specifics', () => {
    const withNetns = async (fn: (exec: Exec) => Promise<void>) => {
      const ns = await createNetns('dfn');
      try {
        await fn(ns.exec);
      } finally {
        await ns.remove();
      }
    };
    const dockerUser = (exec: Exec) =>
      mustRun(exec, 'iptables', ['-w', '-N', 'DOCKER-USER']).then(() => mustRun(exec, 'iptables', ['-w', '-A', 'DOCKER-USER', '-j', 'RETURN']));

    it('the kernel accepts every rendered match and verdict kind, and reads back in sync', () =>
      withNetns(async (exec) => {
        await dockerUser(exec);
        const backend = make(exec);
        await backend.apply(fullRuleset);
        expect(backend.plan(fullRuleset, await backend.observe()).differences).toEqual([]);
      }));

    it('detects and heals a set element added by hand and a table made dormant', () =>
      withNetns(async (exec) => {
        const backend = make(exec);
        const desired = labRuleset(false);
        await backend.apply(desired);
        await mustRun(exec, 'nft', ['add', 'element', 'inet', 'dockfence', 'protected4', '{ 10.99.0.0/16 }']);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual(['set protected4 elements differ']);
        await mustRun(exec, 'nft', ['add', 'table', 'inet', 'dockfence', '{ flags dormant; }']);
        expect(backend.plan(desired, await backend.observe()).differences).toContain('table inet dockfence has flags (e.g. dormant)');
        await backend.apply(desired);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
      }));

    it('a transaction the kernel rejects changes nothing: the previous table stays in force', () =>
      withNetns(async (exec) => {
        const backend = make(exec);
        const good = labRuleset(false);
        await backend.apply(good);
        const before = await mustRun(exec, 'nft', ['list', 'table', 'inet', 'dockfence']);
        // Renders fine but nft refuses masquerade in a filter chain.
        const bad = structuredClone(good);
        bad.chains[0]!.rules.push({ match: {}, verdict: { kind: 'masquerade' } });
        const error = await backend.apply(bad).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ApplyError);
        expect((error as ApplyError).details.input).toContain('masquerade');
        expect(await mustRun(exec, 'nft', ['list', 'table', 'inet', 'dockfence'])).toBe(before);
      }));

    it('applies the compiler\'s lookups, overlapping exceptions included; an exception deleted by hand is healed', () =>
      withNetns(async (exec) => {
        const backend = make(exec);
        // Overlaps app2-to-app1-web (10.10.102.2 -> 10.10.101.3:80): nft would refuse it in the same set.
        const wide = structuredClone(labExpose[1]!);
        wide.metadata.name = 'wide';
        wide.spec.from = [{ cidr: '10.10.0.0/16' }];
        const desired = compile({ ...labSnapshot(false), exposeRules: [...labExpose, wide] }).ruleset;
        expect(desired.chains.find((c) => c.name === 'exceptions')?.rules.some((r) => r.origin === 'ExposeRule/wide')).toBe(true);
        await backend.apply(desired);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        // Per-pair counts fill with traffic: an element there is no drift; one gone from an exception set is.
        await mustRun(exec, 'nft', ['add', 'element', 'inet', 'dockfence', 'network_pairs_out', '{ "br-333333333333" . "br-111111111111" }']);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        await mustRun(exec, 'nft', ['delete', 'element', 'inet', 'dockfence', 'exceptions_ports4', '{ 10.10.102.2 . 10.10.101.3 . tcp . 80 }']);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual(['set exceptions_ports4 elements differ']);
        await backend.apply(desired);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        const pairs = desired.lookups?.filter((l) => l.name.startsWith('network_pairs')).flatMap((l) => l.elements).length ?? 0;
        const samples = await backend.readCounters(desired);
        expect(samples.filter((s) => s.labels.metric === 'dropped' && s.labels.reason === 'other_network')).toHaveLength(pairs);
      }));

    it('with ip6tables DOCKER-USER too (dockerd --ip6tables): our rule goes first there, heals, and is removed', () =>
      withNetns(async (exec) => {
        await dockerUser(exec);
        const backend = make(exec);
        const desired = labRuleset(true);
        await backend.apply(desired);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        await mustRun(exec, 'ip6tables', ['-w', '-N', 'DOCKER-USER']);
        await mustRun(exec, 'ip6tables', ['-w', '-A', 'DOCKER-USER', '-j', 'RETURN']);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual(['hook docker-user6 missing']);
        await backend.apply(desired);
        const v6 = () => mustRun(exec, 'ip6tables', ['-w', '-S', 'DOCKER-USER']);
        expect((await v6()).split('\n')[1]).toMatch(/--mark 0x100000\/0x100000 .*dockfence:docker-user.* -j ACCEPT$/);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        await mustRun(exec, 'ip6tables', ['-w', '-I', 'DOCKER-USER', '1', '-s', '2001:db8::9/128', '-j', 'ACCEPT']);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual(['hook docker-user6 shadowed by 1 foreign rule(s) ahead of it']);
        await backend.apply(desired);
        expect(backend.plan(desired, await backend.observe()).differences).toEqual([]);
        await mustRun(exec, 'ip6tables', ['-w', '-D', 'DOCKER-USER', '-s', '2001:db8::9/128', '-j', 'ACCEPT']);
        await backend.remove();
        expect(await v6()).toBe('-N DOCKER-USER\n-A DOCKER-USER -j RETURN\n');
      }));

    it('refuses to apply with dockerIptables when DOCKER-USER does not exist, before touching nft', () =>
      withNetns(async (exec) => {
        const backend = make(exec);
        await expect(backend.apply(labRuleset(true))).rejects.toThrow(/no DOCKER-USER chain/);
        expect((await backend.observe()).present).toBe(false);
      }));
  });
}
