// A Backend wrapper that routes apply and remove through Metrics.applyKeepingCounters, so drop
// and exception totals lose nothing when an apply restarts the kernel counters. Wire it once in
// main.ts around the real backend; the reconciler needs no change.

import type { Backend } from '../dataplane/backend.js';
import type { Metrics } from './metrics.js';

/** `backend` with apply/remove bracketed by counter reads; everything else passes through. */
export function keepCountersAcrossApply(backend: Backend, metrics: Pick<Metrics, 'applyKeepingCounters'>): Backend {
  return {
    name: backend.name,
    observe: () => backend.observe(),
    plan: (desired, observed) => backend.plan(desired, observed),
    apply: (desired) => metrics.applyKeepingCounters(() => backend.apply(desired)),
    readCounters: (desired) => backend.readCounters(desired),
    remove: () => metrics.applyKeepingCounters(() => backend.remove()),
  };
}
