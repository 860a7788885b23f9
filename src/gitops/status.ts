// What a sync reports and remembers: revisions, the inventory of objects it applied, the Ready
// condition (Kubernetes shape) and the last error. Kept in memory and persisted to a small JSON
// file after every run, so the inventory (what prune compares against) survives restarts.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KINDS, type Kind } from '../resources/types.js';
import type { SyncFailure } from './manifests.js';

export interface InventoryEntry {
  kind: Kind;
  name: string;
}

export interface ReadyCondition {
  type: 'Ready';
  status: 'True' | 'False' | 'Unknown';
  /** Succeeded, Progressing, FetchFailed, ManifestInvalid, ValidationFailed, ApplyFailed, PruneFailed, ApiUnavailable, ApiError. */
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface LastError {
  message: string;
  revision?: string;
  time: string;
  /** Per file/object/field, when the repository's content was at fault. */
  failures: SyncFailure[];
}

export interface GitopsStatus {
  lastAttemptedRevision?: string;
  lastAppliedRevision?: string;
  lastAttemptTime?: string;
  /** When a run last ended without error (applied or nothing to do). */
  lastSyncTime?: string;
  inventory: InventoryEntry[];
  conditions: ReadyCondition[];
  lastError?: LastError;
  /** Managed objects put back after someone changed them while the commit stayed the same. */
  driftHealedTotal: number;
  prunedTotal: number;
}

/** Where the status is persisted; the file implementation is below, tests use a Map. */
export interface StatusStore {
  load(): Promise<GitopsStatus | undefined>;
  save(status: GitopsStatus): Promise<void>;
}

export function initialStatus(now: Date): GitopsStatus {
  return {
    inventory: [],
    conditions: [
      { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'waiting for the first sync', lastTransitionTime: now.toISOString() },
    ],
    driftHealedTotal: 0,
    prunedTotal: 0,
  };
}

/**
 * The Ready condition set to (status, reason, message); lastTransitionTime changes only when
 * `status` does, as in Kubernetes.
 */
export function setReady(
  conditions: readonly ReadyCondition[],
  status: ReadyCondition['status'],
  reason: string,
  message: string,
  now: Date,
): ReadyCondition[] {
  const previous = conditions.find((c) => c.type === 'Ready');
  const lastTransitionTime = previous && previous.status === status ? previous.lastTransitionTime : now.toISOString();
  return [
    ...conditions.filter((c) => c.type !== 'Ready'),
    { type: 'Ready', status, reason, message, lastTransitionTime },
  ];
}

/** Inventory sorted by kind (SPEC order) then name, without duplicates. */
export function sortInventory(entries: readonly InventoryEntry[]): InventoryEntry[] {
  const seen = new Set<string>();
  return entries
    .filter((e) => {
      const key = `${e.kind}/${e.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A status persisted as JSON at `path`, written atomically (temporary file + rename). */
export class JsonStatusFile implements StatusStore {
  constructor(private readonly path: string) {}

  /** The saved status; undefined when the file does not exist. Throws Error naming the file if corrupt. */
  async load(): Promise<GitopsStatus | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`reading GitOps status ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`reading GitOps status ${this.path}: not JSON`, { cause: err });
    }
    return checkStatus(value, this.path);
  }

  async save(status: GitopsStatus): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.tmp`;
    await writeFile(temp, `${JSON.stringify(status, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.path);
  }
}

function checkStatus(value: unknown, path: string): GitopsStatus {
  const v = value as Partial<GitopsStatus> | null;
  const inventoryOk =
    Array.isArray(v?.inventory) &&
    v.inventory.every((e) => KINDS.includes(e?.kind as Kind) && typeof e?.name === 'string' && e.name !== '');
  if (!v || typeof v !== 'object' || !inventoryOk || !Array.isArray(v.conditions)) {
    throw new Error(`reading GitOps status ${path}: not a dockfence GitOps status file`);
  }
  return {
    ...v,
    inventory: v.inventory!,
    conditions: v.conditions,
    driftHealedTotal: typeof v.driftHealedTotal === 'number' ? v.driftHealedTotal : 0,
    prunedTotal: typeof v.prunedTotal === 'number' ? v.prunedTotal : 0,
  };
}
