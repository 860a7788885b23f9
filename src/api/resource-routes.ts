// The object paths: /apis/<group>/<version>/<plural>[/<name>[/status|/history|/rollback]] and the
// legacy /watch/ prefix. Methods a path does not support answer 405.

import { Router, type NextFunction, type Request, type Response } from 'express';
import { MethodNotAllowedError } from '../lib/errors.js';
import type { ApiContext } from './context.js';
import { patchObject, patchStatus, replaceStatus } from './patch.js';
import { getHistory, getObject, listObjects } from './reads.js';
import { isWatch } from './request.js';
import { watchObjects } from './watch.js';
import { createObject, deleteCollection, deleteObject, replaceObject, rollbackObject } from './writes.js';

function notAllowed(req: Request, _res: Response, next: NextFunction): void {
  next(new MethodNotAllowedError(`the server does not allow ${req.method} on ${req.path}`));
}

export function resourceRoutes(ctx: ApiContext): Router {
  const router = Router();
  const gvs = [...new Set(ctx.crds.all.map((c) => `/apis/${c.group}/${c.version}`))];
  for (const gv of gvs) {
    const list = listObjects(ctx);
    const watch = watchObjects(ctx);
    router.get(`${gv}/watch/:plural`, watch);
    router.route(`${gv}/:plural`)
      .get((req, res) => (isWatch(req) ? watch(req, res) : list(req, res)))
      .post(createObject(ctx))
      .delete(deleteCollection(ctx))
      .all(notAllowed);
    router.route(`${gv}/:plural/:name`)
      .get(getObject(ctx))
      .put(replaceObject(ctx))
      .patch(patchObject(ctx))
      .delete(deleteObject(ctx))
      .all(notAllowed);
    router.route(`${gv}/:plural/:name/status`)
      .get(getObject(ctx))
      .put(replaceStatus(ctx))
      .patch(patchStatus(ctx))
      .all(notAllowed);
    router.route(`${gv}/:plural/:name/history`).get(getHistory(ctx)).all(notAllowed);
    router.route(`${gv}/:plural/:name/rollback`).post(rollbackObject(ctx)).all(notAllowed);
  }
  return router;
}
