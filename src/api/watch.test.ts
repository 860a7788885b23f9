// Watch streams over a real loopback socket: initial state, resume, 410, timeout, bookmarks, selectors, Tables.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IsolationPolicy } from '../resources/types.js';
import { Store } from '../store/store.js';
import { createApiApp } from './app.js';
import { startApiServer, type RunningServer } from './server.js';

const URL = '/apis/dockfence.io/v1alpha1/isolationpolicies';
let dir: string;
let store: Store;
let server: RunningServer;

const policy = (name: string, labels?: Record<string, string>): IsolationPolicy => ({
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'IsolationPolicy',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { networks: {} },
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-watch-'));
  store = await Store.open(join(dir, 'db.json'), { eventWindow: 3 });
  const app = createApiApp({ store, log: () => undefined, bookmarkIntervalMs: 50 });
  server = await startApiServer({ app, listen: '127.0.0.1:0' });
});
afterEach(async () => {
  await server.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

interface WireEvent {
  type: string;
  object: { kind?: string; metadata: { name?: string; resourceVersion?: string }; code?: number; reason?: string; rows?: unknown[] };
}

/**
 * Open a watch; resolves once the response headers arrived, which the server sends only after it
 * subscribed to the store, so changes made afterwards are seen.
 */
async function openWatch(query: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${server.url}${URL}?${query}`, { signal: controller.signal, headers });
  const reader = res.body!.getReader();
  const events: WireEvent[] = [];
  let buffer = '';
  /** Read events until `until` holds or the stream ends; then drop the connection. */
  const read = async (until: (events: WireEvent[]) => boolean): Promise<{ events: WireEvent[]; ended: boolean }> => {
    let ended = false;
    while (!until(events)) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += new TextDecoder().decode(value);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        events.push(JSON.parse(buffer.slice(0, nl)) as WireEvent);
        buffer = buffer.slice(nl + 1);
      }
    }
    controller.abort();
    return { events, ended };
  };
  return { read, contentType: res.headers.get('content-type') };
}

async function collect(query: string, until: (events: WireEvent[]) => boolean): Promise<{ events: WireEvent[]; ended: boolean }> {
  return (await openWatch(query)).read(until);
}

const summary = (events: WireEvent[]): string[] => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`.trim());

describe('watch', () => {
  it('starts with the current state, then streams changes as newline-delimited JSON', async () => {
    await store.create(policy('a'));
    const watch = await openWatch('watch=true');
    const b = await store.create(policy('b'));
    await store.replace({ ...b, metadata: { ...b.metadata, labels: { x: 'y' } } });
    await store.delete('IsolationPolicy', 'a');
    const { events } = await watch.read((e) => e.length >= 4);
    expect(watch.contentType).toMatch(/application\/json/);
    expect(summary(events)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
  });

  it('resumes after a resourceVersion and answers ERROR 410 Expired when it is too old', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await store.create(policy(n));
    const resumed = await collect('watch=1&resourceVersion=3', (e) => e.length >= 2);
    expect(summary(resumed.events)).toEqual(['ADDED d', 'ADDED e']);
    const expired = await collect('watch=1&resourceVersion=1', () => false);
    expect(expired.ended).toBe(true);
    expect(expired.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });

  it('ends at timeoutSeconds, sending BOOKMARKs only when allowed', async () => {
    const plain = await collect('watch=true&timeoutSeconds=1', () => false);
    expect(plain.ended).toBe(true);
    expect(plain.events).toEqual([]);
    const marked = await collect('watch=true&timeoutSeconds=1&allowWatchBookmarks=true', () => false);
    expect(marked.ended).toBe(true);
    expect(marked.events.length).toBeGreaterThan(0);
    expect(marked.events.every((e) => e.type === 'BOOKMARK' && e.object.metadata.resourceVersion === '0')).toBe(true);
  });

  it('applies label selectors, turning a change of labels into ADDED/DELETED', async () => {
    const a = await store.create(policy('a', { team: 'x' }));
    await store.create(policy('b'));
    const watch = await openWatch('watch=true&labelSelector=team%3Dx');
    const moved = await store.replace({ ...a, metadata: { ...a.metadata, labels: { team: 'y' } } });
    await store.replace({ ...moved, metadata: { ...moved.metadata, labels: { team: 'x' } } });
    expect(summary((await watch.read((e) => e.length >= 3)).events)).toEqual(['ADDED a', 'DELETED a', 'ADDED a']);
  });

  it('streams Tables to kubectl get -w, column definitions in the first event only', async () => {
    await store.create(policy('a'));
    const watch = await openWatch('watch=true', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    await store.create(policy('b'));
    const { events } = await watch.read((e) => e.length >= 2);
    expect(events.map((e) => e.object.kind)).toEqual(['Table', 'Table']);
    const tables = events.map((e) => e.object as unknown as { columnDefinitions: unknown[]; rows: Array<{ cells: unknown[] }> });
    expect(tables[0]!.columnDefinitions.length).toBeGreaterThan(0);
    expect(tables[1]!.columnDefinitions).toEqual([]);
    expect(tables.map((t) => t.rows[0]!.cells[0])).toEqual(['a', 'b']);
  });
});
