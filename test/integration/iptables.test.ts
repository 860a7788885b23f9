// The iptables backend against the real kernel (iptables-nft): the shared conformance suite, then
// what only iptables has, in both Docker modes: a namespace where a Docker 20.10 stand-in owns
// FORWARD (DOCKER-USER first, isolation drops between bridges) and one without Docker.
// Needs root for network namespaces; CI runs as root, so it is skipped only for non-root runs.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IptablesBackend } from '../../src/dataplane/iptables/backend.js';
import { fullRuleset } from '../../src/dataplane/iptables/testdata/full-ruleset.js';
import type { Exec } from '../../src/lib/exec.js';
import type { Ruleset } from '../../src/ruleset/model.js';
import { isRoot, mustRun, type Netns } from '../harness/netns-exec.js';
import { buildLab, labRuleset, runBackendConformance, type Lab } from './backend-conformance.js';

async function deleteOwnRule(exec: Exec): Promise<void> {
  await mustRun(exec, 'iptables', ['-w', '-D', 'DF-FROM-NET-A', '1']);
}

/** Everything of ours in both families (chains, rules, hook rules), without counters. */
async function dumpOwnState(exec: Exec): Promise<string> {
  const lines: string[] = [];
  for (const save of ['iptables-save', 'ip6tables-save']) {
    const out = await mustRun(exec, save, []);
    lines.push(...out.split('\n').filter((l) => !l.startsWith('#') && /DF-|dockfence/.test(l)));
  }
  return lines.join('\n').trim();
}

const make = (exec: Exec): IptablesBackend => new IptablesBackend({ exec, retryDelayMs: 10 });

/** Docker 20.10's filter chains for bridges br-a and br-b, as `iptables-save` shows them. */
const DOCKER_FILTER = `*filter
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-P FORWARD DROP
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br-a -j DOCKER
-A FORWARD -i br-a ! -o br-a -j ACCEPT
-A FORWARD -i br-a -o br-a -j ACCEPT
-A FORWARD -o br-b -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br-b -j DOCKER
-A FORWARD -i br-b ! -o br-b -j ACCEPT
-A FORWARD -i br-b -o br-b -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i br-a ! -o br-a -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -i br-b ! -o br-b -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o br-a -j DROP
-A DOCKER-ISOLATION-STAGE-2 -o br-b -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
`;

async function ping(ns: Netns, address: string): Promise<boolean> {
  return (await ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', address])).exitCode === 0;
}

/** Foreign filter state (Docker's chains and everything in built-in chains that is not ours). */
async function foreignFilter(exec: Exec): Promise<string> {
  const out = await mustRun(exec, 'iptables', ['-w', '-S']);
  return out.split('\n').filter((l) => !/DF-|dockfence/.test(l)).join('\n');
}

if (!isRoot()) {
  describe('iptables backend (integration)', () => {
    it.skip('SKIPPED: needs root to create network namespaces and run iptables (CI runs as root)', () => {});
  });
} else {
  runBackendConformance('iptables', make, { deleteOwnRule, dumpOwnState });

  for (const mode of ['with a Docker 20.10 stand-in', 'without Docker'] as const) {
    const docker = mode === 'with a Docker 20.10 stand-in';
    describe(`iptables backend ${mode}`, () => {
      let lab: Lab;
      let backend: IptablesBackend;
      beforeEach(async () => {
        lab = await buildLab();
        if (docker) await mustRun(lab.host.exec, 'iptables-restore', ['--noflush'], DOCKER_FILTER);
        backend = make(lab.host.exec);
      });
      afterEach(async () => {
        for (const ns of [lab?.c1, lab?.c2, lab?.host]) await ns?.remove();
      });
      const desired = (): Ruleset => labRuleset(docker);
      const inSync = async (rs: Ruleset): Promise<string[]> => backend.plan(rs, await backend.observe()).differences;

      it('the kernel accepts every rendered match and verdict kind, and reads back in sync', async () => {
        const full = fullRuleset(docker);
        await backend.apply(full);
        expect(await inSync(full)).toEqual([]);
        const parent = docker ? 'DOCKER-USER' : 'FORWARD';
        const hook = `-A ${parent} -m comment --comment "dockfence:hook-forward" -j DF-FORWARD`;
        expect((await mustRun(lab.host.exec, 'iptables', ['-w', '-S'])).split('\n')).toContain(hook);
      });

      it('enforces with real packets; an exception beats Docker-style isolation drops', async () => {
        if (docker) expect(await ping(lab.c1, '172.30.2.2')).toBe(false); // Docker alone isolates
        await backend.apply(desired());
        expect(await ping(lab.c1, '172.30.2.2')).toBe(true);
        expect(await ping(lab.c2, '172.30.1.2')).toBe(false);
        expect(await ping(lab.c1, '172.30.1.1')).toBe(false);
      });

      it('counters survive a re-apply that changes the ruleset', async () => {
        await backend.apply(desired());
        expect(await ping(lab.c2, '172.30.1.2')).toBe(false);
        const counted = async (rs: Ruleset) =>
          (await backend.readCounters(rs)).filter((s) => s.labels.metric === 'dropped' && s.labels.srcNetwork === 'net-b').reduce((n, s) => n + s.packets, 0);
        const before = await counted(desired());
        expect(before).toBeGreaterThanOrEqual(2);
        const changed = desired();
        changed.sets = changed.sets.map((s) => (s.name === 'protected4' ? { ...s, elements: [...s.elements, '10.20.0.0/16'] } : s));
        expect(await inSync(changed)).not.toEqual([]);
        await backend.apply(changed);
        expect(await inSync(changed)).toEqual([]);
        expect(await counted(changed)).toBeGreaterThanOrEqual(before);
      });

      it('heals our chains flushed and our hooks deleted by hand, leaving foreign rules alone', async () => {
        const before = await foreignFilter(lab.host.exec);
        await backend.apply(desired());
        for (const chain of ['DF-FORWARD', 'DF-FROM-NET-A']) await mustRun(lab.host.exec, 'iptables', ['-w', '-F', chain]);
        await mustRun(lab.host.exec, 'iptables', ['-w', '-D', 'INPUT', '-m', 'comment', '--comment', 'dockfence:hook-input', '-j', 'DF-INPUT']);
        const drift = await inSync(desired());
        expect(drift).toEqual(expect.arrayContaining(['hook (ipv4) hook-input missing', expect.stringMatching(/^chain \(ipv4\) forward rules differ/)]));
        await backend.apply(desired());
        expect(await inSync(desired())).toEqual([]);
        expect(await ping(lab.c1, '172.30.2.2')).toBe(true);
        await backend.remove();
        expect(await foreignFilter(lab.host.exec)).toBe(before);
        expect(await dumpOwnState(lab.host.exec)).toBe('');
      });

      it('moves the forward hook when Docker\'s iptables mode changes', async () => {
        await backend.apply(desired());
        const other = labRuleset(!docker);
        if (docker) {
          expect(await inSync(other)).toEqual(['hook (ipv4) hook-forward missing', 'hook (ipv4) hook-forward in filter DOCKER-USER not desired']);
        } else {
          // dockerIptables without a DOCKER-USER chain (dockerd still starting): stay in FORWARD.
          expect(await inSync(other)).toEqual([]);
        }
        await backend.apply(other);
        expect(await inSync(other)).toEqual([]);
        const rules = await mustRun(lab.host.exec, 'iptables', ['-w', '-S']);
        expect(rules.match(/dockfence:hook-forward/g)).toHaveLength(1);
      });
    });
  }
}
