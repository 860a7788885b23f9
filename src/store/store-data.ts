// The on-disk shape of the store file and its sanity check. Status lives apart from the object so
// a controller's status write never rewrites (or races with) what users declared.

import { KINDS, type Kind, type ObjectMeta, type ResourceStatus } from '../resources/types.js';

export const STORE_FORMAT = 'dockfence-store/v1';
export const HISTORY_LIMIT = 10;

/** An object as stored: everything but status. */
export interface StoredObject {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: unknown;
}

/** One recorded generation of a spec. */
export interface HistoryEntry {
  generation: number;
  resourceVersion: string;
  timestamp: string;
  spec: unknown;
}

export interface StoreData {
  format: typeof STORE_FORMAT;
  resourceVersion: number;
  objects: Record<string, StoredObject>;
  statuses: Record<string, ResourceStatus>;
  history: Record<string, HistoryEntry[]>;
}

export function emptyStoreData(): StoreData {
  return { format: STORE_FORMAT, resourceVersion: 0, objects: {}, statuses: {}, history: {} };
}

/** `Kind/name`, the key of an object in every map of StoreData. */
export function keyOf(kind: Kind, name: string): string {
  return `${kind}/${name}`;
}

/** Why `data` is not a store document, or undefined when it is one. */
export function checkStoreData(data: unknown): string | undefined {
  const d = data as Partial<StoreData> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return 'it is not a JSON object';
  if (d.format !== STORE_FORMAT) return `it is not a dockfence store (format ${JSON.stringify(d.format)}, expected ${STORE_FORMAT})`;
  if (!Number.isSafeInteger(d.resourceVersion) || d.resourceVersion! < 0) return 'resourceVersion is not a non-negative integer';
  for (const field of ['objects', 'statuses', 'history'] as const) {
    const value = d[field];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `"${field}" is not an object`;
  }
  for (const [key, obj] of Object.entries(d.objects!)) {
    if (!KINDS.includes(obj?.kind) || typeof obj.metadata?.name !== 'string' || key !== keyOf(obj.kind, obj.metadata.name)) {
      return `object ${JSON.stringify(key)} is malformed`;
    }
  }
  return undefined;
}
