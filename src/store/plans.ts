// What each store write changes, computed from the committed state without touching it: the next
// state, the event to emit and the value to return. A plan without `next` is a no-op.

import { AlreadyExistsError, ConflictError, InvalidError, NotFoundError } from '../lib/errors.js';
import { qualifiedName } from '../resources/kinds.js';
import { jsonEqual } from '../resources/json-value.js';
import { GROUP, type AnyResource, type Kind, type Resource, type ResourceStatus } from '../resources/types.js';
import type { StoreEvent } from './event-log.js';
import { HISTORY_LIMIT, keyOf, type StoreData, type StoredObject } from './store-data.js';

export interface Plan<R> {
  next?: StoreData;
  event?: StoreEvent;
  value: R;
}

interface Ctx {
  now: Date;
  newUid: () => string;
}

function compose(stored: StoredObject, status: ResourceStatus | undefined): AnyResource {
  const obj = { ...stored } as AnyResource;
  if (status !== undefined) obj.status = status;
  return obj;
}

function without<T>(map: Record<string, T>, key: string): Record<string, T> {
  const copy = { ...map };
  delete copy[key];
  return copy;
}

function conflict(kind: Kind, name: string): ConflictError {
  return new ConflictError(
    `Operation cannot be fulfilled on ${qualifiedName(kind, name)}: the object has been modified; please apply your changes to the latest version and try again`,
  );
}

export function planCreate(state: StoreData, obj: Resource, ctx: Ctx): Plan<Resource> {
  const name = obj.metadata.name;
  const key = keyOf(obj.kind, name);
  if (state.objects[key]) throw new AlreadyExistsError(`${qualifiedName(obj.kind, name)} already exists`);
  const rv = state.resourceVersion + 1;
  const stored: StoredObject = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      ...pickUserMeta(obj),
      name,
      uid: ctx.newUid(),
      resourceVersion: String(rv),
      generation: 1,
      creationTimestamp: seconds(ctx.now),
    },
    spec: obj.spec,
  };
  const next: StoreData = {
    ...state,
    resourceVersion: rv,
    objects: { ...state.objects, [key]: stored },
    statuses: without(state.statuses, key),
    history: { ...state.history, [key]: [historyEntry(stored, ctx)] },
  };
  const value = compose(stored, undefined);
  return { next, event: { type: 'ADDED', object: value }, value };
}

