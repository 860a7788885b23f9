// What a full (~4 min), a quick (~30 s) and a large (~6 min) bench run measure: the inventory
// scales, the data-plane scenarios and how often each step is repeated. Edit here to change the sweep.

import type { ControlScale } from './control-plane.js';
import type { DataplaneScenario } from './dataplane.js';
import type { Scale } from './inventory.js';
import type { SampleOptions } from './stats.js';

export interface BenchPlan {
  control: { scales: ControlScale[]; pure: SampleOptions; kernel: SampleOptions; heavy: SampleOptions };
  dataplane: { scenarios: DataplaneScenario[]; seconds: number; reps: number; tcpReps: number };
  reconcile: { scales: Array<Scale & { heavy?: boolean }>; reps: SampleOptions; heavy: SampleOptions };
}

const s = (networks: number, containers: number, exceptions: number): Scale => ({ networks, containers, exceptions });

/**
 * One factor at a time around N=50 M=1000 K=100 (N 10/50/200, M 100/1000/5000, K 10/100/1000).
 * N=200 takes seconds per step (40k rules): one or two timed runs each, and the IptablesBackend
 * (tens of seconds per step there) only in the large plan, so a full run stays under 5 min.
 */
export const fullPlan: BenchPlan = {
  control: {
    scales: [s(10, 1000, 100), s(50, 1000, 100), { ...s(200, 1000, 100), heavy: true, nftOnly: true }, s(50, 100, 100), s(50, 5000, 100), s(50, 1000, 10), s(50, 1000, 1000)],
    pure: { minReps: 3, maxReps: 20, budgetMs: 400 },
    kernel: { minReps: 2, maxReps: 8, budgetMs: 500 },
    heavy: { minReps: 1, maxReps: 1, warmup: 0 },
  },
  dataplane: {
    scenarios: [
      { exceptions: 0 },
      { networks: 2, exceptions: 0 },
      { networks: 2, exceptions: 1000 },
      { networks: 200, exceptions: 0 },
      { networks: 200, exceptions: 1000 },
    ],
    seconds: 0.4,
    reps: 5,
    tcpReps: 3,
  },
  reconcile: {
    scales: [s(10, 100, 10), s(50, 1000, 100), { ...s(200, 1000, 100), heavy: true }],
    reps: { minReps: 5, maxReps: 40, budgetMs: 3000 },
    heavy: { minReps: 2, maxReps: 2, warmup: 0 },
  },
};

export const quickPlan: BenchPlan = {
  control: {
    scales: [s(10, 100, 10), { ...s(50, 1000, 100), heavy: true }],
    pure: { minReps: 3, maxReps: 10, budgetMs: 300 },
    kernel: { minReps: 2, maxReps: 3, budgetMs: 300 },
    heavy: { minReps: 1, maxReps: 1, warmup: 0 },
  },
  dataplane: {
    scenarios: [{ networks: 2, exceptions: 0 }, { networks: 50, exceptions: 500 }],
    seconds: 0.5,
    reps: 2,
    tcpReps: 1,
  },
  reconcile: {
    scales: [s(10, 100, 10)],
    reps: { minReps: 3, maxReps: 10, budgetMs: 1000 },
    heavy: { minReps: 1, maxReps: 1 },
  },
};

/** The full plan plus the IptablesBackend at N=200 and the largest corner (N=200 M=5000 K=1000): ~8 min. */
export const largePlan: BenchPlan = {
  ...fullPlan,
  control: {
    ...fullPlan.control,
    scales: [...fullPlan.control.scales.map(({ nftOnly: _, ...scale }) => scale), { ...s(200, 5000, 1000), heavy: true }],
  },
};
