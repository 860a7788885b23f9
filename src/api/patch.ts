// PATCH on objects (JSON merge patch, JSON patch, server-side apply) and writes to the /status
// subresource. A patch is applied to the latest object and retried on a version race unless the
// patch itself pinned metadata.resourceVersion.

import type { Request, Response } from 'express';
import jsonPatch from 'fast-json-patch';
import { BadRequestError, ConflictError, InvalidError } from '../lib/errors.js';
import type { CrdInfo } from '../resources/crd.js';
import { applyMergePatch, isObject, jsonClone, type JsonObject } from '../resources/json-value.js';
import { applyConfiguration, readManagedFields, recordUpdate } from '../resources/managed-fields.js';
import type { AnyResource, Resource } from '../resources/types.js';
import { crdOf, type ApiContext } from './context.js';
import { sendOne } from './reads.js';
import { dryRunOf, fieldManagerOf, fieldValidationOf, forceOf, parseBody, patchType, readObjectBody, type PatchType } from './request.js';
import { nameMatches, ownership } from './writes.js';

const ATTEMPTS = 5;

/** The document after a merge or JSON patch. BadRequestError / InvalidError when it cannot apply. */
export function applyPatchDocument(type: Exclude<PatchType, 'application/apply-patch+yaml'>, doc: unknown, patch: unknown): JsonObject {
  if (type === 'application/merge-patch+json') {
    if (!isObject(patch)) throw new BadRequestError('a JSON merge patch must be a JSON object');
    return applyMergePatch(doc, patch) as JsonObject;
  }
  if (!Array.isArray(patch)) throw new BadRequestError('a JSON patch must be a JSON array of operations');
  try {
    return jsonPatch.applyPatch(jsonClone(doc), patch as jsonPatch.Operation[], true, true).newDocument as JsonObject;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? 'cannot apply';
    throw new InvalidError(`the JSON patch could not be applied: ${message}`, [
      { field: 'patch', reason: 'FieldValueInvalid', message },
    ]);
  }
}

async function retrying<T>(pinned: () => boolean, attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConflictError) || pinned() || i >= ATTEMPTS || 'causes' in err) throw err;
    }
  }
}

/** PATCH .../<plural>/<name>. Server-side apply creates the object when it is missing (201). */
export function patchObject(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const name = String(req.params.name);
    const type = patchType(req);
    const patch = parseBody(req);
    const dryRun = dryRunOf(req);
    const mode = fieldValidationOf(req);
    const manager = fieldManagerOf(req, type === 'application/apply-patch+yaml');
    let pinned = false;
    const result = await retrying(() => pinned, async () => {
      const existing = await ctx.store.find(crd.kind, name);
      if (type === 'application/apply-patch+yaml') return serverSideApply({ ctx, crd, req, name, existing, config: patch, manager, dryRun });
      if (!existing) return ctx.store.get(crd.kind, name).then(() => undefined as never); // NotFoundError
      const patched = applyPatchDocument(type, existing, patch);
      const meta = isObject(patched.metadata) ? patched.metadata : {};
      if (meta.name !== name) throw new BadRequestError('metadata.name cannot be changed by a patch');
      pinned = meta.resourceVersion !== existing.metadata.resourceVersion;
      const { value, warnings } = ctx.validator.validateObject(patched, crd.kind, mode);
      value.metadata.managedFields = ownership(ctx, crd, manager, existing, value);
      return { object: await ctx.store.replace(value, { dryRun }), code: 200, warnings };
    });
    sendOne(ctx, req, res, result.code, result.object, result.warnings);
  };
}

