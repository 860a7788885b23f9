// Golden renders of the iptables-restore transactions (testdata/*.restore) and the properties
// render must keep. Regenerate the golden after an intended change:
// UPDATE_GOLDEN=1 npx vitest run src/dataplane/iptables/render.test.ts, then bash testdata/capture.sh.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCEPT_MARK, type Ruleset } from '../../ruleset/model.js';
import { hashChainRules } from '../diff.js';
import { combineFamilies, emptyIptablesObserved, type IptablesObserved } from './observed.js';
import { parseIptablesSave } from './parse.js';
import { renderIptablesRemove, renderIptablesRestore, type RestoreStep } from './render.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const live = (name: string): IptablesObserved =>
  combineFamilies(parseIptablesSave(recorded(`live-${name}.v4.save`)), parseIptablesSave(recorded(`live-${name}.v6.save`)));

function golden(name: string, actual: string): void {
  const path = new URL(`./testdata/${name}`, import.meta.url);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** fullRuleset after a change: a third bridge, chain snat gone, postrouting masquerades itself. */
function changedRuleset(): Ruleset {
  const rs = fullRuleset(true);
  rs.sets = rs.sets.map((s) => (s.name === 'bridges' ? { ...s, elements: [...s.elements, 'br-ffffffffffff'] } : s));
  const snat = rs.chains.find((c) => c.name === 'snat')!;
  rs.chains = rs.chains.filter((c) => c.name !== 'snat');
  rs.chains.find((c) => c.name === 'postrouting')!.rules = snat.rules;
  return rs;
}

const lines = (text: string): string[] => text.split('\n');

/** Each family's steps joined in order: what the restore programs read, one run per step. */
function texts(steps: RestoreStep[]): { v4: string; v6: string } {
  const join = (family: string) => steps.filter((s) => s.family === family).map((s) => s.text).join('');
  return { v4: join('ipv4'), v6: join('ipv6') };
}

describe('renderIptablesRestore', () => {
  it('renders the full ruleset over Docker 20.10 chains as in the golden files', () => {
    const t = texts(renderIptablesRestore(fullRuleset(true), live('docker')));
    golden('full-ruleset.v4.restore', t.v4);
    golden('full-ruleset.v6.restore', t.v6);
  });

  it('re-renders over the live full ruleset: hook rules deleted by their saved text, counters carried, obsolete chains removed', () => {
    const t = texts(renderIptablesRestore(changedRuleset(), live('full')));
    golden('reapply.v4.restore', t.v4);
    golden('reapply.v6.restore', t.v6);
    const v4 = lines(t.v4);
    expect(v4).toContain('-D DOCKER-USER -m comment --comment "dockfence:hook-forward" -j DF-FORWARD');
    expect(v4).toContain('-D INPUT -m comment --comment "dockfence:hook-input" -j DF-INPUT');
    // The delete comes before the insert in the same transaction: never a moment without a hook.
    const del = v4.indexOf('-D DOCKER-USER -m comment --comment "dockfence:hook-forward" -j DF-FORWARD');
    expect(del).toBeLessThan(v4.indexOf('-I DOCKER-USER 1 -m comment --comment "dockfence:hook-forward" -j DF-FORWARD'));
    expect(v4).toEqual(expect.arrayContaining(['-F DF-SNAT', '-X DF-SNAT', '-F DF-N20ce8bad', '-X DF-N20ce8bad']));
    expect(v4.indexOf('-F DF-SNAT')).toBeLessThan(v4.indexOf('-X DF-SNAT'));
    expect(v4.some((l) => /^\[[1-9]\d*:[1-9]\d*\] -A DF-INPUT /.test(l))).toBe(true);
  });

  it('hooks forward from DOCKER-USER only where Docker manages iptables and the chain exists', () => {
    const withDocker = texts(renderIptablesRestore(fullRuleset(true), live('docker')));
    expect(withDocker.v4).toContain('-I DOCKER-USER 1 -m comment --comment "dockfence:hook-forward" -j DF-FORWARD\n');
    expect(withDocker.v6).toContain('-I FORWARD 1 -m comment --comment "dockfence:hook-forward" -j DF-FORWARD\n');
    const without = texts(renderIptablesRestore(fullRuleset(false), live('docker')));
    expect(without.v4).toContain('-I FORWARD 1 -m comment --comment "dockfence:hook-forward" -j DF-FORWARD\n');
    expect(without.v4).not.toContain('DOCKER-USER');
  });

  it('never declares, flushes or deletes a chain it does not own', () => {
    for (const steps of [renderIptablesRestore(changedRuleset(), live('full')), renderIptablesRemove(live('full'))]) {
      for (const line of lines(steps.map((s) => s.text).join(''))) {
        const m = /^(?::(\S+)|-[FXNZP] (\S+))/.exec(line);
        if (m) expect(m[1] ?? m[2]).toMatch(/^DF-/);
        if (/^(?:\[\d+:\d+\] )?-[ADI] /.test(line) && !/^(?:\[\d+:\d+\] )?-A DF-/.test(line)) expect(line).toContain('"dockfence:hook-');
      }
    }
  });

  it('tags every kernel rule with its abstract rule hash', () => {
    const all = renderIptablesRestore(fullRuleset(true), emptyIptablesObserved()).map((s) => s.text).join('');
    const tags = new Set([...all.matchAll(/"dockfence:([0-9a-f]{16})\/[0-9a-f]{8}[^"]*"/g)].map((m) => m[1]));
    const expected = fullRuleset(true).chains.flatMap((c) => hashChainRules(c));
    // Rules that cannot match anywhere (empty list, empty dispatch) have no kernel rule.
    expect(expected.filter((h) => !tags.has(h))).toHaveLength(2);
    expect([...tags].every((t) => expected.includes(t!))).toBe(true);
    for (const line of lines(all).filter((l) => l.startsWith('-A '))) expect(line).toMatch(/--comment "dockfence:/);
  });

  it('is deterministic: same input, byte-identical text', () => {
    const copy = JSON.parse(JSON.stringify(fullRuleset(true))) as Ruleset;
    expect(renderIptablesRestore(copy, live('docker'))).toEqual(renderIptablesRestore(fullRuleset(true), live('docker')));
  });

  it('renders nothing when nothing is desired and nothing of ours is live', () => {
    const empty: Ruleset = { sets: [], chains: [], acceptMark: ACCEPT_MARK, dockerIptables: true };
    expect(renderIptablesRestore(empty, live('docker'))).toEqual([]);
  });

  it('with nothing desired, deletes everything of ours that is live', () => {
    const empty: Ruleset = { sets: [], chains: [], acceptMark: ACCEPT_MARK, dockerIptables: true };
    const t = texts(renderIptablesRestore(empty, live('full')));
    expect(t.v4).toContain('-X DF-FORWARD');
    expect(t.v4).toContain('-D DOCKER-USER -m comment --comment "dockfence:hook-forward" -j DF-FORWARD');
    expect(t.v4).not.toMatch(/^-[AI] /m);
  });
});

describe('renderIptablesRemove', () => {
  it('deletes our hooks, then flushes and deletes our chains, one step per table, nat before filter', () => {
    const steps = renderIptablesRemove(live('full'));
    expect(steps.map((s) => `${s.family} ${s.table}`)).toEqual(['ipv4 nat', 'ipv4 filter', 'ipv6 nat', 'ipv6 filter']);
    const t = texts(steps);
    golden('remove.v4.restore', t.v4);
    expect(t.v6).toContain('-D FORWARD -m comment --comment "dockfence:hook-forward" -j DF-FORWARD');
    expect(renderIptablesRemove(live('docker'))).toEqual([]);
  });
});