export function planReplace(state: StoreData, obj: Resource, ctx: Ctx): Plan<Resource> {
  const name = obj.metadata.name;
  const key = keyOf(obj.kind, name);
  const current = state.objects[key];
  if (!current) throw new NotFoundError(`${qualifiedName(obj.kind, name)} not found`);
  const status = state.statuses[key];
  const rvText = obj.metadata.resourceVersion;
  if (!rvText) {
    throw new InvalidError(
      `${obj.kind}.${GROUP} ${JSON.stringify(name)} is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
      [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update' }],
    );
  }
  if (rvText !== current.metadata.resourceVersion) throw conflict(obj.kind, name);
  if (obj.metadata.uid && obj.metadata.uid !== current.metadata.uid) {
    throw new ConflictError(`Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${current.metadata.uid}`);
  }
  const specChanged = !jsonEqual(current.spec, obj.spec);
  const user = pickUserMeta(obj);
  const before = pickUserMeta(current as Resource);
  const metaChanged =
    !jsonEqual(user.labels, before.labels) ||
    !jsonEqual(user.annotations, before.annotations) ||
    !jsonEqual(withoutTimes(user.managedFields), withoutTimes(before.managedFields));
  if (!specChanged && !metaChanged) return { value: compose(current, status) };
  const rv = state.resourceVersion + 1;
  const stored: StoredObject = {
    apiVersion: current.apiVersion,
    kind: current.kind,
    metadata: {
      ...user,
      name,
      uid: current.metadata.uid,
      resourceVersion: String(rv),
      generation: (current.metadata.generation ?? 1) + (specChanged ? 1 : 0),
      creationTimestamp: current.metadata.creationTimestamp,
    },
    spec: specChanged ? obj.spec : current.spec,
  };
  const history = specChanged
    ? { ...state.history, [key]: [...(state.history[key] ?? []), historyEntry(stored, ctx)].slice(-HISTORY_LIMIT) }
    : state.history;
  const next: StoreData = { ...state, resourceVersion: rv, objects: { ...state.objects, [key]: stored }, history };
  const value = compose(stored, status);
  return { next, event: { type: 'MODIFIED', object: value, previous: compose(current, status) }, value };
}

export function planDelete(
  state: StoreData,
  kind: Kind,
  name: string,
  preconditions: { uid?: string; resourceVersion?: string },
  _ctx: Ctx,
): Plan<Resource> {
  const key = keyOf(kind, name);
  const current = state.objects[key];
  if (!current) throw new NotFoundError(`${qualifiedName(kind, name)} not found`);
  if (preconditions.uid && preconditions.uid !== current.metadata.uid) {
    throw new ConflictError(`Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`);
  }
  if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(kind, name);
  }
  const rv = state.resourceVersion + 1;
  const status = state.statuses[key];
  const previous = compose(current, status);
  const value = compose({ ...current, metadata: { ...current.metadata, resourceVersion: String(rv) } }, status);
  const next: StoreData = {
    ...state,
    resourceVersion: rv,
    objects: without(state.objects, key),
    statuses: without(state.statuses, key),
  };
  return { next, event: { type: 'DELETED', object: value, previous }, value };
}

export function planStatus(
  state: StoreData,
  kind: Kind,
  name: string,
  status: ResourceStatus | undefined,
  options: { resourceVersion?: string; managedFields?: unknown[] },
  _ctx: Ctx,
): Plan<Resource> {
  const key = keyOf(kind, name);
  const current = state.objects[key];
  if (!current) throw new NotFoundError(`${qualifiedName(kind, name)} not found`);
  if (options.resourceVersion && options.resourceVersion !== current.metadata.resourceVersion) throw conflict(kind, name);
  const before = state.statuses[key];
  const fieldsSame =
    options.managedFields === undefined || jsonEqual(withoutTimes(options.managedFields), withoutTimes(current.metadata.managedFields));
  if (jsonEqual(before, status) && fieldsSame) return { value: compose(current, before) };
  const rv = state.resourceVersion + 1;
  const metadata = { ...current.metadata, resourceVersion: String(rv) };
  if (options.managedFields !== undefined) metadata.managedFields = options.managedFields;
  const stored: StoredObject = { ...current, metadata };
  const statuses = status === undefined ? without(state.statuses, key) : { ...state.statuses, [key]: status };
  const next: StoreData = { ...state, resourceVersion: rv, objects: { ...state.objects, [key]: stored }, statuses };
  const value = compose(stored, status);
  return { next, event: { type: 'MODIFIED', object: value, previous: compose(current, before) }, value };
}

/** The metadata a write may change: labels, annotations, managedFields (empty maps dropped). */
function pickUserMeta(obj: Resource): { labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: unknown[] } {
  const out: { labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: unknown[] } = {};
  const { labels, annotations, managedFields } = obj.metadata;
  if (labels && Object.keys(labels).length > 0) out.labels = labels;
  if (annotations && Object.keys(annotations).length > 0) out.annotations = annotations;
  if (managedFields && managedFields.length > 0) out.managedFields = managedFields;
  return out;
}

function withoutTimes(fields: unknown[] | undefined): unknown[] {
  return (fields ?? []).map((f) => (typeof f === 'object' && f !== null ? { ...f, time: undefined } : f));
}

function historyEntry(stored: StoredObject, ctx: Ctx): { generation: number; resourceVersion: string; timestamp: string; spec: unknown } {
  return {
    generation: stored.metadata.generation ?? 1,
    resourceVersion: stored.metadata.resourceVersion ?? '',
    timestamp: seconds(ctx.now),
    spec: stored.spec,
  };
}

/** RFC 3339 with second precision, as Kubernetes writes creationTimestamp. */
function seconds(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

