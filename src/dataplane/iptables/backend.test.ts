// IptablesBackend, the shell, with a fake Exec that answers from recorded iptables-save output:
// which programs run with which arguments and input, retries, and the errors it throws.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApplyError, ExecError, ParseError } from '../../lib/errors.js';
import type { Exec, ExecResult } from '../../lib/exec.js';
import { IptablesBackend } from './backend.js';
import { combineFamilies } from './observed.js';
import { parseIptablesSave } from './parse.js';
import { renderIptablesRemove, renderIptablesRestore } from './render.js';
import { fullRuleset } from './testdata/full-ruleset.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

interface Call {
  command: string;
  args: readonly string[];
  input?: string;
}

/** A fake kernel: save programs print `live`; restore programs exit with the next queued code. */
function fakeExec(live: { v4: string; v6: string }, restoreExits: number[] = []): { exec: Exec; calls: Call[] } {
  const calls: Call[] = [];
  const exec: Exec = async (command, args, options) => {
    calls.push({ command, args, ...(options?.input !== undefined ? { input: options.input } : {}) });
    const ok = (stdout: string): ExecResult => ({ stdout, stderr: '', exitCode: 0 });
    if (command.endsWith('ip6tables-save')) return ok(live.v6);
    if (command.endsWith('iptables-save')) return ok(live.v4);
    const exitCode = restoreExits.shift() ?? 0;
    return { stdout: '', stderr: exitCode ? 'iptables-restore: line 3 failed' : '', exitCode };
  };
  return { exec, calls };
}

const docker = { v4: recorded('live-docker.v4.save'), v6: recorded('live-docker.v6.save') };
const full = { v4: recorded('live-full.v4.save'), v6: recorded('live-full.v6.save') };
const observedOf = (live: { v4: string; v6: string }) => combineFamilies(parseIptablesSave(live.v4), parseIptablesSave(live.v6));

describe('IptablesBackend', () => {
  it('observes both families with -c and plans nothing for the applied ruleset', async () => {
    const { exec, calls } = fakeExec(full);
    const backend = new IptablesBackend({ exec });
    const observed = await backend.observe();
    expect(calls.map((c) => [c.command, ...c.args])).toEqual([
      ['iptables-save', '-c'],
      ['ip6tables-save', '-c'],
    ]);
    expect(backend.plan(fullRuleset(true), observed).differences).toEqual([]);
    expect(backend.name).toBe('iptables');
  });

  it('runs one restore per step, in render order, each rendered from a fresh observation', async () => {
    const { exec, calls } = fakeExec(docker);
    await new IptablesBackend({ exec, binaries: { restore: '/usr/sbin/iptables-nft-restore' } }).apply(fullRuleset(true));
    const restores = calls.filter((c) => c.command.includes('restore'));
    const steps = renderIptablesRestore(fullRuleset(true), observedOf(docker));
    const args = ['-w', '5', '--noflush', '--counters'];
    expect(restores).toEqual(
      steps.map((s) => ({ command: s.family === 'ipv4' ? '/usr/sbin/iptables-nft-restore' : 'ip6tables-restore', args, input: s.text })),
    );
    // Nothing of ours in nat yet: no withdrawal step; filter before nat in each family.
    expect(steps.map((s) => `${s.family} ${s.table}`)).toEqual(['ipv4 filter', 'ipv4 nat', 'ipv6 filter', 'ipv6 nat']);
  });

  it('stops at the first failed step: later steps never run on top of a failed one', async () => {
    const { exec, calls } = fakeExec(docker, [1]);
    await new IptablesBackend({ exec, retries: 0 }).apply(fullRuleset(true)).catch(() => undefined);
    expect(calls.map((c) => c.command)).toEqual(['iptables-save', 'ip6tables-save', 'iptables-restore']);
  });

  it('re-observes and retries a failed restore, then succeeds', async () => {
    const { exec, calls } = fakeExec(docker, [4]);
    await new IptablesBackend({ exec, retryDelayMs: 0 }).apply(fullRuleset(true));
    expect(calls.map((c) => c.command)).toEqual([
      'iptables-save', 'ip6tables-save', 'iptables-restore',
      'iptables-save', 'ip6tables-save', 'iptables-restore', 'iptables-restore', 'ip6tables-restore', 'ip6tables-restore',
    ]);
  });

  it('throws ApplyError with exit code, stderr and input once retries are spent', async () => {
    const { exec, calls } = fakeExec(docker, [0, 0, 0, 1, 0, 0, 0, 1]);
    const error = await new IptablesBackend({ exec, retries: 1, retryDelayMs: 0 }).apply(fullRuleset(true)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplyError);
    const details = (error as ApplyError).details;
    expect(details).toMatchObject({ command: 'ip6tables-restore -w 5 --noflush --counters', exitCode: 1, stderr: 'iptables-restore: line 3 failed' });
    expect(details.input).toMatch(/^\*nat\n:DF-PREROUTING - \[0:0\]/);
    expect(calls.filter((c) => c.command.includes('restore'))).toHaveLength(8);
  });

  it('removes our hooks and chains in both families, and does nothing when nothing is ours', async () => {
    const live = fakeExec(full);
    await new IptablesBackend({ exec: live.exec }).remove();
    const expected = renderIptablesRemove(observedOf(full));
    expect(live.calls.filter((c) => c.command.includes('restore')).map((c) => c.input)).toEqual(expected.map((s) => s.text));
    expect(live.calls.filter((c) => c.command.includes('restore')).map((c) => c.command)).toEqual([
      'iptables-restore', 'iptables-restore', 'ip6tables-restore', 'ip6tables-restore',
    ]);
    const clean = fakeExec(docker);
    await new IptablesBackend({ exec: clean.exec }).remove();
    expect(clean.calls.map((c) => c.command)).toEqual(['iptables-save', 'ip6tables-save']);
  });

  it('reads counters from the live state', async () => {
    const { exec } = fakeExec(full);
    const samples = await new IptablesBackend({ exec }).readCounters(fullRuleset(true));
    expect(samples.find((s) => s.labels.metric === 'dropped' && s.labels.reason === 'host')?.packets).toBe(2);
  });

  it('throws ExecError when a save program fails or cannot start, ParseError on garbage', async () => {
    const failing: Exec = async () => ({ stdout: '', stderr: 'iptables-save: permission denied', exitCode: 1 });
    await expect(new IptablesBackend({ exec: failing }).observe()).rejects.toThrow(ExecError);
    await expect(new IptablesBackend({ exec: failing }).observe()).rejects.toThrow(/permission denied/);
    const missing: Exec = async () => Promise.reject(new Error('spawn iptables-save ENOENT'));
    await expect(new IptablesBackend({ exec: missing }).observe()).rejects.toThrow(ExecError);
    const garbage: Exec = async () => ({ stdout: 'hello\n', stderr: '', exitCode: 0 });
    await expect(new IptablesBackend({ exec: garbage }).observe()).rejects.toThrow(ParseError);
  });
});
