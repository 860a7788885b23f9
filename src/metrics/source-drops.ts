// The opt-in per-source drop breakdown (serve --drops-by-source) as Prometheus counters:
// dockfence_dropped_{packets,bytes}_by_source_total{src_container, src_network}. Kernel set
// elements are named after the last Docker inventory and folded in as monotonic deltas.

import type { Counter } from 'prom-client';
import type { DockerInventory } from '../compiler/snapshot.js';

/** One kernel element (source address + input interface) with its counter. */
export interface SourceDropSample {
  family: 'ipv4' | 'ipv6';
  saddr: string;
  ifname: string;
  packets: number;
  bytes: number;
}

export interface SourceLabels {
  src_container: string;
  src_network: string;
}

/**
 * Prometheus labels of a source: the container holding `saddr` (on the network whose bridge is
 * `ifname` when several match) and that network; "" for an address no container holds. The
 * network falls back to the bridge's network name, else "".
 */
export function labelSource(sample: SourceDropSample, inventory: DockerInventory | undefined): SourceLabels {
  const network = inventory?.networks.find((n) => n.bridge === sample.ifname)?.name ?? '';
  const same = (ip: string | undefined): boolean => ip !== undefined && ip.toLowerCase() === sample.saddr.toLowerCase();
  let best: SourceLabels | undefined;
  for (const c of inventory?.containers ?? []) {
    for (const e of c.endpoints) {
      if (!same(sample.family === 'ipv4' ? e.ipv4 : e.ipv6)) continue;
      if (e.network === network || network === '') return { src_container: c.name, src_network: e.network };
      best ??= { src_container: c.name, src_network: e.network };
    }
  }
  return best ?? { src_container: '', src_network: network };
}

/**
 * Turns set-element counters into monotonic totals. The set empties whenever nft rewrites our
 * table; an element that vanished, is new, or went lower counts from zero, so totals never
 * go backwards (the caller reads right before and after each apply, as for rule counters).
 */
export class SourceDropTracker {
  private last = new Map<string, { packets: number; bytes: number }>();

  constructor(private readonly counters: { packets: Counter<keyof SourceLabels>; bytes: Counter<keyof SourceLabels> }) {}

  update(samples: SourceDropSample[], inventory: DockerInventory | undefined): void {
    const next = new Map<string, { packets: number; bytes: number }>();
    for (const s of samples) {
      const key = `${s.family}|${s.saddr}|${s.ifname}`;
      const before = this.last.get(key);
      const restarted = !before || s.packets < before.packets || s.bytes < before.bytes;
      const packets = restarted ? s.packets : s.packets - before.packets;
      const bytes = restarted ? s.bytes : s.bytes - before.bytes;
      next.set(key, { packets: s.packets, bytes: s.bytes });
      if (packets === 0 && bytes === 0 && before) continue;
      const labels = labelSource(s, inventory);
      this.counters.packets.inc(labels, packets);
      this.counters.bytes.inc(labels, bytes);
    }
    this.last = next;
  }
}
