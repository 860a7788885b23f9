// NftablesBackend's ip6tables rule against the fake host (no root): first in ip6tables'
// DOCKER-USER where Docker made one (23+), else first in FORWARD where Docker's ip6tables chains
// are there (20.10 --ip6tables), nowhere otherwise; drift, moves between the two, and removal.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApplyError } from '../../lib/errors.js';
import type { Exec } from '../../lib/exec.js';
import type { Ruleset } from '../../ruleset/model.js';
import { NftablesBackend } from './backend.js';
import { counterRuleset } from './testdata/counter-ruleset.js';
import { fail, fakeHost, type FakeHost, OURS, type Table } from './testdata/fake-host.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const simple: Ruleset = { ...counterRuleset, dockerIptables: true };

describe('NftablesBackend and ip6tables (dockerd --ip6tables)', () => {
  const RETURN = '-A DOCKER-USER -j RETURN';
  const OURS_FWD = OURS.replace('-A DOCKER-USER', '-A FORWARD');
  const ISOLATION_JUMP = '-A FORWARD -j DOCKER-ISOLATION-STAGE-1';
  const SPEC = '-m connmark --mark 0x00100000/0x00100000 -m comment --comment dockfence:docker-user -j ACCEPT';
  /** ip6tables as Docker 20.10 --ip6tables leaves it: isolation chains, no DOCKER-USER. */
  const docker20 = (forward: string[] = []): Table => ({
    FORWARD: forward,
    DOCKER: [],
    'DOCKER-ISOLATION-STAGE-1': ['-A DOCKER-ISOLATION-STAGE-1 -j RETURN'],
    'DOCKER-ISOLATION-STAGE-2': ['-A DOCKER-ISOLATION-STAGE-2 -j RETURN'],
  });
  /** Docker 23+: the same plus DOCKER-USER, jumped to first from FORWARD. */
  const docker23 = (dockerUser: string[], forward: string[] = []): Table => ({
    ...docker20(['-A FORWARD -j DOCKER-USER', ISOLATION_JUMP, ...forward]),
    'DOCKER-USER': dockerUser,
  });
  const v6Calls = (host: FakeHost) => host.calls.filter((c) => c.command === 'ip6tables').map((c) => c.args.slice(1).join(' '));
  const v6Edits = (host: FakeHost) => v6Calls(host).filter((c) => !c.startsWith('-S'));

  it('Docker not managing ip6tables (no Docker chains, or no ip6tables): only reads, expects nothing, edits nothing', async () => {
    const cases: Array<Table | undefined> = [{}, { FORWARD: ['-A FORWARD -s 2001:db8::1/128 -j ACCEPT'] }, undefined];
    for (const v6 of cases) {
      const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], ...(v6 ? { v6 } : {}) });
      const backend = new NftablesBackend({ exec: host.exec });
      const observed = await backend.observe();
      expect(observed.hooks).toEqual({ 'docker-user': 0 });
      expect(observed.dockerUser6Chain).toBeUndefined();
      expect(backend.plan(fullRuleset, observed).differences).toEqual([]);
      await backend.apply(fullRuleset);
      await backend.remove();
      expect(v6Calls(host)).toEqual(['-S', '-S', '-S']);
      expect(host.state.v6).toEqual(v6);
    }
  });

  it('Docker 20.10 (isolation chains, no DOCKER-USER): our rule is expected first in FORWARD, apply inserts it there', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6: docker20() });
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect(observed.dockerUser6Chain).toBe('FORWARD');
    expect(backend.plan(fullRuleset, observed).differences).toEqual(['hook docker-user6 missing']);
    await backend.apply(fullRuleset);
    expect(v6Edits(host)).toEqual([`-I FORWARD 1 ${SPEC}`]);
    expect(host.state.v6).toEqual(docker20([OURS_FWD]));
    const again = await backend.observe();
    expect(again.hooks).toEqual({ 'docker-user': 0, 'docker-user6': 0 });
    expect(backend.plan(fullRuleset, again).differences).toEqual([]);
    await backend.apply(fullRuleset);
    expect(v6Edits(host)).toHaveLength(1);
  });

  it('Docker re-inserting its jumps ahead of our FORWARD rule is drift; apply puts ours back on top', async () => {
    const bridge = ['-A FORWARD -o br-1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -o br-1 -j DOCKER'];
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6: docker20([ISOLATION_JUMP, ...bridge, OURS_FWD]) });
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect(observed.hooks).toEqual({ 'docker-user': 0, 'docker-user6': 3 });
    expect(backend.plan(fullRuleset, observed).differences).toEqual(['hook docker-user6 shadowed by 3 foreign rule(s) ahead of it']);
    await backend.apply(fullRuleset);
    expect(v6Edits(host)).toEqual([`-I FORWARD 1 ${SPEC}`, '-D FORWARD 5']);
    expect(host.state.v6?.['FORWARD']).toEqual([OURS_FWD, ISOLATION_JUMP, ...bridge]);
    expect(backend.plan(fullRuleset, await backend.observe()).differences).toEqual([]);
  });

  it('DOCKER-USER appearing (Docker 23+) while ours is in FORWARD: ours goes first in DOCKER-USER, then leaves FORWARD', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6: docker23([RETURN], [OURS_FWD]) });
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect([observed.dockerUser6Chain, observed.dockerUser6Stray]).toEqual(['DOCKER-USER', 1]);
    expect(backend.plan(fullRuleset, observed).differences).toEqual([
      'hook docker-user6 missing',
      'hook docker-user6 has 1 rule(s) of ours outside DOCKER-USER',
    ]);
    await backend.apply(fullRuleset);
    expect(v6Edits(host)).toEqual([`-I DOCKER-USER 1 ${SPEC}`, '-D FORWARD 3']);
    expect(host.state.v6).toEqual(docker23([OURS, RETURN]));
    expect(backend.plan(fullRuleset, await backend.observe()).differences).toEqual([]);
  });

  it('ours already first in DOCKER-USER and a leftover in FORWARD: only the FORWARD one is deleted', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6: { ...docker23([OURS, RETURN]), FORWARD: [OURS_FWD, '-A FORWARD -j DOCKER-USER'] } });
    const backend = new NftablesBackend({ exec: host.exec });
    expect(backend.plan(fullRuleset, await backend.observe()).differences).toEqual(['hook docker-user6 has 1 rule(s) of ours outside DOCKER-USER']);
    await backend.apply(fullRuleset);
    expect(v6Edits(host)).toEqual(['-D FORWARD 1']);
    expect(host.state.v6?.['FORWARD']).toEqual(['-A FORWARD -j DOCKER-USER']);
  });

  it('a leftover FORWARD rule of ours where Docker does not manage ip6tables is drift and is deleted', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6: { FORWARD: [OURS_FWD] } });
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect(observed.hooks).toEqual({ 'docker-user': 0 });
    expect(backend.plan(fullRuleset, observed).differences).toEqual(['hook docker-user6 has 1 rule(s) of ours outside any Docker chain']);
    await backend.apply(fullRuleset);
    expect(v6Edits(host)).toEqual(['-D FORWARD 1']);
  });

  it('a foreign rule shadowing our DOCKER-USER rule is drift; apply moves ours back on top', async () => {
    const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6: docker23(['-A DOCKER-USER -j ACCEPT', OURS]) });
    const backend = new NftablesBackend({ exec: host.exec });
    const observed = await backend.observe();
    expect(observed.hooks).toEqual({ 'docker-user': 0, 'docker-user6': 1 });
    expect(backend.plan(fullRuleset, observed).differences).toEqual(['hook docker-user6 shadowed by 1 foreign rule(s) ahead of it']);
    await backend.apply(fullRuleset);
    expect(host.state.v6?.['DOCKER-USER']).toEqual([OURS, '-A DOCKER-USER -j ACCEPT']);
    expect(v6Edits(host)).toEqual([`-I DOCKER-USER 1 ${SPEC}`, '-D DOCKER-USER 3']);
    expect(host.state.dockerUser).toEqual([OURS]);
  });

  it('checks the v6 rule mark like v4, and plans its removal when Docker does not manage iptables', async () => {
    for (const v6 of [docker23([OURS, RETURN]), docker20([OURS_FWD, ISOLATION_JUMP])]) {
      const host = fakeHost({ listing: recorded('live-full.json'), dockerUser: [OURS], v6 });
      const backend = new NftablesBackend({ exec: host.exec });
      const observed = await backend.observe();
      expect(observed.dockerUser6Mark).toBe(0x100000);
      expect(backend.plan({ ...fullRuleset, acceptMark: 0x200000 }, observed).differences).toEqual([
        'hook docker-user accepts mark 1048576, not 2097152',
        'hook docker-user6 accepts mark 1048576, not 2097152',
      ]);
      expect(backend.plan({ ...fullRuleset, dockerIptables: false }, observed).differences).toEqual([
        'hook docker-user present but not desired',
        'hook docker-user6 present but not desired',
      ]);
      await backend.apply({ ...fullRuleset, acceptMark: 0x200000 });
      const again = await backend.observe();
      expect(again.dockerUser6Mark).toBe(0x200000);
      expect(backend.plan({ ...fullRuleset, acceptMark: 0x200000 }, again).differences).toEqual([]);
      await backend.apply({ ...fullRuleset, dockerIptables: false });
      expect(host.state.dockerUser).toEqual([]);
      expect(JSON.stringify(host.state.v6)).not.toContain('dockfence');
    }
  });

  it('remove() deletes every rule of ours from DOCKER-USER and FORWARD', async () => {
    const host = fakeHost({ dockerUser: [OURS], v6: docker23([OURS, RETURN, OURS], [OURS_FWD]) });
    await new NftablesBackend({ exec: host.exec }).remove();
    expect(host.state.dockerUser).toEqual([]);
    expect(host.state.v6).toEqual(docker23([RETURN]));
  });

  it('an ip6tables edit that fails is an ApplyError naming ip6tables and the chain', async () => {
    const host = fakeHost({ dockerUser: [OURS], v6: docker20([ISOLATION_JUMP]) });
    const exec: Exec = (command, args, options) =>
      command === 'ip6tables' && args[1] === '-I' ? Promise.resolve(fail('ip6tables: Permission denied\n', 4)) : host.exec(command, args, options);
    const error = (await new NftablesBackend({ exec, sleep: async () => {} }).apply(simple).catch((e: unknown) => e)) as ApplyError;
    expect(error).toBeInstanceOf(ApplyError);
    expect(error.message).toMatch(/ip6tables FORWARD: ip6tables: Permission denied/);
    expect(error.details).toMatchObject({ command: expect.stringMatching(/^ip6tables -w -I FORWARD 1 /), exitCode: 4 });
  });
});
