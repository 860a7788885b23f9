// One reconcile of the whole host, always the same five steps: observe (store, Docker, live
// ruleset) -> compile -> diff -> apply (one transaction, only when different) -> record (status,
// metrics). Level-triggered: it never asks what happened, only what is and what should be.

import { compile } from '../compiler/compile.js';
import type { ResourceResult } from '../compiler/results.js';
import type { DockerInventory } from '../compiler/snapshot.js';
import type { Backend } from '../dataplane/backend.js';
import type { Metrics } from '../metrics/metrics.js';
import { canonicalJson } from '../ruleset/hash.js';
import type { Ruleset } from '../ruleset/model.js';
import type { AnyResource, EgressException, ExposeRule, IsolationPolicy, Kind, ResourceStatus } from '../resources/types.js';
import type { PreflightReport } from './preflight.js';
import { buildStatus, type Outcome } from './status.js';
import type { RunResult } from './queue.js';

/** What reconcile needs of the store (declared here, implemented by src/store). */
export interface ResourceStoreView {
  list(kind: Kind): Promise<AnyResource[]>;
  updateStatus(kind: Kind, name: string, status: ResourceStatus): Promise<unknown>;
}

export interface ReconcileDeps {
  store: ResourceStoreView;
  readInventory: (dockerIptables: boolean) => Promise<DockerInventory>;
  backend: Backend;
  preflight: () => Promise<PreflightReport>;
  metrics?: Metrics;
  now: () => Date;
  log: (message: string) => void;
  /** How often status packet counts may change (keeps status writes rare). */
  statusCountsIntervalMs: number;
  /** serve --drops-by-source: compile rulesets that count drops per source address. */
  dropsBySource?: boolean;
}

/** Kinds of drift, for dockfence_drift_healed_total{kind}. */
export function classifyDrift(differences: string[]): string[] {
  const kinds = differences.map((d) =>
    d.startsWith('table') ? 'table' : d.startsWith('hook') ? 'hook' : d.startsWith('set') ? 'set' : / missing$/.test(d) ? 'chain' : 'rules',
  );
  return [...new Set(kinds)].sort();
}

function statusEqual(a: ResourceStatus | undefined, b: ResourceStatus): boolean {
  return a !== undefined && canonicalJson(a) === canonicalJson(b);
}

export class Reconciler {
  /** The ruleset last found or made live: a difference against the same ruleset is drift. */
  private lastApplied: Ruleset | undefined;
  private lastCountsAt = 0;
  private packetTotals = new Map<string, number>();
  /** The last compiled ruleset (for metrics scrapes and `check`). */
  desired: Ruleset | undefined;
  lastPreflight: PreflightReport | undefined;
  lastResults: ResourceResult[] = [];
  /** The Docker inventory of the last reconcile (names per-source drop metrics). */
  lastInventory: DockerInventory | undefined;

  constructor(private readonly deps: ReconcileDeps) {}

