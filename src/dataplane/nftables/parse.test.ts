// Parsing recorded `nft -j list table inet dockfence` output (testdata/live-*.json, captured from
// real nft 1.0.6 in a network namespace by testdata/capture.sh) back into what we own.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../lib/errors.js';
import { hashChainRules } from '../diff.js';
import { NftablesBackend } from './backend.js';
import { elementText, parseNftablesCounters, parseNftablesJson } from './parse.js';
import { counterRuleset } from './testdata/counter-ruleset.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const backend = new NftablesBackend({ exec: () => Promise.reject(new Error('no exec in unit tests')) });
/** Live state as observe() would report it with our DOCKER-USER rule first. */
const withHook = (text: string) => ({ ...parseNftablesJson(text), hooks: { 'docker-user': 0 }, dockerUserMark: fullRuleset.acceptMark });

describe('parseNftablesJson', () => {
  it('reads back the applied full ruleset: every chain, hook, rule hash and set element', () => {
    const observed = parseNftablesJson(recorded('live-full.json'));
    expect(observed.present).toBe(true);
    expect(observed.chains.map((c) => [c.name, c.hook])).toEqual(fullRuleset.chains.map((c) => [c.name, c.hook]));
    for (const chain of fullRuleset.chains) {
      const live = observed.chains.find((c) => c.name === chain.name);
      expect(live?.ruleHashes).toEqual(hashChainRules(chain));
      expect(live?.untagged).toBe(0);
    }
    expect(observed.sets.find((s) => s.name === 'protected6')?.elements).toEqual(['fd10::/64', 'fd11::7']);
    expect(observed.sets.find((s) => s.name === 'bridges')?.elements).toEqual(['br-0a1b2c3d4e5f', 'docker0']);
    expect(observed.sets.find((s) => s.name === 'empty6')?.elements).toEqual([]);
    expect(backend.plan(fullRuleset, withHook(recorded('live-full.json'))).differences).toEqual([]);
  });

  it('sees hand edits: foreign rules, extra element, changed policy, extra chain', () => {
    const observed = parseNftablesJson(recorded('live-drift.json'));
    const chain = (name: string) => observed.chains.find((c) => c.name === name);
    expect(chain('forward')?.untagged).toBe(1);
    expect(chain('forward')?.hook).toBe('forward[policy drop]');
    expect(chain('from-int-app1')?.untagged).toBe(1);
    expect(chain('extra')).toEqual({ name: 'extra', ruleHashes: [], untagged: 0 });
    expect(observed.sets.find((s) => s.name === 'protected4')?.elements).toEqual(['10.10.10.0/24', '10.99.0.0/16', '192.168.5.7']);
    const { differences } = backend.plan(fullRuleset, withHook(recorded('live-drift.json')));
    expect(differences).toEqual(
      expect.arrayContaining([
        'chain forward hook forward[policy drop] != forward',
        'chain forward has 1 foreign rule(s)',
        'chain from-int-app1 has 1 foreign rule(s)',
        'chain extra not desired',
        'set protected4 elements differ',
      ]),
    );
  });

  it('flags a table made dormant by hand even though nft 1.0.6 prints its flags as garbage', () => {
    const observed = parseNftablesJson(recorded('live-dormant.json'));
    expect(observed.tableFlags).toBe(true);
    expect(backend.plan(fullRuleset, withHook(recorded('live-dormant.json'))).differences).toContain(
      'table inet dockfence has flags (e.g. dormant)',
    );
  });

  it('reports present:false for a document without our table and ignores other tables', () => {
    const other = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { table: { family: 'ip', name: 'filter', handle: 1 } },
        { chain: { family: 'ip', table: 'filter', name: 'DOCKER-USER', handle: 1 } },
        { table: { family: 'ip', name: 'dockfence', handle: 2 } },
      ],
    });
    expect(parseNftablesJson(other)).toEqual({ present: false, chains: [], sets: [], hooks: {} });
  });

  it('is lenient: unknown fields and objects are ignored, other named objects are reported', () => {
    const text = JSON.stringify({
      nftables: [
        { table: { family: 'inet', name: 'dockfence', handle: 1, future: { x: 1 } } },
        { chain: { family: 'inet', table: 'dockfence', name: 'c', handle: 1, newfield: true } },
        { rule: { family: 'inet', table: 'dockfence', chain: 'c', comment: 'dockfence:0123456789abcdef x', expr: 'odd' } },
        { rule: { family: 'inet', table: 'dockfence', chain: 'c', comment: 'dockfence:not-a-hash' } },
        { counter: { family: 'inet', table: 'dockfence', name: 'cnt', packets: 1 } },
        { somethingNew: { family: 'inet', table: 'dockfence' } },
        'junk',
      ],
    });
    const observed = parseNftablesJson(text);
    expect(observed.chains).toEqual([{ name: 'c', ruleHashes: ['0123456789abcdef'], untagged: 1 }]);
    expect(observed.sets.map((s) => s.name)).toEqual(['counter:cnt', 'somethingNew:']);
    expect(observed.tableFlags).toBeUndefined();
  });

  it('throws ParseError for text that is not nft JSON', () => {
    expect(() => parseNftablesJson('Error: something')).toThrow(ParseError);
    expect(() => parseNftablesJson('{"tables": []}')).toThrow(ParseError);
  });
});

describe('elementText', () => {
  it('normalizes the element shapes nft prints', () => {
    expect(elementText('10.0.0.1')).toBe('10.0.0.1');
    expect(elementText({ prefix: { addr: '10.0.0.0', len: 8 } })).toBe('10.0.0.0/8');
    expect(elementText({ range: ['10.0.0.1', '10.0.0.9'] })).toBe('10.0.0.1-10.0.0.9');
    expect(elementText({ elem: { val: { prefix: { addr: 'FD00:0:0::', len: 64 } }, counter: { packets: 1 } } })).toBe('fd00::/64');
    expect(elementText({ concat: ['br-a', 'br-b'] })).toBe('br-a . br-b');
    expect(elementText(80)).toBe('80');
  });
});

describe('parseNftablesCounters', () => {
  it('returns each tagged rule counter by chain and hash', () => {
    const counters = parseNftablesCounters(recorded('live-counters.json'));
    const [icmp, tcp] = hashChainRules(counterRuleset.chains[0]!);
    expect(counters.rules.get('input')?.get(icmp!)).toEqual({ packets: 4, bytes: 336 });
    expect(counters.rules.get('input')?.get(tcp!)).toEqual({ packets: 0, bytes: 0 });
  });
});
