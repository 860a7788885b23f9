// Durability of the store under kill -9: a child dockfence API server is killed repeatedly while
// clients write. After every kill the file parses, holds every acknowledged write, and the next
// server starts from it. A corrupt file is refused with one line naming it and left untouched.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const URL_PATH = '/apis/dockfence.io/v1alpha1/isolationpolicies';
let dir: string;
let db: string;
let childScript: string;

const CHILD = (serverModule: string, storeModule: string): string => `
import { createApiApp, startApiServer } from ${JSON.stringify(serverModule)};
import { Store } from ${JSON.stringify(storeModule)};
let store;
try {
  store = await Store.open(process.argv[2]);
} catch (err) {
  process.stderr.write(err.message + '\\n');
  process.exit(2);
}
const server = await startApiServer({ app: createApiApp({ store, log: () => undefined }), listen: '127.0.0.1:0' });
process.stdout.write(server.url + '\\n');
`;

interface Child {
  process: ChildProcess;
  url: string;
}

function startChild(): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, db], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolveChild, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolveChild({ process: child, url: line! });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
  });
}

function runToExit(): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, db], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((r) => child.on('exit', (code) => r({ code, stderr })));
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

const policy = (name: string, labels: Record<string, string> = {}): string =>
  JSON.stringify({ apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicy', metadata: { name, labels }, spec: { networks: {} } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-crash-'));
  db = join(dir, 'db.json');
  childScript = join(dir, 'child.mts');
  const mod = (p: string): string => pathToFileURL(join(ROOT, p)).href;
  await writeFile(childScript, CHILD(mod('src/api/server.ts'), mod('src/store/store.ts')));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('store durability (kill -9)', () => {
  it('keeps every acknowledged write across repeated kill -9 while clients write', async () => {
    const acknowledged = new Set<string>();
    let lastCounter = -1; // highest counter value whose label patch was acknowledged
    let counter = 0;
    for (let round = 0; round < 6; round++) {
      const child = await startChild();
      if (round === 0) {
        const r = await fetch(`${child.url}${URL_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: policy('counter', { n: '0' }) });
        expect(r.status).toBe(201);
        lastCounter = 0;
      }
      let stop = false;
      const writer = async (id: number): Promise<void> => {
        for (let i = 0; !stop; i++) {
          const name = `r${round}-c${id}-${i}`;
          try {
            const r = await fetch(`${child.url}${URL_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: policy(name) });
            if (r.status === 201) acknowledged.add(name);
          } catch {
            return; // the server is gone
          }
        }
      };
      const patcher = async (): Promise<void> => {
        while (!stop) {
          const n = ++counter;
          try {
            const r = await fetch(`${child.url}${URL_PATH}/counter`, {
              method: 'PATCH',
              headers: { 'content-type': 'application/merge-patch+json' },
              body: JSON.stringify({ metadata: { labels: { n: String(n) } } }),
            });
            if (r.status === 200) lastCounter = n;
          } catch {
            return;
          }
        }
      };
      const clients = [writer(0), writer(1), writer(2), patcher()];
      // Let the clients write for a while (varying per round), then kill without warning.
      await new Promise((r) => setTimeout(r, 150 + round * 60));
      await killHard(child.process);
      stop = true;
      await Promise.all(clients);

      const data = JSON.parse(await readFile(db, 'utf8')) as { objects: Record<string, { metadata: { labels?: Record<string, string> } }> };
      const stored = new Set(Object.keys(data.objects).map((k) => k.split('/')[1]!));
      const lost = [...acknowledged].filter((name) => !stored.has(name));
      expect(lost).toEqual([]);
      expect(Number(data.objects['IsolationPolicy/counter']!.metadata.labels!.n)).toBeGreaterThanOrEqual(lastCounter);
    }
    expect(acknowledged.size).toBeGreaterThan(20);

    // The last server's file is the next server's state; versions and history survived.
    const child = await startChild();
    try {
      const list = (await (await fetch(`${child.url}${URL_PATH}`)).json()) as { items: Array<{ metadata: { name: string } }> };
      const names = new Set(list.items.map((i) => i.metadata.name));
      expect([...acknowledged].every((n) => names.has(n))).toBe(true);
      const counterObj = (await (await fetch(`${child.url}${URL_PATH}/counter`)).json()) as { metadata: { resourceVersion: string } };
      const stale = await fetch(`${child.url}${URL_PATH}/counter`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...JSON.parse(policy('counter')), metadata: { name: 'counter', resourceVersion: String(Number(counterObj.metadata.resourceVersion) - 1) } }),
      });
      expect(stale.status).toBe(409);
      const edit = await fetch(`${child.url}${URL_PATH}/counter`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ spec: { mode: 'Audit' } }),
      });
      expect(((await edit.json()) as { metadata: { generation: number } }).metadata.generation).toBe(2);
      const history = (await (await fetch(`${child.url}${URL_PATH}/counter/history`)).json()) as { items: Array<{ generation: number }> };
      expect(history.items.map((h) => h.generation)).toEqual([1, 2]);
      const rolled = await fetch(`${child.url}${URL_PATH}/counter/rollback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"generation":1}' });
      expect(((await rolled.json()) as { spec: { mode: string } }).spec.mode).toBe('Enforce');
    } finally {
      await killHard(child.process);
    }
  });

  it('refuses a corrupt store with one line naming the file, and never overwrites it', async () => {
    const corrupt = '{"format":"dockfence-store/v1","resourceVersion":12,"objects":{"Iso';
    await writeFile(db, corrupt);
    const result = await runToExit();
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(db);
    expect(result.stderr).toContain('not valid JSON');
    expect(await readFile(db, 'utf8')).toBe(corrupt);
  });
});
