// PATCH (merge, JSON patch, server-side apply with conflicts) and the /status subresource.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { createApiApp } from './app.js';

const URL = '/apis/dockfence.io/v1alpha1/isolationpolicies';
let dir: string;
let store: Store;
let app: ReturnType<typeof createApiApp>;

const policy = { apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicy', metadata: { name: 'p' }, spec: { networks: { names: ['n1'] } } };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-patch-'));
  store = await Store.open(join(dir, 'db.json'));
  app = createApiApp({ store, log: () => undefined });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const patch = (type: string, body: unknown, query = ''): request.Test =>
  request(app).patch(`${URL}/p${query}`).set('content-type', type).send(typeof body === 'string' ? body : JSON.stringify(body));

describe('PATCH', () => {
  beforeEach(async () => {
    await request(app).post(`${URL}?fieldManager=creator`).send(policy).expect(201);
  });

  it('applies a JSON merge patch (generation moves only for spec)', async () => {
    const res = await patch('application/merge-patch+json', { spec: { mode: 'Audit', networks: { names: null } } }).expect(200);
    expect(res.body.spec).toMatchObject({ mode: 'Audit', networks: {} });
    expect(res.body.metadata.generation).toBe(2);
    const labelled = await patch('application/merge-patch+json', { metadata: { labels: { a: 'b' } } }).expect(200);
    expect(labelled.body.metadata).toMatchObject({ generation: 2, labels: { a: 'b' } });
  });

  it('applies a JSON patch and reports a failing operation as 422', async () => {
    const res = await patch('application/json-patch+json', [{ op: 'add', path: '/spec/protectedCidrs', value: ['10.10.10.0/24'] }]).expect(200);
    expect(res.body.spec.protectedCidrs).toEqual(['10.10.10.0/24']);
    const failed = await patch('application/json-patch+json', [{ op: 'test', path: '/spec/mode', value: 'Audit' }]).expect(422);
    expect(failed.body.reason).toBe('Invalid');
    await patch('application/json-patch+json', { op: 'add' }).expect(400);
  });

  it('validates the patched object', async () => {
    const res = await patch('application/merge-patch+json', { spec: { host: 'Maybe' } }).expect(422);
    expect(res.body.details.causes[0].field).toBe('spec.host');
  });

  it('refuses strategic merge patch with 415 naming the accepted types', async () => {
    const res = await patch('application/strategic-merge-patch+json', { spec: { mode: 'Audit' } }).expect(415);
    expect(res.body.message).toContain('application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  });

  it('honours a resourceVersion pinned in the patch (409 when stale)', async () => {
    await patch('application/merge-patch+json', { metadata: { resourceVersion: '999' }, spec: { mode: 'Audit' } }).expect(409);
    await patch('application/merge-patch+json', { metadata: { resourceVersion: '1' }, spec: { mode: 'Audit' } }).expect(200);
  });

  it('cannot change the status through the main endpoint', async () => {
    const res = await patch('application/merge-patch+json', { status: { droppedPackets: 5 } }).expect(200);
    expect(res.body.status).toBeUndefined();
    expect(res.body.metadata.resourceVersion).toBe('1');
  });
});

describe('server-side apply', () => {
  const apply = (body: unknown, query: string): request.Test =>
    request(app).patch(`${URL}/p${query}`).set('content-type', 'application/apply-patch+yaml').send(typeof body === 'string' ? body : JSON.stringify(body));

  it('creates a missing object (201) and requires a fieldManager', async () => {
    await apply(policy, '').expect(400);
    const res = await apply(policy, '?fieldManager=ci').expect(201);
    expect(res.body.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'ci', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:networks': { 'f:names': {} } } } }),
    ]);
  });

  it('accepts YAML, updates, and conflicts with another manager unless forced', async () => {
    await apply(policy, '?fieldManager=ci').expect(201);
    await request(app).patch(`${URL}/p?fieldManager=editor`).set('content-type', 'application/merge-patch+json').send({ spec: { mode: 'Audit' } }).expect(200);
    const yaml = 'apiVersion: dockfence.io/v1alpha1\nkind: IsolationPolicy\nmetadata: {name: p}\nspec:\n  networks: {names: [n1]}\n  mode: Enforce\n';
    const conflict = await apply(yaml, '?fieldManager=ci').expect(409);
    expect(conflict.body).toMatchObject({ reason: 'Conflict', details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.mode' }] } });
    expect(conflict.body.message).toContain('conflict with "editor"');
    const forced = await apply(yaml, '?fieldManager=ci&force=true').expect(200);
    expect(forced.body.spec.mode).toBe('Enforce');
    expect(forced.body.metadata.generation).toBe(3);
  });

  it('removes a field its manager stops applying', async () => {
    await apply({ ...policy, spec: { ...policy.spec, protectedCidrs: ['10.0.0.0/8'] } }, '?fieldManager=ci').expect(201);
    const res = await apply(policy, '?fieldManager=ci').expect(200);
    expect(res.body.spec.protectedCidrs).toBeUndefined();
  });

  it('stores nothing on dryRun', async () => {
    await apply(policy, '?fieldManager=ci&dryRun=All').expect(201);
    await request(app).get(`${URL}/p`).expect(404);
  });
});

describe('status subresource', () => {
  beforeEach(async () => {
    await request(app).post(URL).send(policy).expect(201);
  });

  it('PUT /status changes only the status, with a resourceVersion', async () => {
    const current = (await request(app).get(`${URL}/p/status`).expect(200)).body;
    const body = { ...current, spec: { networks: {} }, status: { observedGeneration: 1, matchedNetworks: ['n1'] } };
    const res = await request(app).put(`${URL}/p/status`).send(body).expect(200);
    expect(res.body.status).toEqual({ observedGeneration: 1, matchedNetworks: ['n1'] });
    expect(res.body.spec).toEqual(current.spec);
    expect(res.body.metadata.generation).toBe(1);
    await request(app).put(`${URL}/p/status`).send(body).expect(409);
    await request(app).put(`${URL}/p/status`).send({ ...body, metadata: { name: 'p' } }).expect(422);
  });

  it('PATCH /status merges into the status and validates it', async () => {
    const res = await request(app).patch(`${URL}/p/status`).set('content-type', 'application/merge-patch+json').send({ status: { droppedPackets: 3 }, spec: { mode: 'Audit' } }).expect(200);
    expect(res.body.status).toEqual({ droppedPackets: 3 });
    expect(res.body.spec.mode).toBe('Enforce');
    await request(app).patch(`${URL}/p/status`).set('content-type', 'application/merge-patch+json').send({ status: { droppedPackets: 'many' } }).expect(422);
  });
});
