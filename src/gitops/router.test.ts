import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createGitopsRouter, GITOPS_STATUS_PATH, GITOPS_SYNC_PATH, type GitopsHandle, type GitopsSyncDocument } from './router.js';
import type { SyncResult } from './sync.js';

const DOC = { kind: 'GitopsSync', metadata: { name: 'default' } } as unknown as GitopsSyncDocument;

function app(handle: GitopsHandle | (() => GitopsHandle | undefined)) {
  const a = express();
  a.use(createGitopsRouter(handle));
  a.use((_req, res) => void res.status(404).json({ kind: 'Status', code: 404 }));
  return a;
}

describe('createGitopsRouter', () => {
  const calls: Array<{ dryRun?: boolean }> = [];
  const handle: GitopsHandle = {
    status: () => DOC,
    sync: async (options) => {
      calls.push(options ?? {});
      return { dryRun: options?.dryRun ?? false, result: 'noop', revision: 'abc', changes: [] } satisfies SyncResult;
    },
  };

  it('serves the status document', async () => {
    const res = await request(app(handle)).get(GITOPS_STATUS_PATH);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(DOC);
  });

  it('runs a sync on POST and answers with its result; dryRun=All plans only', async () => {
    const res = await request(app(handle)).post(GITOPS_SYNC_PATH).set('content-type', 'application/json').send({ ref: 'refs/heads/main' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: 'noop', dryRun: false });
    const plan = await request(app(handle)).post(`${GITOPS_SYNC_PATH}?dryRun=All`);
    expect(plan.body).toMatchObject({ dryRun: true });
    expect(calls.slice(-2)).toEqual([{ dryRun: false }, { dryRun: true }]);
  });

  it('answers 202 at once with wait=false', async () => {
    const res = await request(app(handle)).post(`${GITOPS_SYNC_PATH}?wait=false`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'Status', code: 202 });
  });

  it('passes requests on while no sync runs (getter form)', async () => {
    let current: GitopsHandle | undefined;
    const a = app(() => current);
    expect((await request(a).get(GITOPS_STATUS_PATH)).status).toBe(404);
    current = handle;
    expect((await request(a).get(GITOPS_STATUS_PATH)).status).toBe(200);
  });
});
