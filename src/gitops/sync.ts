// One GitOps sync: fetch and resolve the branch, parse the manifests, validate ALL of them with a
// server-side dry run (any failure applies nothing), apply what differs, prune what left git,
// record status and metrics. Runs are serialized; a run requested while one waits joins it.

import { DockfenceError } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import { KINDS } from '../resources/types.js';
import { ApiStatusError, type LiveObject, type ResourceApi } from './api-client.js';
import { describeFailure, objectKey, parseSourceFiles, stampManifest, type DesiredObject, type SourceFile, type SyncFailure } from './manifests.js';
import type { GitopsMetrics } from './metrics.js';
import { planApply, planPrune, type ApplyStep, type PruneStep } from './plan.js';
import { describeChanges, PRUNE_REASONS, summarize, type SyncResult } from './result.js';
import { initialStatus, setReady, sortInventory, type GitopsStatus, type InventoryEntry, type StatusStore } from './status.js';

/** Where manifests come from (GitSource in production). */
export interface ManifestSource {
  resolve(): Promise<string>;
  readFiles(commit: string, path: string): Promise<SourceFile[]>;
}

export type { ChangeAction, SyncChange, SyncResult } from './result.js';

export interface GitopsSyncDeps {
  /** DNS-1123 label; objects are labelled `dockfence.io/managed-by: gitops-<name>`. */
  name: string;
  path: string;
  prune: boolean;
  source: ManifestSource;
  api: ResourceApi;
  now: () => Date;
  log: Log;
  metrics?: GitopsMetrics;
  store?: StatusStore;
  /** Scrubs secrets from every message bound for the log or the status. */
  redact?: (text: string) => string;
}

// HTTP codes that mean "this object is wrong": BadRequest, Conflict, Invalid.
const OBJECT_ERRORS = new Set([400, 409, 422]);

/** A failed step: Ready reason, message, and per-object failures. */
class SyncFailed extends DockfenceError {
  constructor(
    readonly reason: string,
    message: string,
    readonly failures: SyncFailure[] = [],
  ) {
    super(message);
  }
}

export class GitopsSync {
  private state?: GitopsStatus;
  private tail: Promise<unknown> = Promise.resolve();
  private queued?: Promise<SyncResult>;
  private readonly redact: (text: string) => string;

  constructor(private readonly deps: GitopsSyncDeps) {
    this.redact = deps.redact ?? ((t) => t);
  }

  /** The current status (a copy); the initial one until the persisted status is loaded. */
  status(): GitopsStatus {
    return structuredClone(this.state ?? initialStatus(this.deps.now()));
  }

  /**
   * Run one sync now, after any run in progress; concurrent requests for a real run share one.
   * Never throws: failures are in the result and the status. With `dryRun` nothing is written,
   * the status is left alone, and the result lists what would be created, changed and pruned.
   */
  run(options: { dryRun?: boolean } = {}): Promise<SyncResult> {
    if (options.dryRun) return this.enqueue(() => this.execute(true));
    this.queued ??= this.enqueue(() => {
      this.queued = undefined;
      return this.execute(false);
    });
    return this.queued;
  }

