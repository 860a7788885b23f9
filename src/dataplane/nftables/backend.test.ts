// NftablesBackend's shell against a small fake of nft and iptables (no root): what it runs, in
// which order, how it keeps DOCKER-USER right, and how failures surface.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApplyError, ExecError } from '../../lib/errors.js';
import type { Exec } from '../../lib/exec.js';
import type { Ruleset } from '../../ruleset/model.js';
import { NftablesBackend } from './backend.js';
import { renderNftables } from './render.js';
import { counterRuleset } from './testdata/counter-ruleset.js';
import { fakeHost, fail, OURS } from './testdata/fake-host.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

const simple: Ruleset = { ...counterRuleset, dockerIptables: true };

describe('NftablesBackend.apply', () => {
  it('runs one nft transaction with the rendered text, then puts our DOCKER-USER rule first', async () => {
    const host = fakeHost({ dockerUser: ['-A DOCKER-USER -s 192.0.2.1/32 -j ACCEPT', OURS, '-A DOCKER-USER -j RETURN'] });
    await new NftablesBackend({ exec: host.exec }).apply(simple);
    const nftCalls = host.calls.filter((c) => c.command === 'nft');
    expect(nftCalls).toEqual([{ command: 'nft', args: ['-f', '-'], input: renderNftables(simple) }]);
    expect(host.state.dockerUser).toEqual([OURS, '-A DOCKER-USER -s 192.0.2.1/32 -j ACCEPT', '-A DOCKER-USER -j RETURN']);
    const edits = host.calls.filter((c) => c.args[1] === '-I' || c.args[1] === '-D').map((c) => c.args.slice(1, 4).join(' '));
    expect(edits).toEqual(['-I DOCKER-USER 1', '-D DOCKER-USER 3']);
  });

  it('leaves DOCKER-USER alone when our rule is already first', async () => {
    const host = fakeHost({ dockerUser: [OURS, '-A DOCKER-USER -j RETURN'] });
    await new NftablesBackend({ exec: host.exec }).apply(simple);
    expect(host.calls.filter((c) => c.command === 'iptables').map((c) => c.args[1])).toEqual(['-S', '-S']);
  });

  it('replaces a rule of ours carrying another mark', async () => {
    const host = fakeHost({ dockerUser: [OURS, '-A DOCKER-USER -j RETURN'] });
    await new NftablesBackend({ exec: host.exec }).apply({ ...simple, acceptMark: 0x200000 });
    const inserted = host.calls.find((c) => c.args[1] === '-I');
    expect(inserted?.args).toContain('0x00200000/0x00200000');
    expect(host.calls.find((c) => c.args[1] === '-D')?.args[3]).toBe('2');
  });

  it('throws ApplyError before touching nft when DOCKER-USER is missing', async () => {
    const host = fakeHost();
    const error = await new NftablesBackend({ exec: host.exec }).apply(simple).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplyError);
    expect(String((error as Error).message)).toMatch(/no DOCKER-USER chain/);
    expect(host.calls.some((c) => c.command === 'nft')).toBe(false);
  });

  it('removes our DOCKER-USER rules when Docker does not manage iptables', async () => {
    const host = fakeHost({ dockerUser: ['-A DOCKER-USER -j RETURN', OURS] });
    await new NftablesBackend({ exec: host.exec }).apply({ ...simple, dockerIptables: false });
    expect(host.state.dockerUser).toEqual(['-A DOCKER-USER -j RETURN']);
  });

  it('throws ApplyError with exit code, stderr and the rendered input when nft rejects it', async () => {
    const host = fakeHost({ dockerUser: [] });
    host.state.nftResults.push(fail('Error: syntax error\n'));
    const error = (await new NftablesBackend({ exec: host.exec }).apply(simple).catch((e: unknown) => e)) as ApplyError;
    expect(error).toBeInstanceOf(ApplyError);
    expect(error.details).toMatchObject({ exitCode: 1, stderr: 'Error: syntax error\n', input: renderNftables(simple) });
    expect(host.state.dockerUser).toEqual([]);
  });

  it('retries a transient failure a bounded number of times', async () => {
    const host = fakeHost({ dockerUser: [] });
    const busy = fail('Error: Could not process rule: Device or resource busy\n');
    host.state.nftResults.push(busy, busy);
    const waits: number[] = [];
    await new NftablesBackend({ exec: host.exec, retries: 2, sleep: async (ms) => void waits.push(ms) }).apply(simple);
    expect(host.calls.filter((c) => c.command === 'nft')).toHaveLength(3);
    expect(waits).toEqual([50, 100]);

    host.state.nftResults.push(busy, busy, busy);
    const backend = new NftablesBackend({ exec: host.exec, retries: 2, sleep: async () => {} });
    await expect(backend.apply(simple)).rejects.toBeInstanceOf(ApplyError);
  });

  it('does not retry a non-transient failure', async () => {
    const host = fakeHost({ dockerUser: [] });
    host.state.nftResults.push(fail('Error: syntax error\n'));
    await expect(new NftablesBackend({ exec: host.exec, sleep: async () => {} }).apply(simple)).rejects.toThrow(ApplyError);
    expect(host.calls.filter((c) => c.command === 'nft')).toHaveLength(1);
  });

  it('wraps a command that cannot start in ExecError after the retries', async () => {
    let calls = 0;
    const exec: Exec = () => {
      calls += 1;
      return Promise.reject(new Error('running nft: spawn failed'));
    };
    const backend = new NftablesBackend({ exec, retries: 1, sleep: async () => {} });
    await expect(backend.observe()).rejects.toBeInstanceOf(ExecError);
    expect(calls).toBe(2);
  });

  it('does not retry a program that is not installed', async () => {
    let calls = 0;
    const missing = Object.assign(new Error('spawn nft ENOENT'), { code: 'ENOENT' });
    const exec: Exec = () => {
      calls += 1;
      return Promise.reject(new Error('running nft: not found', { cause: missing }));
    };
    const backend = new NftablesBackend({ exec, retries: 3, sleep: async () => {} });
    await expect(backend.observe()).rejects.toBeInstanceOf(ExecError);
    expect(calls).toBe(1);
  });
});