async function serverSideApply(o: {
  ctx: ApiContext;
  crd: CrdInfo;
  req: Request;
  name: string;
  existing: AnyResource | undefined;
  config: unknown;
  manager: string;
  dryRun: boolean;
}): Promise<{ object: AnyResource; code: number; warnings: string[] }> {
  const { ctx, crd, req, name, existing } = o;
  const config = nameMatches(o.config, name);
  for (const key of ['apiVersion', 'kind'] as const) {
    if (config[key] === undefined) throw new BadRequestError(`an apply configuration must set ${key}`);
  }
  const live = existing ? (jsonClone(existing) as unknown as JsonObject) : undefined;
  if (live) delete live.status;
  const merged = applyConfiguration({
    live,
    config,
    manager: o.manager,
    force: forceOf(req),
    apiVersion: `${crd.group}/${crd.version}`,
    now: ctx.now(),
  });
  const { value, warnings } = ctx.validator.validateObject(merged, crd.kind, fieldValidationOf(req));
  if (!existing) {
    const created = await ctx.store.create(value, { dryRun: o.dryRun });
    return { object: created, code: 201, warnings };
  }
  value.metadata.resourceVersion = existing.metadata.resourceVersion;
  return { object: await ctx.store.replace(value, { dryRun: o.dryRun }), code: 200, warnings };
}

/** PUT .../<name>/status: only .status is taken from the body (resourceVersion required). */
export function replaceStatus(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const name = String(req.params.name);
    const body = nameMatches(readObjectBody(req), name);
    const rv = isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    if (typeof rv !== 'string' || rv === '') {
      throw new InvalidError(`${crd.kind}.${crd.group} ${JSON.stringify(name)} is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`, [
        { field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update' },
      ]);
    }
    const existing = await ctx.store.get(crd.kind, name);
    const result = await writeStatus(ctx, crd, req, existing, body.status, rv);
    sendOne(ctx, req, res, 200, result.object, result.warnings);
  };
}

/** PATCH .../<name>/status: the patch applies to the whole object; only .status is kept. */
export function patchStatus(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const name = String(req.params.name);
    const type = patchType(req);
    const patch = parseBody(req);
    if (type === 'application/apply-patch+yaml') fieldManagerOf(req, true);
    let pinned = false;
    const result = await retrying(() => pinned, async () => {
      const existing = await ctx.store.get(crd.kind, name);
      let status: unknown;
      let rv = existing.metadata.resourceVersion;
      if (type === 'application/apply-patch+yaml') {
        status = mergeStatus(existing.status, nameMatches(patch, name).status);
      } else {
        const patched = applyPatchDocument(type, existing, patch);
        const patchedRv = isObject(patched.metadata) ? patched.metadata.resourceVersion : undefined;
        pinned = patchedRv !== existing.metadata.resourceVersion;
        if (pinned) rv = typeof patchedRv === 'string' ? patchedRv : '';
        status = patched.status;
      }
      return writeStatus(ctx, crd, req, existing, status, rv);
    });
    sendOne(ctx, req, res, 200, result.object, result.warnings);
  };
}

function mergeStatus(current: unknown, applied: unknown): unknown {
  if (!isObject(applied) || !isObject(current)) return jsonClone(applied);
  const out: JsonObject = { ...current };
  for (const [k, v] of Object.entries(applied)) out[k] = mergeStatus(current[k], v);
  return out;
}

async function writeStatus(
  ctx: ApiContext,
  crd: CrdInfo,
  req: Request,
  existing: AnyResource,
  status: unknown,
  resourceVersion: string | undefined,
): Promise<{ object: AnyResource; warnings: string[] }> {
  const { value, warnings } = ctx.validator.validateStatus(status, crd.kind, existing.metadata.name, fieldValidationOf(req));
  const managedFields = recordUpdate({
    entries: readManagedFields(existing.metadata.managedFields),
    manager: fieldManagerOf(req, false),
    before: existing,
    after: { ...existing, status: value } as Resource,
    apiVersion: `${crd.group}/${crd.version}`,
    now: ctx.now(),
    subresource: 'status',
  });
  const object = await ctx.store.updateStatus(crd.kind, existing.metadata.name, value, {
    dryRun: dryRunOf(req),
    resourceVersion,
    managedFields,
  });
  return { object, warnings };
}