  /** Run one reconcile. Throws (for a retry with backoff) when Docker or the kernel fails. */
  async reconcile(): Promise<RunResult> {
    const started = performance.now();
    const { deps } = this;
    let result = 'error';
    try {
      const preflight = await deps.preflight();
      this.lastPreflight = preflight;
      deps.metrics?.hostReady.set(preflight.ready ? 1 : 0);
      if (preflight.dockerIptables === undefined) throw new Error('Docker is not reachable');

      const [policies, exposeRules, egressExceptions, inventory] = await Promise.all([
        deps.store.list('IsolationPolicy') as Promise<IsolationPolicy[]>,
        deps.store.list('ExposeRule') as Promise<ExposeRule[]>,
        deps.store.list('EgressException') as Promise<EgressException[]>,
        deps.readInventory(preflight.dockerIptables),
      ]);
      this.lastInventory = inventory;
      const options = deps.dropsBySource ? { options: { dropsBySource: true } } : {};
      const { ruleset, results } = compile({ policies, exposeRules, egressExceptions, inventory, ...options });
      this.desired = ruleset;
      this.lastResults = results;
      const resources: AnyResource[] = [...policies, ...exposeRules, ...egressExceptions];
      const hostNotReady = preflight.checks
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.message}${c.fix ? ` (fix: ${c.fix})` : ''}`)
        .join('; ');

      try {
        result = await this.converge(ruleset);
      } catch (error) {
        deps.metrics?.rulesetApplied.set(0);
        await this.record(resources, results, { applyError: (error as Error).message, packets: new Map() });
        throw error;
      }
      const packets = await this.countPackets();
      await this.record(resources, results, { hostNotReady: hostNotReady || undefined, packets });
      deps.metrics?.lastSuccess.set(deps.now().getTime() / 1000);
      return {};
    } finally {
      deps.metrics?.reconciles.inc({ result });
      deps.metrics?.reconcileDuration.observe({ result }, (performance.now() - started) / 1000);
    }
  }

  /** Make the kernel equal to `ruleset`; returns noop or applied. */
  private async converge(ruleset: Ruleset): Promise<string> {
    const { backend, metrics, log } = this.deps;
    const observed = await backend.observe();
    if (ruleset.chains.length === 0) {
      this.lastApplied = ruleset;
      metrics?.rulesetApplied.set(1);
      // Nothing of ours may stay, a hook rule in a shared chain (DOCKER-USER, FORWARD) included.
      if (!observed.present && Object.keys(observed.hooks).length === 0) return 'noop';
      await backend.remove();
      log('nothing to enforce: removed dockfence rules');
      return 'applied';
    }
    const plan = backend.plan(ruleset, observed);
    if (plan.differences.length === 0) {
      this.lastApplied = ruleset;
      metrics?.rulesetApplied.set(1);
      return 'noop';
    }
    // Compared only when something differs. The compiler is deterministic (same input, same key
    // order), so plain JSON compares what canonicalJson would, several times faster.
    if (this.lastApplied !== undefined && JSON.stringify(this.lastApplied) === JSON.stringify(ruleset)) {
      for (const kind of classifyDrift(plan.differences)) metrics?.driftHealed.inc({ kind });
      log(`drift healed: ${plan.differences.join('; ')}`);
    } else {
      log(`applying: ${plan.differences.join('; ')}`);
    }
    await backend.apply(ruleset);
    const after = backend.plan(ruleset, await backend.observe());
    if (after.differences.length > 0) {
      metrics?.rulesetApplied.set(0);
      throw new Error(`dockfence bug: live ruleset differs right after apply: ${after.differences.join('; ')}`);
    }
    this.lastApplied = ruleset;
    metrics?.rulesetApplied.set(1);
    return 'applied';
  }

  /** Per-resource packet totals for status, refreshed at most every statusCountsIntervalMs. */
  private async countPackets(): Promise<Map<string, number>> {
    const now = this.deps.now().getTime();
    const metrics = this.deps.metrics;
    if (!metrics || now - this.lastCountsAt < this.deps.statusCountsIntervalMs) return new Map(this.packetTotals);
    this.lastCountsAt = now;
    try {
      this.packetTotals = await metrics.packetTotals();
    } catch (error) {
      this.deps.log(`reading counters: ${(error as Error).message}`);
    }
    return new Map(this.packetTotals);
  }

  private async record(resources: AnyResource[], results: ResourceResult[], outcome: Outcome): Promise<void> {
    const byKey = new Map(results.map((r) => [`${r.kind}/${r.name}`, r]));
    const now = this.deps.now();
    const readiness = new Map<string, { ready: number; notReady: number }>();
    for (const resource of resources) {
      const status = buildStatus(resource, byKey.get(`${resource.kind}/${resource.metadata.name}`), outcome, now);
      const count = readiness.get(resource.kind) ?? { ready: 0, notReady: 0 };
      if (status.conditions?.[0]?.status === 'True') count.ready++;
      else count.notReady++;
      readiness.set(resource.kind, count);
      if (statusEqual(resource.status, status)) continue;
      try {
        await this.deps.store.updateStatus(resource.kind, resource.metadata.name, status);
      } catch (error) {
        // Deleted meanwhile, or a newer write: the next reconcile records it.
        this.deps.log(`status of ${resource.kind}/${resource.metadata.name}: ${(error as Error).message}`);
      }
    }
    const gauge = this.deps.metrics?.resources;
    if (gauge) {
      gauge.reset();
      for (const kind of ['IsolationPolicy', 'ExposeRule', 'EgressException']) {
        const c = readiness.get(kind) ?? { ready: 0, notReady: 0 };
        gauge.set({ kind, ready: 'true' }, c.ready);
        gauge.set({ kind, ready: 'false' }, c.notReady);
      }
    }
  }
}
