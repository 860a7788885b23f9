// Parsing recorded `iptables-save -c` output (testdata/live-*.save, captured from real
// iptables-nft 1.8.9 in a network namespace by testdata/capture.sh) back into what we own.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../lib/errors.js';
import { hashChainRules } from '../diff.js';
import { combineFamilies } from './observed.js';
import { parseIptablesSave, tokenize } from './parse.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('parseIptablesSave', () => {
  it('finds nothing of ours among Docker 20.10 chains, but sees DOCKER-USER', () => {
    const v4 = parseIptablesSave(recorded('live-docker.v4.save'));
    expect(v4).toEqual({ present: false, chains: [], hooks: [], dockerUser: true });
    const v6 = parseIptablesSave(recorded('live-docker.v6.save'));
    expect(v6).toEqual({ present: false, chains: [], hooks: [], dockerUser: false });
  });

  it('reads back our chains among foreign ones, with tags, digests and counters', () => {
    const v4 = parseIptablesSave(recorded('live-full.v4.save'));
    expect(v4.present).toBe(true);
    expect(v4.chains.map((c) => `${c.table} ${c.name}`).sort()).toEqual(
      [
        'filter DF-EXCEPTIONS', 'filter DF-FORWARD', 'filter DF-FROM-BRIDGE', 'filter DF-FROM-INT-APP1', 'filter DF-INPUT',
        'filter DF-N474a5c6a', 'filter DF-Ne7f5fa21', 'filter DF-TO-BRIDGE',
        'nat DF-N20ce8bad', 'nat DF-POSTROUTING', 'nat DF-PREROUTING', 'nat DF-SNAT',
      ].sort(),
    );
    const input = v4.chains.find((c) => c.name === 'DF-INPUT')!;
    expect(input.rules).toHaveLength(8);
    expect(input.rules.every((r) => r.tag !== undefined && /^[0-9a-f]{8}$/.test(r.digest ?? ''))).toBe(true);
    // The real pings of capture.sh: the container's packets to the host, dropped and counted.
    expect(input.rules[4]).toMatchObject({ packets: 2, bytes: 168, target: 'DROP', counted: true });
    const helper = v4.chains.find((c) => c.name === 'DF-N474a5c6a')!;
    expect(helper.helper).toBe(true);
    expect(helper.rules.map((r) => r.counted)).toEqual([false, false, false, false, true]);
    const exceptions = v4.chains.find((c) => c.name === 'DF-EXCEPTIONS')!;
    expect(exceptions.rules.map((r) => r.counted).slice(0, 2)).toEqual([false, true]); // CONNMARK, ACCEPT
  });

  it('records our hook rules with their position among foreign rules and their exact text', () => {
    const v4 = parseIptablesSave(recorded('live-full.v4.save'));
    expect(v4.hooks).toEqual([
      { hook: 'input', id: 'hook-input', table: 'filter', parent: 'INPUT', position: 0, spec: '-m comment --comment "dockfence:hook-input" -j DF-INPUT', target: 'DF-INPUT' },
      { hook: 'forward', id: 'hook-forward', table: 'filter', parent: 'DOCKER-USER', position: 0, spec: '-m comment --comment "dockfence:hook-forward" -j DF-FORWARD', target: 'DF-FORWARD' },
      { hook: 'prerouting', id: 'hook-prerouting', table: 'nat', parent: 'PREROUTING', position: 0, spec: '-m comment --comment "dockfence:hook-prerouting" -j DF-PREROUTING', target: 'DF-PREROUTING' },
      { hook: 'postrouting', id: 'hook-postrouting', table: 'nat', parent: 'POSTROUTING', position: 0, spec: '-m comment --comment "dockfence:hook-postrouting" -j DF-POSTROUTING', target: 'DF-POSTROUTING' },
    ]);
  });

  it('sees drift: a foreign ACCEPT ahead of our hook, a foreign rule in our chain, a stray chain', () => {
    const v4 = parseIptablesSave(recorded('live-drift.v4.save'));
    expect(v4.hooks.find((h) => h.id === 'hook-forward')?.position).toBe(1);
    const bridge = v4.chains.find((c) => c.name === 'DF-FROM-BRIDGE')!;
    expect(bridge.rules.map((r) => r.tag === undefined)).toEqual([false, true]);
    expect(bridge.rules[1]!.counted).toBe(false);
    expect(v4.chains.find((c) => c.name === 'DF-STALE')?.rules).toEqual([]);
    expect(v4.chains.find((c) => c.name === 'DF-INPUT')?.rules).toHaveLength(7);
  });

  it('combines both families into the shared shape: model chain names, collapsed hashes, hooks', () => {
    const observed = combineFamilies(parseIptablesSave(recorded('live-full.v4.save')), parseIptablesSave(recorded('live-full.v6.save')));
    const desired = fullRuleset(true);
    expect(observed.chains.map((c) => c.name).sort()).toEqual(desired.chains.map((c) => c.name).sort());
    for (const chain of observed.chains) expect(chain.untagged).toBe(0);
    const input = observed.chains.find((c) => c.name === 'input')!;
    expect(input.hook).toBe('input');
    expect(input.ruleHashes).toEqual(hashChainRules(desired.chains.find((c) => c.name === 'input')!));
    expect(observed.chains.find((c) => c.name === 'exceptions')?.hook).toBeUndefined();
    expect(observed.hooks).toEqual({ 'hook-forward': 0, 'hook-input': 0, 'hook-prerouting': 0, 'hook-postrouting': 0 });
    const drift = combineFamilies(parseIptablesSave(recorded('live-drift.v4.save')), parseIptablesSave(recorded('live-drift.v6.save')));
    expect(drift.hooks['hook-forward']).toBe(1);
    expect(drift.chains.find((c) => c.name === 'from-bridge')?.untagged).toBe(1);
  });

  it('ignores tables other than filter and nat', () => {
    const text = '*mangle\n:DF-X - [0:0]\n-A DF-X -j ACCEPT\nCOMMIT\n*raw\n-A PREROUTING -m comment --comment "dockfence:hook-forward" -j DF-X\nCOMMIT\n';
    expect(parseIptablesSave(text)).toEqual({ present: false, chains: [], hooks: [], dockerUser: false });
  });

  it('throws ParseError with the line number on text that is not iptables-save output', () => {
    expect(() => parseIptablesSave('*filter\n-Z what\nCOMMIT\n')).toThrow(ParseError);
    expect(() => parseIptablesSave('*filter\n-Z what\nCOMMIT\n')).toThrow(/line 2/);
    expect(() => parseIptablesSave('-A FORWARD -j ACCEPT\n')).toThrow(/outside a table/);
    expect(() => parseIptablesSave('*filter\n-A FORWARD -j ACCEPT\n')).toThrow(/no COMMIT/);
    expect(() => parseIptablesSave('*filter\n-A INPUT -m comment --comment "open\nCOMMIT\n')).toThrow(/unterminated quote/);
  });
});

describe('tokenize', () => {
  it('splits on whitespace and unquotes "..." with backslash escapes', () => {
    expect(tokenize('-p tcp -m comment --comment "ssh \\"admin\\" access" -j ACCEPT')).toEqual([
      '-p', 'tcp', '-m', 'comment', '--comment', 'ssh "admin" access', '-j', 'ACCEPT',
    ]);
    expect(tokenize('--comment ""  -j X')).toEqual(['--comment', '', '-j', 'X']);
  });
});
