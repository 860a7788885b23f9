// POST, PUT and DELETE on objects and collections, plus rollback. Each validates against the CRD,
// records field ownership, and stores through the Store (which owns versions and conflicts).
// `?dryRun=All` goes all the way through and stores nothing.

import type { Request, Response } from 'express';
import { BadRequestError } from '../lib/errors.js';
import type { CrdInfo } from '../resources/crd.js';
import { isObject, type JsonObject } from '../resources/json-value.js';
import { readManagedFields, recordUpdate } from '../resources/managed-fields.js';
import type { AnyResource, Resource } from '../resources/types.js';
import { crdOf, sendObject, type ApiContext } from './context.js';
import { sendOne } from './reads.js';
import { dryRunOf, fieldManagerOf, fieldValidationOf, matchesSelectors, parseBody, readObjectBody, selectorsOf } from './request.js';

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** metadata.name from generateName (prefix + 5 random characters) when no name is given. */
function withGeneratedName(body: unknown): unknown {
  if (!isObject(body) || !isObject(body.metadata)) return body;
  const meta = body.metadata;
  if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
    return { ...body, metadata: { ...meta, name: `${meta.generateName.slice(0, 58)}${suffix}` } };
  }
  return body;
}

/** Ownership after a non-apply write by this request's field manager. */
export function ownership(ctx: ApiContext, crd: CrdInfo, manager: string, before: Resource | undefined, after: Resource): unknown[] {
  return recordUpdate({
    entries: readManagedFields(before?.metadata.managedFields),
    manager,
    before,
    after,
    apiVersion: `${crd.group}/${crd.version}`,
    now: ctx.now(),
  });
}

/** POST .../<plural>: create (409 AlreadyExists when taken). */
export function createObject(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const body = withGeneratedName(readObjectBody(req));
    const dryRun = dryRunOf(req);
    const manager = fieldManagerOf(req, false);
    const name = isObject(body) && isObject(body.metadata) ? body.metadata.name : undefined;
    if (typeof name === 'string') res.locals.target.name = name;
    const { value, warnings } = ctx.validator.validateObject(body, crd.kind, fieldValidationOf(req));
    delete value.metadata.resourceVersion;
    delete value.metadata.uid;
    value.metadata.managedFields = ownership(ctx, crd, manager, undefined, value);
    const created = await ctx.store.create(value, { dryRun });
    sendOne(ctx, req, res, 201, created, warnings);
  };
}

/** PUT .../<plural>/<name>: replace (resourceVersion required; never creates). */
export function replaceObject(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const name = String(req.params.name);
    const body = nameMatches(readObjectBody(req), name);
    const dryRun = dryRunOf(req);
    const manager = fieldManagerOf(req, false);
    const existing = await ctx.store.get(crd.kind, name);
    const { value, warnings } = ctx.validator.validateObject(body, crd.kind, fieldValidationOf(req));
    value.metadata.managedFields = ownership(ctx, crd, manager, existing, value);
    const replaced = await ctx.store.replace(value, { dryRun });
    sendOne(ctx, req, res, 200, replaced, warnings);
  };
}

/** The body with metadata.name defaulted to the URL's; BadRequestError when they differ. */
export function nameMatches(body: unknown, name: string): JsonObject {
  if (!isObject(body)) throw new BadRequestError('the request body must be a JSON or YAML object');
  const meta = isObject(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== name) {
    throw new BadRequestError(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  }
  return { ...body, metadata: { ...meta, name } };
}

interface DeleteOptions {
  dryRun: boolean;
  preconditions: { uid?: string; resourceVersion?: string };
}

function deleteOptionsOf(req: Request): DeleteOptions {
  const hasBody = Buffer.isBuffer(req.body) && req.body.length > 0;
  const body = hasBody ? parseBody(req) : {};
  if (!isObject(body)) throw new BadRequestError('DeleteOptions must be an object');
  const policy = body.propagationPolicy ?? req.query.propagationPolicy;
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(String(policy))) {
    throw new BadRequestError(`propagationPolicy ${JSON.stringify(policy)} is invalid: supported values: "Orphan", "Background", "Foreground"`);
  }
  const pre = isObject(body.preconditions) ? body.preconditions : {};
  return {
    dryRun: dryRunOf(req, body.dryRun),
    preconditions: {
      ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}),
      ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}),
    },
  };
}

/** DELETE .../<plural>/<name>: answers the deleted object. */
export function deleteObject(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const options = deleteOptionsOf(req);
    const deleted = await ctx.store.delete(crd.kind, String(req.params.name), options);
    sendOne(ctx, req, res, 200, deleted);
  };
}

/** DELETE .../<plural>?labelSelector=: deletes what matches, answers the list of deleted objects. */
export function deleteCollection(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const options = deleteOptionsOf(req);
    const selectors = selectorsOf(req);
    const deleted: AnyResource[] = [];
    for (const obj of ctx.store.listNow(crd.kind).filter((o) => matchesSelectors(o, selectors))) {
      deleted.push(await ctx.store.delete(crd.kind, obj.metadata.name, { dryRun: options.dryRun }));
    }
    const list = { apiVersion: `${crd.group}/${crd.version}`, kind: crd.listKind, metadata: { resourceVersion: ctx.store.currentResourceVersion() }, items: deleted };
    sendObject(req, res, 200, list);
  };
}

/** POST .../<plural>/<name>/rollback {generation}: that generation's spec becomes current again. */
export function rollbackObject(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const body = readObjectBody(req);
    const generation = isObject(body) ? body.generation : undefined;
    if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) {
      throw new BadRequestError('rollback needs {"generation": N} with N a positive integer');
    }
    const result = await ctx.store.rollback(crd.kind, String(req.params.name), generation, { dryRun: dryRunOf(req) });
    sendOne(ctx, req, res, 200, result);
  };
}
