import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

const fast = { debounceMs: 5, baseBackoffMs: 5, maxBackoffMs: 20 };

describe('WorkQueue', () => {
  it('merges a burst of duplicate keys into one run', async () => {
    const runs: string[] = [];
    const q = new WorkQueue<string>(async (k) => {
      runs.push(k);
      return {};
    }, fast);
    for (let i = 0; i < 50; i++) q.add('host');
    await new Promise((r) => setTimeout(r, 30));
    await q.idle();
    expect(runs).toEqual(['host']);
    await q.stop();
  });

  it('runs again when a key is added while its run is in flight', async () => {
    const runs: number[] = [];
    let release!: () => void;
    const q = new WorkQueue<string>(async () => {
      runs.push(runs.length);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
      return {};
    }, fast);
    q.add('host');
    await new Promise((r) => setTimeout(r, 15));
    q.add('host');
    q.add('host');
    release();
    await new Promise((r) => setTimeout(r, 30));
    await q.idle();
    expect(runs).toEqual([0, 1]);
    await q.stop();
  });

  it('retries a failing run with backoff until it succeeds, reporting each error', async () => {
    let attempts = 0;
    const errors: unknown[] = [];
    const q = new WorkQueue<string>(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`boom ${attempts}`);
        return {};
      },
      fast,
      (_k, e) => errors.push(e),
    );
    q.add('host');
    await new Promise((r) => setTimeout(r, 100));
    expect(attempts).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom 1', 'boom 2']);
    await q.stop();
  });

  it('stop waits for the run in flight, and nothing runs after it', async () => {
    const events: string[] = [];
    let release!: () => void;
    const q = new WorkQueue<string>(async () => {
      events.push('start');
      await new Promise<void>((r) => (release = r));
      events.push('end');
      return {};
    }, fast);
    q.add('host');
    await new Promise((r) => setTimeout(r, 15));
    const stopped = q.stop().then(() => events.push('stopped'));
    q.add('host');
    release();
    await stopped;
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['start', 'end', 'stopped']);
  });

  it('does nothing after stop', async () => {
    let runs = 0;
    const q = new WorkQueue<string>(async () => {
      runs++;
      return {};
    }, fast);
    await q.stop();
    q.add('host');
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(0);
  });
});
