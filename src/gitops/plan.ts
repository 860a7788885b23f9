// What one sync run will do, decided from plain data: for each object in git, whether the server's
// dry-run result differs from the live object (create, update, drift); for each object that left
// git, whether prune may delete it. No I/O: sync.ts gathers the inputs and carries the plan out.

import type { LiveObject } from './api-client.js';
import { MANAGED_BY_LABEL, PRUNE_ANNOTATION, REVISION_ANNOTATION, managedByValue, objectKey, type DesiredObject } from './manifests.js';
import type { InventoryEntry } from './status.js';

/** created / configured (content changed) / unchanged (at most the revision stamp changes). */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyStep {
  object: DesiredObject;
  action: ApplyAction;
  /** The live object differs from what git declares: it must be written. */
  write: boolean;
  /** Written although the commit did not change: someone changed (or deleted) a managed object. */
  drift: boolean;
}

/**
 * prune: delete it; orphan: left in place because prune is off; unmanaged: our label is gone
 * (taken over by hand), never deleted; disabled: annotated `dockfence.io/prune: disabled`;
 * gone: already deleted.
 */
export type PruneAction = 'prune' | 'orphan' | 'unmanaged' | 'disabled' | 'gone';

export interface PruneStep {
  kind: InventoryEntry['kind'];
  name: string;
  action: PruneAction;
}

/**
 * Decide each object's step from its live version (undefined = absent) and the server's dry-run
 * answer. `inventory` holds keys applied by the previous runs; `sameRevision` is true when the
 * commit is the one last applied, so any needed write there is drift being healed.
 */
export function planApply(input: {
  desired: readonly DesiredObject[];
  dryRun: ReadonlyMap<string, LiveObject>;
  live: ReadonlyMap<string, LiveObject>;
  inventory: ReadonlySet<string>;
  sameRevision: boolean;
}): ApplyStep[] {
  return input.desired.map((object) => {
    const key = objectKey(object.kind, object.name);
    const before = input.live.get(key);
    const after = input.dryRun.get(key);
    const known = input.inventory.has(key) && input.sameRevision;
    if (!before) return { object, action: 'created', write: true, drift: known };
    if (!after) throw new Error(`dockfence bug: no dry-run result for ${key}`);
    const write = !sameContent(before, after, false);
    const action: ApplyAction = sameContent(before, after, true) ? 'unchanged' : 'configured';
    return { object, action, write, drift: write && known };
  });
}

/**
 * Decide what happens to each object of `previous` that git no longer declares. Only objects
 * still labelled `gitops-<syncName>` and not annotated `dockfence.io/prune: disabled` are pruned,
 * and only when `prune` is on.
 */
export function planPrune(input: {
  previous: readonly InventoryEntry[];
  desiredKeys: ReadonlySet<string>;
  live: ReadonlyMap<string, LiveObject>;
  prune: boolean;
  syncName: string;
}): PruneStep[] {
  const steps: PruneStep[] = [];
  for (const entry of input.previous) {
    const key = objectKey(entry.kind, entry.name);
    if (input.desiredKeys.has(key)) continue;
    const live = input.live.get(key);
    let action: PruneAction;
    if (!live) action = 'gone';
    else if (live.metadata.labels?.[MANAGED_BY_LABEL] !== managedByValue(input.syncName)) action = 'unmanaged';
    else if (live.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled') action = 'disabled';
    else action = input.prune ? 'prune' : 'orphan';
    steps.push({ kind: entry.kind, name: entry.name, action });
  }
  return steps;
}

/**
 * True when spec, labels and annotations are equal (what an apply can change). With
 * `ignoreRevision` the revision annotation is left out, so a mere restamp is not a "change".
 */
export function sameContent(a: LiveObject, b: LiveObject, ignoreRevision: boolean): boolean {
  const pick = (o: LiveObject): string => {
    const annotations = { ...o.metadata.annotations };
    if (ignoreRevision) delete annotations[REVISION_ANNOTATION];
    return canonicalJson({ spec: o.spec ?? null, labels: o.metadata.labels ?? {}, annotations });
  };
  return pick(a) === pick(b);
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
