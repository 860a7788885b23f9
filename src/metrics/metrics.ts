// Every Prometheus metric dockfence exports (names fixed by SPEC.md), created once per process
// and passed in. Drop and exception counters are read from the kernel at scrape time.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CounterSample } from '../dataplane/backend.js';
import { KernelCounterTracker } from './kernel-counters.js';

export interface Metrics {
  registry: Registry;
  reconcileDuration: Histogram<'result'>;
  reconciles: Counter<'result'>;
  driftHealed: Counter<'kind'>;
  lastSuccess: Gauge;
  rulesetApplied: Gauge;
  resources: Gauge<'kind' | 'ready'>;
  hostReady: Gauge;
  /** Where scrapes read kernel counters from (the controller sets it once wired). */
  setCounterSource(source: () => Promise<CounterSample[]>): void;
}

const DROP_LABELS = ['src_network', 'dst_network', 'reason', 'policy'] as const;

/** Build the registry and metrics. `version` and `backend` go into dockfence_build_info. */
export function createMetrics(options: { version: string; backend: string }): Metrics {
  const registry = new Registry();
  const tracker = new KernelCounterTracker();
  let source: (() => Promise<CounterSample[]>) | undefined;
  let lastRead: Promise<void> | undefined;

  // prom-client calls collect() of each kernel-backed metric per scrape; one kernel read serves them all.
  const refresh = async (): Promise<void> => {
    if (!source) return;
    lastRead ??= source()
      .then((samples) => tracker.update(samples))
      .catch(() => undefined)
      .finally(() => {
        lastRead = undefined;
      });
    await lastRead;
  };

  const dropped = new Counter({ name: 'dockfence_dropped_packets_total', help: 'Packets dropped by dockfence, by network pair, reason and deciding policy.', labelNames: DROP_LABELS, registers: [registry], collect: refresh });
  const droppedBytes = new Counter({ name: 'dockfence_dropped_bytes_total', help: 'Bytes dropped by dockfence, by network pair, reason and deciding policy.', labelNames: DROP_LABELS, registers: [registry], collect: refresh });
  const audit = new Counter({ name: 'dockfence_audit_packets_total', help: 'Packets an Audit-mode policy would have dropped.', labelNames: DROP_LABELS, registers: [registry], collect: refresh });
  const exception = new Counter({ name: 'dockfence_exception_packets_total', help: 'Packets admitted by each exception (new connections).', labelNames: ['kind', 'name'] as const, registers: [registry], collect: refresh });
  tracker.bind({ dropped, droppedBytes, audit, exception });

  const metrics: Metrics = {
    registry,
    reconcileDuration: new Histogram({
      name: 'dockfence_reconcile_duration_seconds',
      help: 'Time of one reconcile: observe, compile, diff, apply, record.',
      labelNames: ['result'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    reconciles: new Counter({ name: 'dockfence_reconciles_total', help: 'Reconciles by result (noop, applied, error).', labelNames: ['result'] as const, registers: [registry] }),
    driftHealed: new Counter({ name: 'dockfence_drift_healed_total', help: 'Drift found in the live firewall and healed, by kind.', labelNames: ['kind'] as const, registers: [registry] }),
    lastSuccess: new Gauge({ name: 'dockfence_last_reconcile_success_timestamp_seconds', help: 'Unix time of the last successful reconcile.', registers: [registry] }),
    rulesetApplied: new Gauge({ name: 'dockfence_ruleset_applied', help: '1 when the live ruleset equals the desired one.', registers: [registry] }),
    resources: new Gauge({ name: 'dockfence_resources', help: 'Resources by kind and Ready condition.', labelNames: ['kind', 'ready'] as const, registers: [registry] }),
    hostReady: new Gauge({ name: 'dockfence_host_ready', help: '1 when the host preflight passes (br_netfilter, sysctls, tools, Docker).', registers: [registry] }),
    setCounterSource(fn) {
      source = fn;
    },
  };
  new Gauge({ name: 'dockfence_build_info', help: 'Build information.', labelNames: ['version', 'backend'] as const, registers: [registry] })
    .set({ version: options.version, backend: options.backend }, 1);
  return metrics;
}
