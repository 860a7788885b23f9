// Field ownership for server-side apply, in the Kubernetes managedFields (FieldsV1) shape: who set
// which field, conflicts between managers, and the merge of an applied configuration. Lists are
// atomic (the CRDs declare no list-type), maps merge per key. Pure: the caller passes `now`.

import { ConflictError, type FieldCause } from '../lib/errors.js';
import { isObject, jsonClone, jsonEqual, type JsonObject } from './json-value.js';

export type FieldsV1 = { [key: string]: FieldsV1 };

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsV1;
  subresource?: string;
}

/** A Conflict carrying the conflicting fields as Status causes (reason FieldManagerConflict). */
export class FieldManagerConflictError extends ConflictError {
  constructor(message: string, readonly causes: FieldCause[]) {
    super(message);
  }
}

type Path = string[];

/** The parts of an object whose fields are owned: labels, annotations and spec (or status). */
function tracked(obj: unknown, subresource?: string): JsonObject {
  const o = isObject(obj) ? obj : {};
  if (subresource === 'status') return o.status === undefined ? {} : { status: o.status };
  const meta = isObject(o.metadata) ? o.metadata : {};
  const out: JsonObject = {};
  const m: JsonObject = {};
  if (isObject(meta.labels) && Object.keys(meta.labels).length > 0) m.labels = meta.labels;
  if (isObject(meta.annotations) && Object.keys(meta.annotations).length > 0) m.annotations = meta.annotations;
  if (Object.keys(m).length > 0) out.metadata = m;
  if (o.spec !== undefined) out.spec = o.spec;
  return out;
}

/** Leaf paths: scalars, lists and empty maps. */
function leaves(value: unknown, prefix: Path = []): Path[] {
  if (!isObject(value) || (Object.keys(value).length === 0 && prefix.length > 0)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : leaves(v, [...prefix, k])));
}

function getAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  return node;
}

function overlaps(a: Path, b: Path): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** FieldsV1 for a set of leaf paths: {"f:spec": {"f:mode": {}}}. */
export function toFieldsV1(paths: Path[]): FieldsV1 {
  const root: FieldsV1 = {};
  for (const path of paths) {
    let node = root;
    for (const key of path) node = node[`f:${key}`] ??= {};
  }
  return root;
}

/** The leaf paths a FieldsV1 names. */
export function fromFieldsV1(fields: FieldsV1 | undefined, prefix: Path = []): Path[] {
  const keys = Object.keys(fields ?? {}).filter((k) => k.startsWith('f:'));
  if (keys.length === 0) return prefix.length > 0 ? [prefix] : [];
  return keys.flatMap((k) => fromFieldsV1(fields![k], [...prefix, k.slice(2)]));
}

/** RFC 3339 with second precision, as Kubernetes writes managedFields times. */
function seconds(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function showPath(path: Path): string {
  return path.map((k) => (/^[A-Za-z0-9_-]+$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('');
}

function entryPaths(entry: ManagedFieldsEntry): Path[] {
  return fromFieldsV1(entry.fieldsV1);
}

function withPaths(entry: ManagedFieldsEntry, paths: Path[], time?: string): ManagedFieldsEntry {
  return { ...entry, fieldsV1: toFieldsV1(paths), ...(time ? { time } : {}) };
}

/** Normalise whatever a client sent as managedFields into entries (drops malformed ones). */
export function readManagedFields(value: unknown): ManagedFieldsEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (e): e is ManagedFieldsEntry =>
      isObject(e) && typeof e.manager === 'string' && (e.operation === 'Apply' || e.operation === 'Update') && isObject(e.fieldsV1),
  );
}

/**
 * Ownership after a non-apply write by `manager` (create, update, merge/JSON patch): it takes the
 * fields whose values it changed; fields that disappeared are released by everyone.
 */
export function recordUpdate(options: {
  entries: ManagedFieldsEntry[];
  manager: string;
  before: unknown;
  after: unknown;
  apiVersion: string;
  now: Date;
  subresource?: string;
}): ManagedFieldsEntry[] {
  const { manager, apiVersion, subresource } = options;
  const before = tracked(options.before, subresource);
  const after = tracked(options.after, subresource);
  const changed = leaves(after).filter((p) => p.length > 0 && !jsonEqual(getAt(before, p), getAt(after, p)));
  const gone = leaves(before).filter((p) => p.length > 0 && getAt(after, p) === undefined);
  const time = seconds(options.now);
  const isMine = (e: ManagedFieldsEntry): boolean =>
    e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '');
  const result: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const entry of options.entries) {
    const sameScope = (entry.subresource ?? '') === (subresource ?? '');
    const kept = sameScope
      ? entryPaths(entry).filter((p) => !changed.some((c) => overlaps(c, p)) && !gone.some((g) => overlaps(g, p)))
      : entryPaths(entry);
    if (isMine(entry)) mine = withPaths(entry, [...kept, ...changed], changed.length > 0 ? time : undefined);
    else if (kept.length > 0) result.push(kept.length === entryPaths(entry).length ? entry : withPaths(entry, kept));
  }
  if (!mine && changed.length > 0) {
    mine = { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(changed) };
    if (subresource) mine.subresource = subresource;
  }
  if (mine && entryPaths(mine).length > 0) result.push(mine);
  return result;
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined: the object is created).
 * Throws FieldManagerConflictError when another manager owns a field `config` sets to a
 * different value, unless `force`. Returns the merged object (metadata.managedFields set).
 */
