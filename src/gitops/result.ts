// What a sync run reports: one change per object (created, configured, unchanged, pruned,
// orphaned, skipped) and, for a failed run, the Ready reason with per-file/object/field failures.
// Pure; shared by the sync, the router and `dockfence sync`.

import type { SyncFailure } from './manifests.js';
import type { ApplyStep, PruneStep } from './plan.js';

export type ChangeAction = 'created' | 'configured' | 'unchanged' | 'pruned' | 'orphaned' | 'skipped';

export interface SyncChange {
  kind: string;
  name: string;
  action: ChangeAction;
  where?: string;
  /** Put back after a change outside git (same commit). */
  drift?: boolean;
  /** Why a removed object was orphaned or skipped. */
  reason?: string;
}

export interface SyncResult {
  dryRun: boolean;
  result: 'applied' | 'noop' | 'error';
  revision?: string;
  changes: SyncChange[];
  error?: { reason: string; message: string; failures: SyncFailure[] };
}

export const PRUNE_REASONS: Record<Exclude<PruneStep['action'], 'prune' | 'gone'>, string> = {
  orphan: 'removed from git; left in place because prune is disabled',
  unmanaged: 'removed from git; no longer labelled as managed by this sync',
  disabled: 'removed from git; annotated dockfence.io/prune: disabled',
};

/** The changes of a plan, in apply order, then the removed objects. */
export function describeChanges(steps: readonly ApplyStep[], pruneSteps: readonly PruneStep[]): SyncChange[] {
  const changes: SyncChange[] = steps.map((s) => ({
    kind: s.object.kind,
    name: s.object.name,
    action: s.action === 'unchanged' && s.drift ? 'configured' : s.action,
    where: s.object.where,
    ...(s.drift ? { drift: true } : {}),
  }));
  for (const step of pruneSteps) {
    if (step.action === 'gone') continue;
    if (step.action === 'prune') changes.push({ kind: step.kind, name: step.name, action: 'pruned' });
    else changes.push({ kind: step.kind, name: step.name, action: step.action === 'orphan' ? 'orphaned' : 'skipped', reason: PRUNE_REASONS[step.action] });
  }
  return changes;
}

/** `2 created, 1 pruned, 1 restored from drift` for the Ready message. */
export function summarize(changes: readonly SyncChange[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  const drift = changes.filter((c) => c.drift).length;
  const parts = ['created', 'configured', 'unchanged', 'pruned', 'orphaned', 'skipped']
    .filter((a) => counts.has(a))
    .map((a) => `${counts.get(a)} ${a}`);
  if (drift > 0) parts.push(`${drift} restored from drift`);
  return parts.length > 0 ? parts.join(', ') : 'no objects';
}

