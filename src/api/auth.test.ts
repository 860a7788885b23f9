// Token file parsing, 401/403 with roles, and the loopback-only rule for an app without tokens.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.js';
import { createApiApp } from './app.js';
import { loadTokenFile, parseTokenFile } from './auth.js';
import { isLoopback, parseListen, startApiServer } from './server.js';

const ADMIN = 'admin-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const URL = '/apis/dockfence.io/v1alpha1/isolationpolicies';
const policy = { apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicy', metadata: { name: 'p' }, spec: { networks: {} } };
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-auth-'));
  store = await Store.open(join(dir, 'db.json'));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('token file', () => {
  it('parses TOKEN,ROLE[,NAME] lines with comments', () => {
    expect(parseTokenFile(`# ops\n${ADMIN},admin,alice\n\n${VIEWER}, viewer\n`, 't')).toEqual([
      { token: ADMIN, role: 'admin', name: 'alice' },
      { token: VIEWER, role: 'viewer', name: 'viewer' },
    ]);
  });

  it.each([
    ['short,admin', /t:1: a token must be at least 16/],
    [`${ADMIN},root`, /t:1: role must be admin or viewer/],
    [`${ADMIN},admin\n${ADMIN},viewer`, /t:2: duplicate token/],
    ['# nothing\n', /t: no tokens/],
  ])('refuses %j', (text, why) => expect(() => parseTokenFile(text, 't')).toThrow(why));

  it('names an unreadable file', async () => {
    await expect(loadTokenFile(join(dir, 'missing'))).rejects.toThrow(/cannot read token file .*missing/);
    await writeFile(join(dir, 'tokens'), `${ADMIN},admin\n`);
    expect(await loadTokenFile(join(dir, 'tokens'))).toHaveLength(1);
  });
});

describe('authentication', () => {
  const app = (): ReturnType<typeof createApiApp> =>
    createApiApp({ store, log: () => undefined, auth: { tokens: parseTokenFile(`${ADMIN},admin\n${VIEWER},viewer,val`, 't') } });

  it('answers 401 without a valid token, leaving health and version public', async () => {
    const a = app();
    const res = await request(a).get(URL).expect(401);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    await request(a).get(URL).set('authorization', 'Bearer wrong-token-0123456789').expect(401);
    await request(a).get(URL).set('authorization', `Basic ${ADMIN}`).expect(401);
    await request(a).get('/healthz').expect(200);
    await request(a).get('/version').expect(200);
    await request(a).get('/apis').expect(401);
  });

  it('lets viewers read and answers 403 when they write; admins write', async () => {
    const a = app();
    await request(a).get(URL).set('authorization', `Bearer ${VIEWER}`).expect(200);
    const denied = await request(a).post(URL).set('authorization', `Bearer ${VIEWER}`).send(policy).expect(403);
    expect(denied.body).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(denied.body.message).toContain('"val"');
    await request(a).delete(`${URL}/p`).set('authorization', `Bearer ${VIEWER}`).expect(403);
    await request(a).post(URL).set('authorization', `Bearer ${ADMIN}`).send(policy).expect(201);
    await request(a).delete(`${URL}/p`).set('authorization', `Bearer ${ADMIN}`).expect(200);
  });
});

describe('listening', () => {
  it('parses HOST:PORT and knows loopback', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('8080')).toThrow(/expected HOST:PORT/);
    expect(() => parseListen('h:99999')).toThrow(/invalid listen/);
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1'].some(isLoopback)).toBe(false);
  });

  it('refuses to listen beyond loopback without tokens, before binding anything', async () => {
    const open = createApiApp({ store, log: () => undefined });
    await expect(startApiServer({ app: open, listen: '0.0.0.0:0' })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0:0 without tokens/);
    await expect(startApiServer({ app: open, listen: '[::]:0' })).rejects.toThrow(/requires --token-file/);
  });

  it('listens on loopback without tokens and reports the real port', async () => {
    const server = await startApiServer({ app: createApiApp({ store, log: () => undefined }), listen: '127.0.0.1:0' });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('serves a metrics-only app read-only', async () => {
    const metricsApp = createApiApp.metricsOnly({ contentType: 'text/plain', render: async () => 'm 1\n' });
    await request(metricsApp).get('/metrics').expect(200, 'm 1\n');
    await request(metricsApp).post('/metrics').expect(405);
    await request(metricsApp).get(URL).expect(404);
  });
});
