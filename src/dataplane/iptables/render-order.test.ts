// The order of render's restore steps, over the recorded live full ruleset: publishing a port
// adds its filter accept before its DNAT, withdrawing one removes the DNAT before the accept,
// moving one does both; a table already in its desired state gets no step.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Rule, Ruleset } from '../../ruleset/model.js';
import { combineFamilies, type IptablesObserved } from './observed.js';
import { parseIptablesSave } from './parse.js';
import { planIptables } from './plan.js';
import { renderIptablesRestore, type RestoreStep } from './render.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const live = (name: string): IptablesObserved =>
  combineFamilies(parseIptablesSave(recorded(`live-${name}.v4.save`)), parseIptablesSave(recorded(`live-${name}.v6.save`)));

const order = (steps: RestoreStep[]): string[] => steps.map((s) => `${s.family} ${s.table}`);
/** `tag/digest` of every rule a step adds. */
const added = (text: string): string[] => [...text.matchAll(/^(?:\[\d+:\d+\] )?-A \S+ .*--comment "dockfence:([0-9a-f]{16}\/[0-9a-f]{8})/gm)].map((m) => m[1]!);
/** `tag/digest` of every rule of ours in a recorded iptables-save table. */
const liveKeys = (save: string, table: string): string[] => {
  const section = save.split(/^\*/m).find((s) => s.startsWith(`${table}\n`)) ?? '';
  return added(section);
};

const ACCEPT_SSH: Rule = {
  match: { daddr: { family: 'ipv4', cidrs: ['172.19.0.3'] }, protocol: 'tcp', dports: [{ from: 22, to: 22 }] },
  verdict: { kind: 'markAccept' },
  counter: { metric: 'exception', kind: 'ExposeRule', name: 'ssh' },
  origin: 'ExposeRule/ssh',
};
const DNAT_SSH: Rule = {
  match: { family: 'ipv4', daddrLocal: true, protocol: 'tcp', dports: [{ from: 2222, to: 2222 }] },
  verdict: { kind: 'dnat', family: 'ipv4', address: '172.19.0.3', port: 22 },
  origin: 'ExposeRule/ssh',
};

/** fullRuleset(true) edited chain by chain. */
function edit(change: Partial<Record<string, (rules: Rule[]) => Rule[]>>): Ruleset {
  const rs = fullRuleset(true);
  rs.chains = rs.chains.map((c) => (change[c.name] ? { ...c, rules: change[c.name]!(c.rules) } : c));
  return rs;
}
const isAppWeb = (r: Rule): boolean => r.origin === 'ExposeRule/app2-web';

describe('renderIptablesRestore step order', () => {
  it('renders no step when every table already holds the desired ruleset', () => {
    expect(planIptables(fullRuleset(true), live('full')).differences).toEqual([]);
    expect(renderIptablesRestore(fullRuleset(true), live('full'))).toEqual([]);
  });

  it('publishing a port: nat untouched first, then filter with the accept, then nat with the DNAT', () => {
    const desired = edit({ exceptions: (rules) => [...rules, ACCEPT_SSH], prerouting: (rules) => [...rules, DNAT_SSH] });
    const steps = renderIptablesRestore(desired, live('full'));
    expect(order(steps)).toEqual(['ipv4 filter', 'ipv4 nat']);
    const [filter, nat] = steps as [RestoreStep, RestoreStep];
    expect(filter.text).toMatch(/^-A DF-EXCEPTIONS -d 172\.19\.0\.3 -p tcp -m tcp --dport 22 .*ExposeRule\/ssh" -j ACCEPT$/m);
    expect(filter.text).not.toContain('-j DNAT');
    expect(nat.text).toMatch(/^-A DF-PREROUTING -p tcp -m tcp --dport 2222 .* -j DNAT --to-destination 172\.19\.0\.3:22$/m);
  });

  it('withdrawing a port: nat without its DNAT first, then filter without the accept, no third step', () => {
    const desired = edit({ forward: (rules) => rules.filter((r) => !isAppWeb(r)), prerouting: (rules) => rules.filter((r) => !isAppWeb(r)) });
    const steps = renderIptablesRestore(desired, live('full'));
    // ipv6: the accept (no family) goes too, its nat had no DNAT of app2-web.
    expect(order(steps)).toEqual(['ipv4 nat', 'ipv4 filter', 'ipv6 filter']);
    const [nat, filter] = steps as [RestoreStep, RestoreStep];
    expect(nat.text).not.toContain('--dport 443');
    expect(nat.text).toMatch(/--dport 8080 .* -j DNAT --to-destination 172\.19\.0\.2$/m);
    expect(filter.text).not.toContain('--ctstate DNAT');
  });

  it('moving a published port to another container: old DNAT out, filter, new DNAT in', () => {
    const moved = (rules: Rule[]) =>
      rules.map((r) => (isAppWeb(r) && r.verdict.kind === 'dnat' ? { ...r, verdict: { ...r.verdict, address: '172.19.0.9' } } : r));
    const desired = edit({ prerouting: moved, exceptions: (rules) => [...rules, { ...ACCEPT_SSH, match: { ...ACCEPT_SSH.match, daddr: { family: 'ipv4', cidrs: ['172.19.0.9'] } } }] });
    const steps = renderIptablesRestore(desired, live('full'));
    expect(order(steps)).toEqual(['ipv4 nat', 'ipv4 filter', 'ipv4 nat']);
    expect(steps[0]!.text).not.toContain('172.19.0.9');
    expect(steps[0]!.text).not.toContain('--dport 443');
    expect(steps[1]!.text).toContain('-d 172.19.0.9 ');
    expect(steps[2]!.text).toMatch(/--dport 443 .* -j DNAT --to-destination 172\.19\.0\.9:443$/m);
  });

  it('the first nat step only keeps rules both live and desired; the last writes exactly the desired nat', () => {
    const desired = edit({ prerouting: (rules) => [...rules.filter((r) => !isAppWeb(r)), DNAT_SSH], exceptions: (rules) => [...rules, ACCEPT_SSH] });
    const steps = renderIptablesRestore(desired, live('full')).filter((s) => s.family === 'ipv4');
    const natSteps = steps.filter((s) => s.table === 'nat');
    expect(natSteps).toHaveLength(2);
    const before = liveKeys(recorded('live-full.v4.save'), 'nat');
    const after = added(natSteps[1]!.text);
    for (const key of added(natSteps[0]!.text)) {
      expect(before).toContain(key);
      expect(after).toContain(key);
    }
    expect(added(natSteps[0]!.text).length).toBeLessThan(before.length);
    // Step 3 deletes the hooks step 1 re-inserted, by the text iptables-save prints for them.
    expect(natSteps[1]!.text).toContain('-D PREROUTING -m comment --comment "dockfence:hook-prerouting" -j DF-PREROUTING\n');
  });

  it('rewrites a table whose hook lost first place even when its chains are unchanged', () => {
    const steps = renderIptablesRestore(fullRuleset(true), live('drift'));
    expect(order(steps)).toEqual(['ipv4 filter']);
    expect(planIptables(fullRuleset(true), live('drift')).differences).not.toEqual([]);
  });

  it('renders steps exactly when plan sees differences', () => {
    const cases: Array<[Ruleset, string]> = [
      [fullRuleset(true), 'full'],
      [fullRuleset(false), 'full'],
      [fullRuleset(true), 'docker'],
      [fullRuleset(true), 'drift'],
      [edit({ prerouting: (rules) => rules.slice(1) }), 'full'],
    ];
    for (const [desired, name] of cases) {
      const steps = renderIptablesRestore(desired, live(name));
      expect(steps.length > 0).toBe(planIptables(desired, live(name)).differences.length > 0);
      for (const step of steps) expect(step.text.match(/^(\*\w+|COMMIT)$/gm)).toEqual([`*${step.table}`, 'COMMIT']);
    }
  });
});