describe('NftablesBackend.observe and plan', () => {
  it('reports a missing table as present:false and plans to create it', async () => {
    const host = fakeHost();
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect(observed).toEqual({ present: false, chains: [], sets: [], hooks: {} });
    expect(backend.plan(counterRuleset, observed).differences).toEqual(['table/chains missing']);
  });

  it('throws ExecError when nft fails for another reason', async () => {
    const host = fakeHost();
    host.state.nftResults.push(fail('Error: Operation not permitted\n'));
    await expect(new NftablesBackend({ exec: host.exec }).observe()).rejects.toBeInstanceOf(ExecError);
  });

  it('reports our DOCKER-USER position and plans a fix when a foreign rule shadows it', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: ['-A DOCKER-USER -j ACCEPT', OURS] });
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect(observed.hooks).toEqual({ 'docker-user': 1 });
    expect(backend.plan(fullRuleset, observed).differences).toEqual(['hook docker-user shadowed by 1 foreign rule(s) ahead of it']);
    host.state.dockerUser = [OURS];
    expect(backend.plan(fullRuleset, await backend.observe()).differences).toEqual([]);
  });

  it('plans to drop our DOCKER-USER rule when Docker does not manage iptables', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS] });
    const backend = new NftablesBackend({ exec: host.exec });
    const plan = backend.plan({ ...fullRuleset, dockerIptables: false }, await backend.observe());
    expect(plan.differences).toEqual(['hook docker-user present but not desired']);
  });

  it('compares set elements as nft prints them', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS] });
    const backend = new NftablesBackend({ exec: host.exec });
    const sets = fullRuleset.sets.map((s) => (s.name === 'protected6' ? { ...s, elements: ['FD10:0::/64', 'fd11::7/128'] } : s));
    expect(backend.plan({ ...fullRuleset, sets }, await backend.observe()).differences).toEqual([]);
  });
});

describe('NftablesBackend.readCounters and remove', () => {
  it('matches counted desired rules to live rules by hash', async () => {
    const host = fakeHost({ listing: recorded('live-counters.json') });
    const samples = await new NftablesBackend({ exec: host.exec }).readCounters(counterRuleset);
    expect(samples.map((s) => [s.labels, s.packets, s.bytes])).toEqual([
      [{ metric: 'exception', kind: 'ExposeRule', name: 'loopback' }, 4, 336],
      [{ metric: 'exception', kind: 'ExposeRule', name: 'idle' }, 0, 0],
    ]);
  });

  it('reads 0 for rules that are not live', async () => {
    const samples = await new NftablesBackend({ exec: fakeHost().exec }).readCounters(fullRuleset);
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.packets === 0 && s.bytes === 0)).toBe(true);
  });

  it('deletes the table in one transaction and every rule of ours in DOCKER-USER', async () => {
    const host = fakeHost({ dockerUser: [OURS, '-A DOCKER-USER -j RETURN', OURS] });
    await new NftablesBackend({ exec: host.exec }).remove();
    expect(host.calls.filter((c) => c.command === 'nft')).toEqual([
      { command: 'nft', args: ['-f', '-'], input: 'add table inet dockfence\ndelete table inet dockfence\n' },
    ]);
    expect(host.state.dockerUser).toEqual(['-A DOCKER-USER -j RETURN']);
  });

  it('remove() succeeds when nothing of ours exists and there is no DOCKER-USER', async () => {
    await expect(new NftablesBackend({ exec: fakeHost().exec }).remove()).resolves.toBeUndefined();
  });
});
