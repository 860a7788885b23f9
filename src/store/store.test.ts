// The lowdb store: versions, generations, status apart, history/rollback, events, durability, corrupt files.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, ConflictError, GoneError, InvalidError, NotFoundError } from '../lib/errors.js';
import type { AnyResource, IsolationPolicy } from '../resources/types.js';
import { Store, type StoreEvent } from './store.js';

let dir: string;
let path: string;
let clock: number;
const now = (): Date => new Date(Date.UTC(2025, 0, 1, 0, 0, clock++));
let uid = 0;
const open = (): Promise<Store> => Store.open(path, { now, newUid: () => `uid-${++uid}` });

function policy(name: string, mode: 'Enforce' | 'Audit' = 'Enforce', labels?: Record<string, string>): IsolationPolicy {
  return {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'IsolationPolicy',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { networks: { names: ['int-app1'] }, mode },
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-store-'));
  path = join(dir, 'sub', 'db.json');
  clock = 0;
  uid = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Store', () => {
  it('creates with uid, resourceVersion, generation and creationTimestamp, durable on disk', async () => {
    const store = await open();
    const created = await store.create(policy('a'));
    expect(created.metadata).toMatchObject({ name: 'a', uid: 'uid-1', resourceVersion: '1', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z' });
    const reopened = await open();
    expect(await reopened.get('IsolationPolicy', 'a')).toEqual(created);
    expect(reopened.currentResourceVersion()).toBe('1');
  });

  it('refuses a duplicate name', async () => {
    const store = await open();
    await store.create(policy('a'));
    await expect(store.create(policy('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('bumps generation only when spec changes, resourceVersion on every change', async () => {
    const store = await open();
    const v1 = await store.create(policy('a'));
    const labelled = await store.replace({ ...v1, metadata: { ...v1.metadata, labels: { team: 'x' } } });
    expect(labelled.metadata).toMatchObject({ generation: 1, resourceVersion: '2', labels: { team: 'x' } });
    const edited = await store.replace({ ...labelled, spec: { ...labelled.spec, mode: 'Audit' } } as AnyResource);
    expect(edited.metadata).toMatchObject({ generation: 2, resourceVersion: '3', uid: 'uid-1' });
  });

  it('treats an unchanged replace as a no-op', async () => {
    const store = await open();
    const events: StoreEvent[] = [];
    const v1 = await store.create(policy('a'));
    store.subscribe((e) => events.push(e));
    const same = await store.replace(v1);
    expect(same.metadata.resourceVersion).toBe('1');
    expect(events).toEqual([]);
  });

  it('rejects a stale or missing resourceVersion', async () => {
    const store = await open();
    const v1 = await store.create(policy('a'));
    await store.replace({ ...v1, spec: { ...v1.spec, mode: 'Audit' } } as AnyResource);
    await expect(store.replace(v1)).rejects.toBeInstanceOf(ConflictError);
    const noRv = { ...v1, metadata: { ...v1.metadata, resourceVersion: undefined } };
    await expect(store.replace(noRv)).rejects.toBeInstanceOf(InvalidError);
  });

  it('dry runs store nothing and emit nothing', async () => {
    const store = await open();
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    const result = await store.create(policy('a'), { dryRun: true });
    expect(result.metadata.name).toBe('a');
    await expect(store.get('IsolationPolicy', 'a')).rejects.toBeInstanceOf(NotFoundError);
    expect(events).toEqual([]);
    expect(store.currentResourceVersion()).toBe('0');
  });

  it('updateStatus bumps resourceVersion, never generation, and skips equal statuses', async () => {
    const store = await open();
    const events: StoreEvent[] = [];
    await store.create(policy('a'));
    store.subscribe((e) => events.push(e));
    const status = { observedGeneration: 1, matchedNetworks: ['int-app1'] };
    const s1 = await store.updateStatus('IsolationPolicy', 'a', status);
    expect(s1.metadata).toMatchObject({ resourceVersion: '2', generation: 1 });
    expect(s1.status).toEqual(status);
    const s2 = await store.updateStatus('IsolationPolicy', 'a', { ...status });
    expect(s2.metadata.resourceVersion).toBe('2');
    expect(events.map((e) => e.type)).toEqual(['MODIFIED']);
    // replace never touches status
    const replaced = await store.replace({ ...s1, status: { observedGeneration: 99 }, spec: { networks: {} } } as AnyResource);
    expect(replaced.status).toEqual(status);
    const raw = JSON.parse(await readFile(path, 'utf8'));
    expect(raw.statuses['IsolationPolicy/a']).toEqual(status);
    expect(raw.objects['IsolationPolicy/a'].status).toBeUndefined();
  });

  it('keeps the last 10 generations and rolls back to one of them', async () => {
    const store = await open();
    let obj = await store.create(policy('a'));
    for (let i = 1; i <= 11; i++) {
      obj = await store.replace({ ...obj, spec: { networks: { names: [`n${i}`] } } } as AnyResource);
    }
    const history = store.history('IsolationPolicy', 'a');
    expect(history.map((h) => h.generation)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(history[0]).toMatchObject({ spec: { networks: { names: ['n2'] } }, resourceVersion: '3' });
    const rolled = await store.rollback('IsolationPolicy', 'a', 4);
    expect(rolled.spec).toEqual({ networks: { names: ['n3'] } });
    expect(rolled.metadata.generation).toBe(13);
    await expect(store.rollback('IsolationPolicy', 'a', 1)).rejects.toThrow(/generation 1 .* not in its history/);
  });

  it('deletes, emitting DELETED with the deletion resourceVersion, and keeps history', async () => {
    const store = await open();
    await store.create(policy('a'));
    const events: StoreEvent[] = [];
    store.subscribe((e) => events.push(e));
    const deleted = await store.delete('IsolationPolicy', 'a');
    expect(deleted.metadata.resourceVersion).toBe('2');
    expect(events).toMatchObject([{ type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '2' } } }]);
    expect(await store.list('IsolationPolicy')).toEqual([]);
    expect(store.history('IsolationPolicy', 'a')).toHaveLength(1);
    await expect(store.delete('IsolationPolicy', 'a')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('resumes events from a resourceVersion and answers Gone when too old', async () => {
    const store = await Store.open(path, { eventWindow: 2 });
    await store.create(policy('a'));
    await store.create(policy('b'));
    await store.create(policy('c'));
    expect(store.eventsSince('1').map((e) => e.object.metadata.name)).toEqual(['b', 'c']);
    expect(store.eventsSince('3')).toEqual([]);
    expect(() => store.eventsSince('0')).toThrow(GoneError);
    const reopened = await Store.open(path);
    expect(() => reopened.eventsSince('2')).toThrow(GoneError);
    expect(reopened.eventsSince('3')).toEqual([]);
    expect(() => reopened.eventsSince('4')).toThrow(/too large resource version/);
    expect(() => reopened.eventsSince('x')).toThrow(/invalid resourceVersion/);
  });

  it('serializes concurrent writes with consecutive resourceVersions', async () => {
    const store = await open();
    const names = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const created = await Promise.all(names.map((n) => store.create(policy(n))));
    expect(created.map((c) => Number(c.metadata.resourceVersion)).sort((a, b) => a - b)).toEqual(names.map((_, i) => i + 1));
    expect((await open()).listNow('IsolationPolicy')).toHaveLength(20);
  });

  it('refuses a corrupt or foreign file with one line naming it, and leaves it untouched', async () => {
    await open();
    for (const content of ['{"format": "dockfence-store/v1", "resourceVer', '', '[1,2]', '{"format":"other"}']) {
      await writeFile(path, content);
      const err = await open().then(() => undefined, (e: Error) => e);
      expect(err?.message).toContain(path);
      expect(err?.message).not.toContain('\n');
      expect(await readFile(path, 'utf8')).toBe(content);
    }
  });
});
