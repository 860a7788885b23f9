// The data-plane section's tables: packet rates as the clock sees them (what a user gets, but
// sensitive to other load on the machine) and CPU cost per packet (stable under load), each
// compared with the baseline run paired with it.

import type { DataplaneRow, Measure, RunSample } from './dataplane.js';
import { scenarioLabel } from './dataplane.js';
import { fmtInt, markdownTable, median } from './stats.js';

type Field = keyof RunSample;

/** Median over the pairs of f(test, base). */
function paired(r: DataplaneRow, m: Measure, field: Field, f: (test: number, base: number) => number): number {
  return median(r.test[m].map((t, i) => f(t[field], (r.base[m][i] as RunSample)[field])));
}

const med = (samples: RunSample[], field: Field): number => median(samples.map((s) => s[field]));
const pooled = (rows: DataplaneRow[], m: Measure, field: Field): number => med(rows.flatMap((r) => r.base[m]), field);
const signed = (n: number, unit: string): string => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(0)} ${unit}`;
const walked = (r: DataplaneRow): string => (r.scenario.networks === undefined ? '–' : `${r.walked.est} / ${r.walked.ab} / ${r.walked.lan}`);

function ratesTable(rows: DataplaneRow[]): string {
  const ratio = (r: DataplaneRow, m: Measure): string => `${paired(r, m, 'rate', (t, b) => t / b).toFixed(2)}×`;
  const kpps = (n: number): string => `${fmtInt(n / 1000)}k`;
  const cell = (r: DataplaneRow, m: Measure): string =>
    m === 'tcp' ? `${med(r.test.tcp, 'rate').toFixed(1)} (${ratio(r, m)})` : `${kpps(med(r.test[m], 'rate'))} (${ratio(r, m)})`;
  return markdownTable(
    ['ruleset', 'rules tested: est / new a→b / new a→LAN', 'TCP a→b Gbit/s', 'UDP 64 B established a→b pkt/s', 'UDP 64 B new a→b pkt/s', 'UDP 64 B new a→LAN pkt/s'],
    [
      [
        'baseline lab (all runs)',
        '–',
        pooled(rows, 'tcp', 'rate').toFixed(1),
        kpps(pooled(rows, 'udpEst', 'rate')),
        kpps(pooled(rows, 'newAB', 'rate')),
        kpps(pooled(rows, 'newLan', 'rate')),
      ],
      ...rows.map((r) => [scenarioLabel(r.scenario), walked(r), cell(r, 'tcp'), cell(r, 'udpEst'), cell(r, 'newAB'), cell(r, 'newLan')]),
    ],
  );
}

function costTable(rows: DataplaneRow[]): string {
  const delta = (r: DataplaneRow, m: Measure): number => paired(r, m, 'cost', (t, b) => t - b);
  const cell = (r: DataplaneRow, m: Measure): string => `${fmtInt(med(r.test[m], 'cost'))} (${signed(delta(r, m), 'ns')})`;
  // Includes the fixed cost of our hook and conntrack mark, so small rulesets overstate it.
  const perRule = (r: DataplaneRow): string => (r.walked.lan > 0 ? `${(delta(r, 'newLan') / r.walked.lan).toFixed(1)} ns` : '–');
  return markdownTable(
    ['ruleset', 'TCP a→b CPU ms/GB', 'UDP established a→b ns/pkt', 'UDP new a→b ns/pkt', 'UDP new a→LAN ns/pkt', 'added ns per rule tested (new a→LAN)'],
    [
      [
        'baseline lab (all runs)',
        fmtInt(pooled(rows, 'tcp', 'cost')),
        fmtInt(pooled(rows, 'udpEst', 'cost')),
        fmtInt(pooled(rows, 'newAB', 'cost')),
        fmtInt(pooled(rows, 'newLan', 'cost')),
        '–',
      ],
      ...rows.map((r) => [
        scenarioLabel(r.scenario),
        `${fmtInt(med(r.test.tcp, 'cost'))} (${paired(r, 'tcp', 'cost', (t, b) => t / b).toFixed(2)}×)`,
        cell(r, 'udpEst'),
        cell(r, 'newAB'),
        cell(r, 'newLan'),
        perRule(r),
      ]),
    ],
  );
}

/** Both tables with their headings. */
export function formatDataplane(rows: DataplaneRow[]): string {
  return [
    '### Packet rates (wall clock; ratio to the paired baseline run)',
    '',
    ratesTable(rows),
    '',
    '### CPU cost per packet (sender + in-context forwarding + delivery; Δ to the paired baseline run)',
    '',
    'UDP: udp-blast\'s CPU time per forwarded packet (the veths hand packets on in the sender\'s softirq context).',
    'TCP: iperf3 client + server CPU per GB. These barely move with load elsewhere on the machine, unlike the rates.',
    '',
    costTable(rows),
  ].join('\n');
}