export function applyConfiguration(options: {
  live: JsonObject | undefined;
  config: JsonObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  now: Date;
}): JsonObject {
  const { live, config, manager, apiVersion } = options;
  const liveMeta = isObject(live?.metadata) ? live.metadata : {};
  const entries = readManagedFields(liveMeta.managedFields);
  const mineNow = leaves(tracked(config)).filter((p) => p.length > 0);
  const isMyApply = (e: ManagedFieldsEntry): boolean => e.manager === manager && e.operation === 'Apply' && !e.subresource;
  const liveTracked = tracked(live);
  const conflicts: Array<{ path: Path; manager: string }> = [];
  for (const entry of entries) {
    if (isMyApply(entry) || entry.subresource) continue;
    for (const owned of entryPaths(entry)) {
      for (const path of mineNow) {
        if (overlaps(owned, path) && !jsonEqual(getAt(liveTracked, path), getAt(config, path))) {
          conflicts.push({ path, manager: entry.manager });
        }
      }
    }
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts, apiVersion);
  const previouslyMine = entries.filter(isMyApply).flatMap(entryPaths);
  const ownedByOthers = entries.filter((e) => !isMyApply(e) && !e.subresource).flatMap(entryPaths);
  const released = previouslyMine.filter(
    (p) => !mineNow.some((m) => overlaps(m, p)) && !ownedByOthers.some((o) => overlaps(o, p)),
  );
  let merged: JsonObject = jsonClone(live ?? {});
  for (const path of released) deleteAt(merged, path);
  merged = mergeConfig(merged, tracked(config)) as JsonObject;
  for (const key of ['apiVersion', 'kind'] as const) if (config[key] !== undefined) merged[key] = config[key];
  const meta = (merged.metadata = isObject(merged.metadata) ? merged.metadata : {});
  const configMeta = isObject(config.metadata) ? config.metadata : {};
  if (typeof configMeta.name === 'string') meta.name = configMeta.name;
  const time = seconds(options.now);
  const next: ManagedFieldsEntry[] = [];
  for (const entry of entries) {
    if (isMyApply(entry)) continue;
    const lost = conflicts.filter((c) => c.manager === entry.manager).map((c) => c.path);
    const kept = entryPaths(entry).filter((p) => !lost.some((l) => overlaps(l, p)));
    if (kept.length > 0) next.push(kept.length === entryPaths(entry).length ? entry : withPaths(entry, kept));
  }
  if (mineNow.length > 0) {
    next.push({ manager, operation: 'Apply', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mineNow) });
  }
  meta.managedFields = next;
  return merged;
}

function conflictError(conflicts: Array<{ path: Path; manager: string }>, apiVersion: string): FieldManagerConflictError {
  const causes: FieldCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    field: showPath(c.path),
    message: `conflict with ${JSON.stringify(c.manager)} using ${apiVersion}`,
  }));
  const n = causes.length;
  const list = causes.map((c) => `${c.message}: ${c.field}`).join('\n- ');
  const message = n === 1 ? `Apply failed with 1 conflict: ${list}` : `Apply failed with ${n} conflicts: ${causes.map((c) => `${c.message}: ${c.field}`).join(', ')}`;
  return new FieldManagerConflictError(message, causes);
}

/** Objects merge key by key; lists and scalars from `config` replace. */
function mergeConfig(base: unknown, config: unknown): unknown {
  if (!isObject(config) || !isObject(base)) return jsonClone(config);
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(config)) out[k] = mergeConfig(base[k], v);
  return out;
}

function deleteAt(obj: JsonObject, path: Path): void {
  let node: unknown = obj;
  for (const key of path.slice(0, -1)) node = isObject(node) ? node[key] : undefined;
  if (isObject(node)) delete node[path[path.length - 1]!];
}
