// Route tests (supertest, in-process): discovery, OpenAPI, CRUD, selectors, Table, dry run, errors.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { createApiApp } from './app.js';

const BASE = '/apis/dockfence.io/v1alpha1';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
let dir: string;
let store: Store;
let logged: string[];
let app: ReturnType<typeof createApiApp>;

const policy = (name: string, extra: object = {}): object => ({
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'IsolationPolicy',
  metadata: { name, ...extra },
  spec: { networks: { names: ['int-app1'] } },
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-api-'));
  store = await Store.open(join(dir, 'db.json'));
  logged = [];
  app = createApiApp({
    store,
    version: '9.9.9',
    now: () => new Date('2030-01-01T00:05:00Z'),
    log: (m) => logged.push(m),
    metrics: { contentType: 'text/plain; version=0.0.4', render: async () => 'dockfence_up 1\n' },
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('discovery and meta endpoints', () => {
  it('answers /version as a 1.32 server', async () => {
    const res = await request(app).get('/version').expect(200).expect('content-type', /application\/json/);
    expect(res.body).toMatchObject({ major: '1', minor: '32', gitVersion: expect.stringMatching(/^v1\.32\./), dockfenceVersion: '9.9.9' });
  });

  it('lists the group and its resources with verbs, short names, categories', async () => {
    expect((await request(app).get('/api').expect(200)).body).toMatchObject({ kind: 'APIVersions', versions: [] });
    const groups = (await request(app).get('/apis').expect(200)).body;
    expect(groups).toEqual({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [{ name: 'dockfence.io', versions: [{ groupVersion: 'dockfence.io/v1alpha1', version: 'v1alpha1' }], preferredVersion: { groupVersion: 'dockfence.io/v1alpha1', version: 'v1alpha1' } }],
    });
    const list = (await request(app).get(BASE).expect(200)).body;
    expect(list.groupVersion).toBe('dockfence.io/v1alpha1');
    const ip = list.resources.find((r: { name: string }) => r.name === 'isolationpolicies');
    expect(ip).toEqual({
      name: 'isolationpolicies',
      singularName: 'isolationpolicy',
      namespaced: false,
      kind: 'IsolationPolicy',
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      shortNames: ['ip', 'isopol'],
      categories: ['dockfence'],
    });
    expect(list.resources.map((r: { name: string }) => r.name)).toContain('exposerules/status');
    await request(app).get('/apis/other.io/v1').expect(404);
  });

  it('serves health, readiness and metrics', async () => {
    await request(app).get('/healthz').expect(200, 'ok');
    await request(app).get('/readyz').expect(200, 'ok');
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toBe('dockfence_up 1\n');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const notReady = createApiApp({ store, ready: () => false });
    await request(notReady).get('/readyz').expect(500);
  });

  it('publishes OpenAPI v3 whose PATCH operations list the patch types and query parameters kubectl checks', async () => {
    const index = (await request(app).get('/openapi/v3').expect(200)).body;
    const url: string = index.paths['apis/dockfence.io/v1alpha1'].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/dockfence\.io\/v1alpha1\?hash=[0-9A-F]+$/);
    const doc = (await request(app).get(url).expect(200)).body;
    const item = doc.paths['/apis/dockfence.io/v1alpha1/isolationpolicies/{name}'];
    expect(Object.keys(item.patch.requestBody.content).sort()).toEqual(['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']);
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual({ group: 'dockfence.io', version: 'v1alpha1', kind: 'IsolationPolicy' });
    const params = item.patch.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['dryRun', 'fieldManager', 'fieldValidation', 'force']));
    const schema = doc.components.schemas['io.dockfence.v1alpha1.IsolationPolicy'];
    expect(schema['x-kubernetes-group-version-kind']).toEqual([{ group: 'dockfence.io', kind: 'IsolationPolicy', version: 'v1alpha1' }]);
    expect(schema.properties.spec.properties.mode.enum).toEqual(['Enforce', 'Audit']);
    const v2 = (await request(app).get('/openapi/v2').set('accept', 'application/json').expect(200)).body;
    expect(v2.swagger).toBe('2.0');
    expect(v2.paths['/apis/dockfence.io/v1alpha1/exposerules/{name}'].patch.consumes).not.toContain('application/strategic-merge-patch+json');
    expect(JSON.stringify(v2.definitions)).not.toContain('"oneOf"');
    await request(app).get('/openapi/v2').set('accept', 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf').expect(406);
  });
});

describe('objects', () => {
  it('creates, gets, lists, replaces and deletes', async () => {
    const created = await request(app).post(`${BASE}/isolationpolicies`).send(policy('a')).expect(201);
    expect(created.body.metadata).toMatchObject({ name: 'a', generation: 1, resourceVersion: '1' });
    expect(created.body.spec.mode).toBe('Enforce');
    await request(app).post(`${BASE}/isolationpolicies`).send(policy('a')).expect(409).expect((r) => expect(r.body.reason).toBe('AlreadyExists'));
    const got = (await request(app).get(`${BASE}/isolationpolicies/a`).expect(200)).body;
    const list = (await request(app).get(`${BASE}/isolationpolicies`).expect(200)).body;
    expect(list).toMatchObject({ apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicyList', metadata: { resourceVersion: '1' }, items: [got] });
    const edited = { ...got, spec: { ...got.spec, mode: 'Audit' } };
    const replaced = (await request(app).put(`${BASE}/isolationpolicies/a`).send(edited).expect(200)).body;
    expect(replaced.metadata).toMatchObject({ generation: 2, resourceVersion: '2' });
    const stale = await request(app).put(`${BASE}/isolationpolicies/a`).send(edited).expect(409);
    expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });
    await request(app).put(`${BASE}/isolationpolicies/zz`).send(policy('zz', { resourceVersion: '1' })).expect(404);
    const deleted = await request(app).delete(`${BASE}/isolationpolicies/a`).send({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }).expect(200);
    expect(deleted.body.metadata.name).toBe('a');
    const missing = await request(app).get(`${BASE}/isolationpolicies/a`).expect(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'isolationpolicies.dockfence.io "a" not found', details: { name: 'a', group: 'dockfence.io', kind: 'isolationpolicies' } });
  });

  it('accepts YAML bodies and answers YAML when asked', async () => {
    const yamlBody = 'apiVersion: dockfence.io/v1alpha1\nkind: EgressException\nmetadata: {name: to-web}\nspec:\n  source: {names: [app1]}\n  to: [{cidr: 10.10.10.55/32}]\n';
    await request(app).post(`${BASE}/egressexceptions`).set('content-type', 'application/yaml').send(yamlBody).expect(201);
    const res = await request(app).get(`${BASE}/egressexceptions/to-web`).set('accept', 'application/yaml').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/yaml/);
    expect(res.text).toContain('masquerade: true');
  });

  it('refuses an invalid spec with 422 and the field named', async () => {
    const bad = { ...policy('bad'), spec: { networks: {}, mode: 'Sometimes' } };
    const res = await request(app).post(`${BASE}/isolationpolicies`).send(bad).expect(422);
    expect(res.body).toMatchObject({
      reason: 'Invalid',
      message: 'IsolationPolicy.dockfence.io "bad" is invalid: spec.mode: Unsupported value: "Sometimes": supported values: "Enforce", "Audit"',
      details: { name: 'bad', kind: 'IsolationPolicy', causes: [{ field: 'spec.mode', reason: 'FieldValueNotSupported' }] },
    });
  });

  it('handles fieldValidation Strict (400), Warn (Warning header) and Ignore', async () => {
    const body = { ...policy('f'), spec: { networks: {}, bogus: 1 } };
    const strict = await request(app).post(`${BASE}/isolationpolicies?fieldValidation=Strict`).send(body).expect(400);
    expect(strict.body.message).toBe('strict decoding error: unknown field "spec.bogus"');
    const warn = await request(app).post(`${BASE}/isolationpolicies?fieldValidation=Warn&dryRun=All`).send(body).expect(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"spec.bogus\\""');
    const odd = await request(app).post(`${BASE}/isolationpolicies?dryRun=All`).send({ ...policy('f'), spec: { networks: {}, 'ünknown\n': 1 } }).expect(201);
    expect(odd.headers.warning).toMatch(/^299 - "unknown field .*\\u00fcnknown.*"$/);
    expect(odd.headers.warning).toMatch(/^[\x20-\x7e]+$/);
    const ignore = await request(app).post(`${BASE}/isolationpolicies?fieldValidation=Ignore`).send(body).expect(201);
    expect(ignore.headers.warning).toBeUndefined();
    expect(ignore.body.spec).not.toHaveProperty('bogus');
    await request(app).post(`${BASE}/isolationpolicies?fieldValidation=Loose`).send(body).expect(400);
  });

  it('stores nothing on dryRun=All, for every verb', async () => {
    const res = await request(app).post(`${BASE}/isolationpolicies?dryRun=All`).send(policy('d')).expect(201);
    expect(res.body.metadata.name).toBe('d');
    await request(app).get(`${BASE}/isolationpolicies/d`).expect(404);
    const real = (await request(app).post(`${BASE}/isolationpolicies`).send(policy('d')).expect(201)).body;
    await request(app).put(`${BASE}/isolationpolicies/d?dryRun=All`).send({ ...real, spec: { networks: {} } }).expect(200);
    await request(app).patch(`${BASE}/isolationpolicies/d?dryRun=All`).set('content-type', 'application/merge-patch+json').send({ spec: { mode: 'Audit' } }).expect(200);
    await request(app).delete(`${BASE}/isolationpolicies/d?dryRun=All`).expect(200);
    const after = (await request(app).get(`${BASE}/isolationpolicies/d`).expect(200)).body;
    expect(after).toEqual(real);
    expect(store.currentResourceVersion()).toBe('1');
  });

  it('filters lists by labelSelector (every operator) and fieldSelector metadata.name', async () => {
    await request(app).post(`${BASE}/isolationpolicies`).send(policy('a', { labels: { tier: 'web', env: 'prod' } })).expect(201);
    await request(app).post(`${BASE}/isolationpolicies`).send(policy('b', { labels: { tier: 'db' } })).expect(201);
    await request(app).post(`${BASE}/isolationpolicies`).send(policy('c')).expect(201);
    const names = async (query: string): Promise<string[]> =>
      (await request(app).get(`${BASE}/isolationpolicies?${query}`).expect(200)).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    expect(await names('labelSelector=tier%3Dweb')).toEqual(['a']);
    expect(await names('labelSelector=tier!%3Dweb')).toEqual(['b', 'c']);
    expect(await names('labelSelector=tier%20in%20(web,db)')).toEqual(['a', 'b']);
    expect(await names('labelSelector=tier%20notin%20(web)')).toEqual(['b', 'c']);
    expect(await names('labelSelector=env')).toEqual(['a']);
    expect(await names('labelSelector=!tier')).toEqual(['c']);
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect(await names('fieldSelector=metadata.name!%3Db')).toEqual(['a', 'c']);
    await request(app).get(`${BASE}/isolationpolicies?labelSelector=a%20in%20b`).expect(400);
    await request(app).get(`${BASE}/isolationpolicies?fieldSelector=spec.mode%3DAudit`).expect(400);
    const removed = await request(app).delete(`${BASE}/isolationpolicies?labelSelector=tier`).expect(200);
    expect(removed.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['a', 'b']);
    expect(await names('')).toEqual(['c']);
  });

  it('answers a Table with printer columns and formatted ages for kubectl get', async () => {
    await store.create(policy('t') as never);
    const res = await request(app).get(`${BASE}/isolationpolicies`).set('accept', TABLE).expect(200);
    expect(res.body).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(res.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Mode', 'Same', 'Other', 'Host', 'External', 'Ready', 'Networks', 'Dropped', 'Age']);
    expect(res.body.rows).toHaveLength(1);
    expect(res.body.rows[0].object.kind).toBe('PartialObjectMetadata');
    const one = await request(app).get(`${BASE}/isolationpolicies/t?includeObject=Object`).set('accept', TABLE).expect(200);
    expect(one.body.rows[0].object.spec).toBeDefined();
  });

  it('generates a name from generateName', async () => {
    const res = await request(app).post(`${BASE}/isolationpolicies`).send({ ...policy(''), metadata: { generateName: 'auto-' } }).expect(201);
    expect(res.body.metadata.name).toMatch(/^auto-[a-z0-9]{5}$/);
  });

  it('serves history and rollback', async () => {
    const v1 = (await request(app).post(`${BASE}/isolationpolicies`).send(policy('h')).expect(201)).body;
    await request(app).put(`${BASE}/isolationpolicies/h`).send({ ...v1, spec: { networks: {}, mode: 'Audit' } }).expect(200);
    const history = (await request(app).get(`${BASE}/isolationpolicies/h/history`).expect(200)).body;
    expect(history.items.map((h: { generation: number }) => h.generation)).toEqual([1, 2]);
    const rolled = (await request(app).post(`${BASE}/isolationpolicies/h/rollback`).send({ generation: 1 }).expect(200)).body;
    expect(rolled.metadata.generation).toBe(3);
    expect(rolled.spec.mode).toBe('Enforce');
    await request(app).post(`${BASE}/isolationpolicies/h/rollback`).send({ generation: 99 }).expect(404);
    await request(app).post(`${BASE}/isolationpolicies/h/rollback`).send({ generation: 'x' }).expect(400);
  });
});

describe('errors', () => {
  it('answers 404 Status for unknown paths and resources, 405 for unknown methods', async () => {
    expect((await request(app).get('/nope').expect(404)).body).toMatchObject({ kind: 'Status', reason: 'NotFound' });
    await request(app).get(`${BASE}/pods`).expect(404);
    await request(app).post(`${BASE}/isolationpolicies/a/history`).send({}).expect(405);
  });

  it('limits bodies to 1 MiB (413) and refuses unknown media types (415)', async () => {
    const huge = { ...policy('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(1024 * 1024) } } };
    const big = await request(app).post(`${BASE}/isolationpolicies`).send(huge).expect(413);
    expect(big.body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    const form = await request(app).post(`${BASE}/isolationpolicies`).set('content-type', 'text/plain').send('x').expect(415);
    expect(form.body.reason).toBe('UnsupportedMediaType');
    await request(app).post(`${BASE}/isolationpolicies`).set('content-type', 'application/json').send('{not json').expect(400);
  });

  it('turns an unexpected failure into a 500 that logs the cause and does not send it', async () => {
    const broken = createApiApp({ store: { ...store, listNow: () => { throw new Error('disk secret /var/x'); }, currentResourceVersion: () => '1' } as never, log: (m) => logged.push(m) });
    const res = await request(broken).get(`${BASE}/isolationpolicies`).expect(500);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    expect(JSON.stringify(res.body)).not.toContain('secret');
    expect(logged.join('\n')).toContain('disk secret /var/x');
  });
});
