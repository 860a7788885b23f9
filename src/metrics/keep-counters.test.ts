import { describe, expect, it } from 'vitest';
import { labSnapshot } from '../compiler/testdata/lab.js';
import { compile } from '../compiler/compile.js';
import { FakeBackend } from '../dataplane/fake.js';
import { keepCountersAcrossApply } from './keep-counters.js';

function recording() {
  const calls: string[] = [];
  const metrics = {
    async applyKeepingCounters<T>(apply: () => Promise<T>): Promise<T> {
      calls.push('before');
      try {
        return await apply();
      } finally {
        calls.push('after');
      }
    },
  };
  return { calls, metrics };
}

describe('keepCountersAcrossApply', () => {
  const { ruleset } = compile(labSnapshot());

  it('brackets apply and remove with counter reads and passes everything else through', async () => {
    const inner = new FakeBackend();
    const { calls, metrics } = recording();
    const backend = keepCountersAcrossApply(inner, metrics);
    expect(backend.name).toBe('nftables');
    await backend.apply(ruleset);
    expect(inner.applies).toBe(1);
    expect(backend.plan(ruleset, await backend.observe()).differences).toEqual([]);
    inner.packetsPerRule = 2;
    expect((await backend.readCounters(ruleset)).every((s) => s.packets === 2)).toBe(true);
    await backend.remove();
    expect(inner.removes).toBe(1);
    expect(calls).toEqual(['before', 'after', 'before', 'after']);
  });

  it('propagates a failed apply', async () => {
    const inner = new FakeBackend();
    inner.failNextApply = 'nft: Error: Could not process rule';
    const { calls, metrics } = recording();
    await expect(keepCountersAcrossApply(inner, metrics).apply(ruleset)).rejects.toThrow('Could not process rule');
    expect(calls).toEqual(['before', 'after']);
  });
});
