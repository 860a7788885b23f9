// The GitOps sync's Prometheus metrics, registered into a Registry passed in (the process's one),
// never into prom-client's global registry. Names fixed by issue 5; documented in docs/gitops.md.

import { Counter, Gauge, type Registry } from 'prom-client';

export type SyncResultLabel = 'applied' | 'noop' | 'error';

export interface GitopsMetrics {
  /** One finished (non dry-run) sync: counts it; on success also stamps the time and revision. */
  recordSync(result: SyncResultLabel, now: Date, appliedRevision: string | undefined): void;
  recordPruned(count: number): void;
  recordDriftHealed(count: number): void;
}

/** Create and register the metrics. Throws if `registry` already holds them (one sync per registry). */
export function createGitopsMetrics(registry: Registry): GitopsMetrics {
  const registers = [registry];
  const lastSync = new Gauge({
    name: 'dockfence_gitops_last_sync_timestamp_seconds',
    help: 'Unix time of the last GitOps sync that ended without error.',
    registers,
  });
  const syncs = new Counter({
    name: 'dockfence_gitops_sync_total',
    help: 'GitOps sync runs by result (applied: something changed, noop: nothing to do, error).',
    labelNames: ['result'] as const,
    registers,
  });
  const pruned = new Counter({
    name: 'dockfence_gitops_objects_pruned_total',
    help: 'Objects deleted by the GitOps sync because they left the repository.',
    registers,
  });
  const driftHealed = new Counter({
    name: 'dockfence_gitops_drift_healed_total',
    help: 'Managed objects the GitOps sync put back after they were changed outside git.',
    registers,
  });
  const revisionInfo = new Gauge({
    name: 'dockfence_gitops_revision_info',
    help: 'The commit last applied by the GitOps sync (value 1, commit in the revision label).',
    labelNames: ['revision'] as const,
    registers,
  });
  for (const result of ['applied', 'noop', 'error'] as const) syncs.inc({ result }, 0);
  pruned.inc(0);
  driftHealed.inc(0);
  let shownRevision: string | undefined;

  return {
    recordSync(result, now, appliedRevision) {
      syncs.inc({ result });
      if (result !== 'error') lastSync.set(now.getTime() / 1000);
      if (appliedRevision !== undefined && appliedRevision !== shownRevision) {
        revisionInfo.reset();
        revisionInfo.set({ revision: appliedRevision }, 1);
        shownRevision = appliedRevision;
      }
    },
    recordPruned(count) {
      if (count > 0) pruned.inc(count);
    },
    recordDriftHealed(count) {
      if (count > 0) driftHealed.inc(count);
    },
  };
}
