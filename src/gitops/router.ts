// The GitOps sync's HTTP surface, as an express Router the API server mounts (behind its auth):
// GET .../gitops/status for `dockfence sync status`, POST .../gitops/sync to run a sync now
// (the webhook; `?dryRun=All` plans without writing, `?wait=false` answers 202 at once).

import { Router, type NextFunction, type Request, type Response } from 'express';
import { API_VERSION } from '../resources/types.js';
import { GITOPS_STATUS_PATH, GITOPS_SYNC_PATH } from './paths.js';
import type { GitopsStatus } from './status.js';
import type { SyncResult } from './sync.js';

export { GITOPS_BASE_PATH, GITOPS_STATUS_PATH, GITOPS_SYNC_PATH } from './paths.js';

/** The status document: the sync's configuration (spec) and its status. */
export interface GitopsSyncDocument {
  apiVersion: typeof API_VERSION;
  kind: 'GitopsSync';
  metadata: { name: string };
  spec: { repo: string; branch: string; path: string; intervalSeconds: number; prune: boolean };
  status: GitopsStatus;
}

/** What the router needs from a running sync (startGitopsSync's result provides it). */
export interface GitopsHandle {
  status(): GitopsSyncDocument;
  sync(options?: { dryRun?: boolean }): Promise<SyncResult>;
}

/**
 * Routes with full paths (mount with `app.use(router)` after auth, before the resource routes).
 * `handle` may be a getter, so the router can be mounted before the sync starts (the sync needs
 * the API's URL); while it gives undefined the routes pass the request on (the API's 404).
 * POST answers 200 with the SyncResult once the run ends (a failed sync is still 200: the failure
 * is in `result` and `error`), or 202 at once with `?wait=false`.
 */
export function createGitopsRouter(handle: GitopsHandle | (() => GitopsHandle | undefined)): Router {
  const current = typeof handle === 'function' ? handle : () => handle;
  const router = Router();
  router.get(GITOPS_STATUS_PATH, (_req: Request, res: Response, next: NextFunction) => {
    const sync = current();
    if (!sync) return next();
    res.status(200).json(sync.status());
  });
  router.post(GITOPS_SYNC_PATH, async (req: Request, res: Response, next: NextFunction) => {
    const sync = current();
    if (!sync) return next();
    const dryRun = queryValue(req, 'dryRun') === 'All';
    if (queryValue(req, 'wait') === 'false') {
      void sync.sync({ dryRun });
      res.status(202).json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: 'sync requested', reason: 'Accepted', code: 202 });
      return;
    }
    res.status(200).json(await sync.sync({ dryRun }));
  });
  return router;
}

function queryValue(req: Request, key: string): string | undefined {
  const value = req.query[key];
  return typeof value === 'string' ? value : undefined;
}
