// @kubernetes/client-node 1.4 (CustomObjectsApi and Watch) against a dockfence API server this
// test starts on 127.0.0.1: create, list with labelSelector, merge-patch, delete, watch.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, startApiServer, type RunningServer } from '../../src/api/server.js';
import { Store } from '../../src/store/store.js';

const GVP = { group: 'dockfence.io', version: 'v1alpha1', plural: 'exposerules' };
const TOKEN = 'client-node-token-0123456789';
let dir: string;
let store: Store;
let server: RunningServer;
let api: k8s.CustomObjectsApi;
let kc: k8s.KubeConfig;

type Obj = { metadata: { name: string; resourceVersion: string; generation: number; labels?: Record<string, string> }; spec: { ports: Array<{ port: number; protocol?: string }> } };

const rule = (name: string, labels: Record<string, string>): object => ({
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'ExposeRule',
  metadata: { name, labels },
  spec: { target: { names: ['app2-nginx'] }, ports: [{ port: 80 }] },
});

async function waitFor(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-client-node-'));
  store = await Store.open(join(dir, 'db.json'));
  const app = createApiApp({ store, log: () => undefined, auth: { tokens: [{ token: TOKEN, role: 'admin', name: 'ci' }] } });
  server = await startApiServer({ app, listen: '127.0.0.1:0' });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'dockfence', server: server.url, skipTLSVerify: true }], // plain HTTP on loopback
    users: [{ name: 'ci', token: TOKEN }],
    contexts: [{ name: 'dockfence', cluster: 'dockfence', user: 'ci' }],
    currentContext: 'dockfence',
  });
  api = kc.makeApiClient(k8s.CustomObjectsApi);
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('@kubernetes/client-node against dockfence', () => {
  it('creates, lists by label, merge-patches and deletes; Watch sees each change', async () => {
    const seen: string[] = [];
    let ended = false;
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      '/apis/dockfence.io/v1alpha1/exposerules',
      { labelSelector: 'team=web' },
      (type, obj: Obj) => seen.push(`${type} ${obj.metadata.name} ${obj.spec.ports[0]!.port}`),
      () => (ended = true),
    );
    try {
      const created = (await api.createClusterCustomObject({ ...GVP, body: rule('web', { team: 'web' }) })) as Obj;
      expect(created.metadata).toMatchObject({ name: 'web', generation: 1 });
      expect(created.spec.ports[0]!.protocol).toBe('tcp');
      await api.createClusterCustomObject({ ...GVP, body: rule('db', { team: 'db' }) });

      const listed = (await api.listClusterCustomObject({ ...GVP, labelSelector: 'team=web' })) as { items: Obj[] };
      expect(listed.items.map((i) => i.metadata.name)).toEqual(['web']);

      const patched = (await api.patchClusterCustomObject(
        { ...GVP, name: 'web', body: { spec: { ports: [{ port: 8080 }] } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      )) as Obj;
      expect(patched.spec.ports).toEqual([{ port: 8080, protocol: 'tcp' }]);
      expect(patched.metadata.generation).toBe(2);

      await api.deleteClusterCustomObject({ ...GVP, name: 'web' });
      const err = await api.getClusterCustomObject({ ...GVP, name: 'web' }).then(() => undefined, (e: { code?: number; body?: string }) => e);
      expect(err?.code).toBe(404);
      expect(JSON.parse(err!.body!)).toMatchObject({ kind: 'Status', reason: 'NotFound' });

      await waitFor('the DELETED event', () => seen.length >= 3);
      expect(seen).toEqual(['ADDED web 80', 'MODIFIED web 8080', 'DELETED web 8080']);
      expect(ended).toBe(false);
    } finally {
      controller.abort();
    }
  });

  it('surfaces a conflict on a stale replace and a 422 on an invalid object', async () => {
    const created = (await api.createClusterCustomObject({ ...GVP, body: rule('c', { team: 'x' }) })) as Obj;
    await api.replaceClusterCustomObject({ ...GVP, name: 'c', body: { ...rule('c', { team: 'y' }), metadata: { name: 'c', resourceVersion: created.metadata.resourceVersion } } });
    const stale = await api
      .replaceClusterCustomObject({ ...GVP, name: 'c', body: { ...rule('c', { team: 'z' }), metadata: { name: 'c', resourceVersion: created.metadata.resourceVersion } } })
      .then(() => undefined, (e: { code?: number }) => e);
    expect(stale?.code).toBe(409);
    const invalid = await api
      .createClusterCustomObject({ ...GVP, body: { ...rule('bad', {}), spec: { target: {}, ports: [{ port: 0 }] } } })
      .then(() => undefined, (e: { code?: number; body?: string }) => e);
    expect(invalid?.code).toBe(422);
    expect(JSON.parse(invalid!.body!).details.causes[0].field).toBe('spec.ports[0].port');
  });

  it('is refused without the token', async () => {
    const anon = new k8s.KubeConfig();
    anon.loadFromOptions({
      clusters: [{ name: 'd', server: server.url, skipTLSVerify: true }],
      users: [{ name: 'anon' }],
      contexts: [{ name: 'd', cluster: 'd', user: 'anon' }],
      currentContext: 'd',
    });
    const err = await anon.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject(GVP).then(() => undefined, (e: { code?: number }) => e);
    expect(err?.code).toBe(401);
  });
});
