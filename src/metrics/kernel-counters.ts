// Turns the kernel's rule counters into monotonic Prometheus counters. Kernel counters restart
// at zero whenever a table or chain is rewritten (an apply, a drift heal); we add only deltas, and
// a value lower than the last one is taken as a restart, so exported totals never go backwards.

import type { Counter } from 'prom-client';
import type { CounterSample } from '../dataplane/backend.js';
import { canonicalJson } from '../ruleset/hash.js';

interface Bound {
  dropped: Counter<'src_network' | 'dst_network' | 'reason' | 'policy'>;
  droppedBytes: Counter<'src_network' | 'dst_network' | 'reason' | 'policy'>;
  audit: Counter<'src_network' | 'dst_network' | 'reason' | 'policy'>;
  exception: Counter<'kind' | 'name'>;
}

export class KernelCounterTracker {
  private readonly last = new Map<string, { packets: number; bytes: number }>();
  private counters: Bound | undefined;

  bind(counters: Bound): void {
    this.counters = counters;
  }

  /** Deltas since the previous samples, keyed by labels and occurrence (two rules may share labels). */
  static deltas(
    previous: Map<string, { packets: number; bytes: number }>,
    samples: CounterSample[],
  ): Array<{ sample: CounterSample; packets: number; bytes: number; key: string }> {
    const seen = new Map<string, number>();
    return samples.map((sample) => {
      const labelKey = canonicalJson(sample.labels);
      const n = seen.get(labelKey) ?? 0;
      seen.set(labelKey, n + 1);
      const key = `${labelKey}#${n}`;
      const before = previous.get(key);
      const restarted = !before || sample.packets < before.packets || sample.bytes < before.bytes;
      const packets = restarted ? sample.packets : sample.packets - before.packets;
      const bytes = restarted ? sample.bytes : sample.bytes - before.bytes;
      return { sample, packets, bytes, key };
    });
  }

  update(samples: CounterSample[]): void {
    const c = this.counters;
    for (const { sample, packets, bytes, key } of KernelCounterTracker.deltas(this.last, samples)) {
      this.last.set(key, { packets: sample.packets, bytes: sample.bytes });
      if (!c) continue;
      const l = sample.labels;
      if (l.metric === 'exception') {
        c.exception.inc({ kind: l.kind, name: l.name }, packets);
        continue;
      }
      const labels = { src_network: l.srcNetwork, dst_network: l.dstNetwork, reason: l.reason, policy: l.policy };
      if (l.metric === 'audit') c.audit.inc(labels, packets);
      else {
        c.dropped.inc(labels, packets);
        c.droppedBytes.inc(labels, bytes);
      }
    }
  }
}
