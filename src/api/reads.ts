// GET handlers: list (JSON or Table, with label and field selectors), get one, and the history of
// an object's generations.

import type { Request, Response } from 'express';
import { buildTable } from '../resources/table.js';
import type { AnyResource } from '../resources/types.js';
import { crdOf, sendObject, type ApiContext } from './context.js';
import { matchesSelectors, negotiate, selectorsOf } from './request.js';

/** GET /apis/<g>/<v>/<plural>: a <Kind>List, or a Table for kubectl get. */
export function listObjects(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const selectors = selectorsOf(req);
    const resourceVersion = ctx.store.currentResourceVersion();
    const items = ctx.store.listNow(crd.kind).filter((o) => matchesSelectors(o, selectors));
    const accept = negotiate(req);
    if (accept.table) {
      sendObject(req, res, 200, buildTable(crd, items, { now: ctx.now(), include: accept.includeObject, resourceVersion }));
      return;
    }
    const list = { apiVersion: `${crd.group}/${crd.version}`, kind: crd.listKind, metadata: { resourceVersion }, items };
    sendObject(req, res, 200, list);
  };
}

/** GET /apis/<g>/<v>/<plural>/<name>[/status]: the object, or a one-row Table. */
export function getObject(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const obj = await ctx.store.get(crd.kind, String(req.params.name));
    sendOne(ctx, req, res, 200, obj);
  };
}

/** Send one object as JSON, or as a Table when kubectl asks for one. */
export function sendOne(ctx: ApiContext, req: Request, res: Response, code: number, obj: AnyResource, warnings: string[] = []): void {
  const accept = negotiate(req);
  if (accept.table) {
    const crd = ctx.crds.byKind(obj.kind);
    const table = buildTable(crd, [obj], { now: ctx.now(), include: accept.includeObject, resourceVersion: obj.metadata.resourceVersion });
    sendObject(req, res, code, table, warnings);
    return;
  }
  sendObject(req, res, code, obj, warnings);
}

/** GET .../<name>/history: the stored generations of the spec, oldest first. */
export function getHistory(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const items = ctx.store.history(crd.kind, String(req.params.name));
    sendObject(req, res, 200, { apiVersion: `${crd.group}/${crd.version}`, kind: `${crd.kind}History`, items });
  };
}
