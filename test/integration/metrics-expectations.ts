// What each Grafana panel must show for the metrics-prometheus scenario: which series exist,
// which are non-zero and which stay at zero. Keyed by panel title; the test fails when a panel
// has no expectation, so a new panel cannot go untested.

import { expect } from 'vitest';
import { DRIFT_KINDS } from '../../src/metrics/metrics.js';
import type { Series } from './metrics-prometheus.js';

/** Traffic the fake kernel sees: packets/s on the rules of chains starting with chainPrefix whose counter labels match. */
export const SCENARIO_RATES: Array<{ chainPrefix: string; labels: Record<string, string>; rate: number }> = [
  { chainPrefix: 'from-', labels: { metric: 'dropped', srcNetwork: 'int-app1', dstNetwork: 'ext-app2' }, rate: 10 },
  { chainPrefix: 'from-', labels: { metric: 'dropped', srcNetwork: 'int-app1', reason: 'protected' }, rate: 2 },
  { chainPrefix: 'host-', labels: { metric: 'dropped', srcNetwork: 'ext-app2', reason: 'host' }, rate: 4 },
  { chainPrefix: 'from-', labels: { metric: 'audit', srcNetwork: 'bridge', reason: 'external' }, rate: 3 },
  { chainPrefix: 'exceptions', labels: { metric: 'exception', kind: 'ExposeRule', name: 'app2-web' }, rate: 5 },
];

export type Check = (series: Series[], refId: string) => void;

function values(series: Series[], labels: string[]): Map<string, number> {
  return new Map(series.map((s) => [labels.map((l) => s.metric[l] ?? '').join('>'), s.value]));
}

/** Exactly `all` series exist (keyed by `labels` joined with '>'); exactly `nonZero` of them are above zero. */
function pattern(labels: string[], all: string[], nonZero: string[]): Check {
  return (series) => {
    const got = values(series, labels);
    expect([...got.keys()].sort()).toEqual([...all].sort());
    for (const [key, value] of got) {
      if (nonZero.includes(key)) expect(value, key).toBeGreaterThan(0);
      else expect(value, key).toBe(0);
    }
  };
}

/**
 * For scenarios whose full series set is not fixed (a real host): every `nonZero` key exists and
 * is above zero, every `zero` key exists and is zero, and (unless `othersZero` is false) any
 * other series is zero too.
 */
export function expectRates(series: Series[], labels: string[], want: { nonZero?: string[]; zero?: string[]; othersZero?: boolean }): void {
  const got = values(series, labels);
  for (const key of want.nonZero ?? []) expect(got.get(key), `${key} in ${[...got.keys()].join(', ')}`).toBeGreaterThan(0);
  for (const key of want.zero ?? []) expect(got.get(key), `${key} in ${[...got.keys()].join(', ')}`).toBe(0);
  if (want.othersZero === false) return;
  for (const [key, value] of got) if (!(want.nonZero ?? []).includes(key)) expect(value, key).toBe(0);
}

export const single = (check: (value: number) => void): Check => (series) => {
  expect(series).toHaveLength(1);
  check(series[0]!.value);
};

const DROP_PAIRS = [
  'int-app1>bridge', 'int-app1>ext-app2', 'int-app1>protected', 'int-app1>host',
  'ext-app2>bridge', 'ext-app2>int-app1', 'ext-app2>protected', 'ext-app2>host',
  'bridge>int-app1', 'bridge>ext-app2',
];
const DROPPING_PAIRS = ['int-app1>ext-app2', 'int-app1>protected', 'ext-app2>host'];
const AUDIT_SERIES = [
  'bridge-audit>bridge>bridge>same_network', 'bridge-audit>bridge>ext-app2>other_network', 'bridge-audit>bridge>int-app1>other_network',
  'bridge-audit>bridge>protected>protected', 'bridge-audit>bridge>external>external', 'bridge-audit>bridge>host>host',
  // No inbound audit series from int-app1/ext-app2: their own policy drops at the source, so the
  // bridge's inbound chain never sees their packets and carries no rule for them.
];

export const PANEL_EXPECTATIONS: Record<string, Check> = {
  'Ruleset applied': single((v) => expect(v).toBe(1)),
  'Host ready': single((v) => expect(v).toBe(1)),
  'Resources not Ready': single((v) => expect(v).toBe(1)), // ghost-egress matches no container
  'Dropped packets/s': single((v) => expect(v).toBeGreaterThan(0)),
  'Since last successful reconcile': single((v) => {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThan(60);
  }),
  'Reconcile errors': single((v) => expect(v).toBe(0)),
  'Drop rate by network pair': pattern(['src_network', 'dst_network'], DROP_PAIRS, DROPPING_PAIRS),
  'Top violating source networks': (series) => {
    const v = values(series, ['src_network']);
    expect([...v.keys()].sort()).toEqual(['bridge', 'ext-app2', 'int-app1']);
    expect(v.get('int-app1')).toBeGreaterThan(v.get('ext-app2')!); // 12/s against 4/s
    expect(v.get('ext-app2')).toBeGreaterThan(0);
    expect(v.get('bridge')).toBe(0);
  },
  'Drops towards the host': pattern(['src_network'], ['int-app1', 'ext-app2'], ['ext-app2']),
  'Drops towards protected networks': pattern(['src_network', 'policy'], ['int-app1>lab-isolation', 'ext-app2>lab-isolation'], ['int-app1>lab-isolation']),
  'Drops by reason': pattern(['reason'], ['other_network', 'host', 'protected'], ['other_network', 'host', 'protected']),
  'Dropped bytes by network pair': pattern(['src_network', 'dst_network'], DROP_PAIRS, DROPPING_PAIRS),
  'Exception traffic by exception': pattern(
    ['kind', 'name'],
    ['ExposeRule>app2-web', 'ExposeRule>app2-to-app1-web', 'EgressException>app1-to-webserver'],
    ['ExposeRule>app2-web'],
  ),
  'Audit mode: would-be drops': pattern(['policy', 'src_network', 'dst_network', 'reason'], AUDIT_SERIES, ['bridge-audit>bridge>external>external']),
  'Reconcile latency': single((v) => {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  }),
  'Reconciles by result': pattern(['result'], ['noop', 'applied', 'error'], ['noop']),
  'Drift heals over time': pattern(['kind'], [...DRIFT_KINDS], []),
};