  private enqueue(task: () => Promise<SyncResult>): Promise<SyncResult> {
    const next = this.tail.then(task);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async execute(dryRun: boolean): Promise<SyncResult> {
    const state = await this.loadState();
    const started = this.deps.now();
    let revision: string | undefined;
    try {
      revision = await this.deps.source.resolve().catch((err: unknown) => {
        throw new SyncFailed('FetchFailed', errorText(err));
      });
      if (!dryRun) {
        state.lastAttemptedRevision = revision;
        state.lastAttemptTime = started.toISOString();
      }
      return await this.syncRevision(state, revision, dryRun);
    } catch (err) {
      const failed =
        err instanceof SyncFailed ? err : new SyncFailed(err instanceof ApiStatusError ? 'ApiError' : 'ApiUnavailable', errorText(err));
      const message = this.redact(failed.message);
      const failures = failed.failures.map((f) => ({ ...f, message: this.redact(f.message) }));
      this.deps.log(`gitops ${this.deps.name}: ${dryRun ? 'dry run ' : ''}failed${revision ? ` at ${short(revision)}` : ''}: ${message}`);
      if (!dryRun) await this.recordFailure(state, failed.reason, message, failures, revision);
      return { dryRun, result: 'error', revision, changes: [], error: { reason: failed.reason, message, failures } };
    }
  }

  private async syncRevision(state: GitopsStatus, revision: string, dryRun: boolean): Promise<SyncResult> {
    const files = await this.deps.source.readFiles(revision, this.deps.path).catch((err: unknown) => {
      throw new SyncFailed('FetchFailed', errorText(err));
    });
    const parsed = parseSourceFiles(files);
    if (parsed.failures.length > 0) throw invalid('ManifestInvalid', revision, parsed.failures);
    const desired = parsed.objects.map((o) => ({ ...o, manifest: stampManifest(o.manifest, this.deps.name, revision) }));
    const live = await this.listLive();
    const dryRunResults = await this.validate(desired, revision);
    const steps = planApply({
      desired,
      dryRun: dryRunResults,
      live,
      inventory: new Set(state.inventory.map((e) => objectKey(e.kind, e.name))),
      sameRevision: revision === state.lastAppliedRevision,
    });
    const pruneSteps = planPrune({
      previous: state.inventory,
      desiredKeys: new Set(desired.map((o) => objectKey(o.kind, o.name))),
      live,
      prune: this.deps.prune,
      syncName: this.deps.name,
    });
    const changes = describeChanges(steps, pruneSteps);
    const wrote = steps.some((s) => s.write) || pruneSteps.some((s) => s.action === 'prune');
    if (dryRun) return { dryRun, result: wrote ? 'applied' : 'noop', revision, changes };

    const applied = await this.applySteps(state, steps, revision);
    const drifted = steps.filter((s) => s.drift).length;
    state.driftHealedTotal += drifted;
    this.deps.metrics?.recordDriftHealed(drifted);
    state.lastAppliedRevision = revision;
    const pruneFailures = await this.pruneSteps(state, pruneSteps);
    // Objects whose deletion failed stay in the inventory, so the next run retries them.
    state.inventory = sortInventory([
      ...applied,
      ...pruneFailures.map((f) => ({ kind: f.kind as InventoryEntry['kind'], name: f.name! })),
    ]);
    if (pruneFailures.length > 0) {
      throw new SyncFailed('PruneFailed', `${pruneFailures.length} object(s) could not be pruned: ${pruneFailures.map(describeFailure).join('; ')}`, pruneFailures);
    }
    state.lastSyncTime = this.deps.now().toISOString();
    delete state.lastError;
    state.conditions = setReady(state.conditions, 'True', 'Succeeded', `Applied revision ${revision}: ${summarize(changes)}`, this.deps.now());
    await this.persist(state);
    this.deps.metrics?.recordSync(wrote ? 'applied' : 'noop', this.deps.now(), revision);
    return { dryRun, result: wrote ? 'applied' : 'noop', revision, changes };
  }

  /** Dry-run every object; any refusal fails the whole run before anything is written. */
  private async validate(desired: readonly DesiredObject[], revision: string): Promise<Map<string, LiveObject>> {
    const results = new Map<string, LiveObject>();
    const failures: SyncFailure[] = [];
    for (const object of desired) {
      try {
        results.set(objectKey(object.kind, object.name), await this.deps.api.apply(object.manifest, { dryRun: true }));
      } catch (err) {
        // Only a refusal of the object itself is the object's fault; auth or server errors are not.
        if (!(err instanceof ApiStatusError) || !OBJECT_ERRORS.has(err.httpStatus)) throw err;
        failures.push(...toFailures(object, err));
      }
    }
    if (failures.length > 0) throw invalid('ValidationFailed', revision, failures);
    return results;
  }

  /** Write the steps that need it; returns the new inventory's applied part. */
  private async applySteps(state: GitopsStatus, steps: readonly ApplyStep[], revision: string): Promise<InventoryEntry[]> {
    const applied: InventoryEntry[] = [];
    for (const step of steps) {
      const { kind, name } = step.object;
      if (step.write) {
        try {
          await this.deps.api.apply(step.object.manifest, { dryRun: false });
        } catch (err) {
          // Objects already written stay tracked, with everything the previous inventory had.
          state.inventory = sortInventory([...state.inventory, ...applied]);
          const failure = err instanceof ApiStatusError ? toFailures(step.object, err) : [{ ...at(step.object), message: errorText(err) }];
          throw new SyncFailed('ApplyFailed', `applying revision ${short(revision)} stopped at ${kind} "${name}": ${failure.map(describeFailure).join('; ')}`, failure);
        }
        const what = step.drift ? 'restored (drift)' : step.action === 'unchanged' ? 'stamped' : step.action;
        this.deps.log(`gitops ${this.deps.name}: ${kind}/${name} ${what} at ${short(revision)}`);
      }
      applied.push({ kind, name });
    }
    return applied;
  }

  /** Delete what prune may delete; returns the deletions that failed (kept in the inventory). */
  private async pruneSteps(state: GitopsStatus, steps: readonly PruneStep[]): Promise<SyncFailure[]> {
    const failures: SyncFailure[] = [];
    let pruned = 0;
    for (const step of steps) {
      if (step.action !== 'prune') {
        if (step.action !== 'gone') this.deps.log(`gitops ${this.deps.name}: ${step.kind}/${step.name} not pruned: ${PRUNE_REASONS[step.action]}`);
        continue;
      }
      try {
        if (await this.deps.api.remove(step.kind, step.name)) pruned++;
        this.deps.log(`gitops ${this.deps.name}: ${step.kind}/${step.name} pruned`);
      } catch (err) {
        failures.push({ kind: step.kind, name: step.name, message: err instanceof Error ? err.message : String(err) });
      }
    }
    state.prunedTotal += pruned;
    this.deps.metrics?.recordPruned(pruned);
    return failures;
  }

  private async listLive(): Promise<Map<string, LiveObject>> {
    const live = new Map<string, LiveObject>();
    for (const kind of KINDS) {
      for (const object of await this.deps.api.list(kind)) live.set(objectKey(kind, object.metadata.name), object);
    }
    return live;
  }

  private async recordFailure(state: GitopsStatus, reason: string, message: string, failures: SyncFailure[], revision?: string): Promise<void> {
    const now = this.deps.now();
    state.lastError = { message, revision, time: now.toISOString(), failures };
    state.conditions = setReady(state.conditions, 'False', reason, message, now);
    await this.persist(state);
    this.deps.metrics?.recordSync('error', now, state.lastAppliedRevision);
  }

  private async loadState(): Promise<GitopsStatus> {
    if (this.state) return this.state;
    let loaded: GitopsStatus | undefined;
    try {
      loaded = await this.deps.store?.load();
    } catch (err) {
      // A corrupt file must not stop syncing; the inventory restarts empty (nothing is pruned).
      this.deps.log(`gitops ${this.deps.name}: ${errorText(err)}; starting with an empty inventory`);
    }
    this.state = loaded ?? initialStatus(this.deps.now());
    return this.state;
  }

  private async persist(state: GitopsStatus): Promise<void> {
    try {
      await this.deps.store?.save(state);
    } catch (err) {
      this.deps.log(`gitops ${this.deps.name}: saving status: ${errorText(err)}`);
    }
  }
}

function at(object: DesiredObject): SyncFailure {
  return { where: object.where, kind: object.kind, name: object.name, message: '' };
}

/** One failure per field cause the server named (or one for the whole object). */
function toFailures(object: DesiredObject, err: ApiStatusError): SyncFailure[] {
  if (err.causes.length === 0) return [{ ...at(object), message: err.message }];
  return err.causes.map((c) => ({ ...at(object), ...(c.field ? { field: c.field } : {}), message: c.message ?? err.message }));
}

function invalid(reason: string, revision: string, failures: SyncFailure[]): SyncFailed {
  const shown = failures.slice(0, 5).map(describeFailure).join('; ');
  const more = failures.length > 5 ? `; and ${failures.length - 5} more` : '';
  return new SyncFailed(reason, `revision ${short(revision)} not applied (${failures.length} invalid): ${shown}${more}`, failures);
}

function short(revision: string): string {
  return revision.slice(0, 12);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
