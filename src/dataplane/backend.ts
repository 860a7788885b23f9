// The dataplane contract: a backend applies a desired Ruleset atomically (nftables: one kernel
// transaction; iptables: one per table, in an order that never opens anything), reads
// back what is live (only what dockfence owns) and reads the kernel's counters. The controller
// talks to backends only through this interface; backends never see resources.

import type { CounterLabels, Hook, Ruleset } from '../ruleset/model.js';

/** One live chain we own, as parsed back from the kernel. */
export interface ObservedChain {
  name: string;
  hook?: Hook;
  /** `dockfence:<hash>` tags of the chain's rules, in kernel order. */
  ruleHashes: string[];
  /** Rules in our chain without our tag: someone else's edit (drift). */
  untagged: number;
}

export interface ObservedSet {
  name: string;
  elements: string[]; // sorted
}

/** What the kernel holds of ours. `present: false` = none of our table/chains exist. */
export interface ObservedRuleset {
  present: boolean;
  chains: ObservedChain[];
  sets: ObservedSet[];
  /**
   * Our hooks in shared places (DOCKER-USER mark accept, iptables jumps from FORWARD/INPUT/nat):
   * hook id -> its position among the foreign chain's rules (0 = first), or absent when missing.
   */
  hooks: Record<string, number>;
}

export interface CounterSample {
  labels: CounterLabels;
  packets: number;
  bytes: number;
}

/** What differs between desired and observed; empty `differences` = nothing to apply. */
export interface Plan {
  differences: string[];
}

export interface Backend {
  readonly name: 'nftables' | 'iptables';
  /** Read our live state. Throws ParseError/ExecError when the kernel cannot be read. */
  observe(): Promise<ObservedRuleset>;
  /** Compare desired with observed (pure; exposed for the controller and tests). */
  plan(desired: Ruleset, observed: ObservedRuleset): Plan;
  /**
   * Replace our state by `desired`: one transaction (nftables), or one per table in a fail-closed
   * order (iptables commits per table). Throws ApplyError.
   */
  apply(desired: Ruleset): Promise<void>;
  /** Kernel counters of the counted rules of `desired` (0 for rules not live). */
  readCounters(desired: Ruleset): Promise<CounterSample[]>;
  /** Remove everything we own, leaving the host as Docker configured it. */
  remove(): Promise<void>;
}
