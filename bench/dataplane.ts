// Section 2, data-plane cost: forwarding rates through the router namespace with no ruleset of
// ours and with our compiled ruleset at growing sizes, on paths whose verdict stays the same
// (net-a -> net-b admitted by the bench exception, net-a -> LAN allowed, net-b -> net-a dropped).

import { compile } from '../src/compiler/compile.js';
import { NftablesBackend } from '../src/dataplane/nftables/backend.js';
import type { Packet } from '../src/ruleset/evaluate.js';
import type { Ruleset } from '../src/ruleset/model.js';
import { BENCH_EXCEPTION, dataplaneSnapshot, PORTS } from './dataplane-inventory.js';
import { forwardVerdict, rulesWalked } from './rules-walked.js';
import { ADDR, BRIDGE_A, BRIDGE_B, buildLab, LAN_IF, type Lab } from './topology.js';
import { blast, iperfTcp, startDaemon, type Daemon } from './traffic.js';

/** A ruleset size to measure; undefined networks = no ruleset of ours at all. */
export interface DataplaneScenario {
  networks?: number;
  exceptions: number;
}

export interface DataplaneOptions {
  scenarios: DataplaneScenario[];
  /** Length of one UDP run (TCP runs take 1 s, iperf3's smallest). */
  seconds: number;
  /** Pairs (baseline + test) per UDP cell and per TCP cell. */
  reps: number;
  tcpReps: number;
  blaster: string;
  log: (line: string) => void;
}

export type Measure = 'tcp' | 'udpEst' | 'newAB' | 'newLan';
const MEASURES: Measure[] = ['tcp', 'udpEst', 'newAB', 'newLan'];

/** One run: a rate (Gbit/s for tcp, packets/s otherwise) and its CPU cost (ms/GB, ns/packet). */
export interface RunSample {
  rate: number;
  cost: number;
}

export interface DataplaneRow {
  scenario: DataplaneScenario;
  /** Rules tested per packet: established, new A->B, new A->LAN. */
  walked: { est: number; ab: number; lan: number };
  /** Paired runs: test[m][i] in the lab with the scenario's ruleset, base[m][i] right beside it. */
  test: Record<Measure, RunSample[]>;
  base: Record<Measure, RunSample[]>;
}

const packet = (p: Partial<Packet> & Pick<Packet, 'iif' | 'oif' | 'daddr'>): Packet => ({
  saddr: ADDR.a,
  protocol: 'udp',
  dport: PORTS.sink,
  ctState: 'new',
  ...p,
});
const AB = packet({ iif: BRIDGE_A, oif: BRIDGE_B, daddr: ADDR.b });
const A_LAN = packet({ iif: BRIDGE_A, oif: LAN_IF, daddr: ADDR.lan });
const BA = packet({ iif: BRIDGE_B, oif: BRIDGE_A, saddr: ADDR.b, daddr: ADDR.a });

/** The model's verdicts on the bench paths must not change with size; throws when they do. */
function checkVerdicts(ruleset: Ruleset): void {
  const expect = (what: string, p: Packet, want: string): void => {
    const got = forwardVerdict(ruleset, p);
    if (got !== want) throw new Error(`bench: ${what} should be "${want}", the ruleset says "${got}"`);
  };
  expect('net-a -> net-b UDP', AB, `markAccept ExposeRule/${BENCH_EXCEPTION}`);
  expect('net-a -> net-b TCP', { ...AB, protocol: 'tcp', dport: PORTS.iperf }, `markAccept ExposeRule/${BENCH_EXCEPTION}`);
  expect('net-a -> LAN', A_LAN, 'none');
  expect('net-b -> net-a', BA, 'drop IsolationPolicy/edge');
}

/** The row's name in the tables. */
export function scenarioLabel(s: DataplaneScenario): string {
  return s.networks === undefined ? 'no ruleset (A/A check: noise floor)' : `${s.networks} networks, ${s.exceptions} exceptions`;
}

/** Applies (or removes) our table in the router; returns the ruleset, or undefined for none. */
async function enter(backend: NftablesBackend, scenario: DataplaneScenario): Promise<Ruleset | undefined> {
  if (scenario.networks === undefined) {
    await backend.remove();
    return undefined;
  }
  const { ruleset } = compile(dataplaneSnapshot(scenario.networks, scenario.exceptions));
  checkVerdicts(ruleset);
  await backend.apply(ruleset);
  const differences = backend.plan(ruleset, await backend.observe()).differences;
  if (differences.length > 0) throw new Error(`bench: ruleset not in sync after apply: ${differences.join('; ')}`);
  return ruleset;
}

/** The kernel agrees with the model: net-b -> net-a is dropped while our ruleset is in force. */
async function checkKernelDrops(lab: Lab, blaster: string, enforced: boolean): Promise<void> {
  const r = await blast({ blaster, from: lab.c2, dst: ADDR.a, port: PORTS.sink, seconds: 0.2, countOn: { ns: lab.router, ifname: BRIDGE_A } });
  const dropped = r.forwarded <= Math.max(5, r.sent * 0.001);
  if (enforced && !dropped) throw new Error(`bench: net-b -> net-a should be dropped, ${r.forwarded} of ${r.sent} got through`);
  if (!enforced && dropped) throw new Error(`bench: without a ruleset net-b -> net-a should pass, ${r.forwarded} of ${r.sent} got through`);
}

async function measure(lab: Lab, options: DataplaneOptions, m: Measure): Promise<RunSample> {
  const base = { blaster: options.blaster, from: lab.c1, seconds: options.seconds };
  const udp = async (dst: string, port: number, ifname: string, handshake = false): Promise<RunSample> => {
    const r = await blast({ ...base, dst, port, handshake, countOn: { ns: lab.router, ifname } });
    return { rate: r.pps, cost: r.cpuNs };
  };
  switch (m) {
    case 'tcp': {
      const r = await iperfTcp(lab.c1, ADDR.b, options.seconds);
      return { rate: r.gbps, cost: r.cpuMsPerGB };
    }
    case 'udpEst':
      return udp(ADDR.b, PORTS.reply, BRIDGE_B, true);
    case 'newAB':
      return udp(ADDR.b, PORTS.sink, BRIDGE_B);
    case 'newLan':
      return udp(ADDR.lan, PORTS.sink, LAN_IF);
  }
}

/** A lab with its sinks and iperf3 server running; stop() removes it all. */
async function startLab(blaster: string): Promise<{ lab: Lab; stop(): Promise<void> }> {
  const lab = await buildLab();
  const daemons: Daemon[] = [];
  const stop = async (): Promise<void> => {
    for (const d of daemons) await d.stop();
    await lab.remove();
  };
  try {
    daemons.push(await startDaemon(lab.c2, blaster, ['sink', String(PORTS.sink)], /ready/));
    daemons.push(await startDaemon(lab.lan, blaster, ['sink', String(PORTS.sink)], /ready/));
    daemons.push(await startDaemon(lab.c2, blaster, ['sink', String(PORTS.reply), '--reply'], /ready/));
    daemons.push(await startDaemon(lab.c2, 'iperf3', ['-s', '-p', String(PORTS.iperf), '--forceflush'], /listening/i));
    return { lab, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const emptyValues = (): Record<Measure, RunSample[]> => ({ tcp: [], udpEst: [], newAB: [], newLan: [] });

/**
 * Runs section 2 with two identical labs: `test` gets each scenario's ruleset, `base` never has
 * one. Every measurement is paired (base and test back to back, alternating which goes first),
 * so load from elsewhere on the machine hits both alike. The labs are removed whatever happens.
 */
export async function runDataplane(options: DataplaneOptions): Promise<DataplaneRow[]> {
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const base = await startLab(options.blaster);
    started.push(base);
    const test = await startLab(options.blaster);
    started.push(test);
    const backend = new NftablesBackend({ exec: test.lab.router.exec });
    const rows: DataplaneRow[] = [];
    for (const scenario of options.scenarios) {
      options.log(`data plane: ${scenarioLabel(scenario)}`);
      const ruleset = await enter(backend, scenario);
      await checkKernelDrops(test.lab, options.blaster, ruleset !== undefined);
      const walked = ruleset
        ? { est: rulesWalked(ruleset, { ...AB, ctState: 'established' }), ab: rulesWalked(ruleset, AB), lan: rulesWalked(ruleset, A_LAN) }
        : { est: 0, ab: 0, lan: 0 };
      const row: DataplaneRow = { scenario, walked, test: emptyValues(), base: emptyValues() };
      for (let rep = 0; rep < Math.max(options.reps, options.tcpReps); rep++) {
        for (const m of MEASURES) {
          if (rep >= (m === 'tcp' ? options.tcpReps : options.reps)) continue;
          const order = rep % 2 === 0 ? ([base, test] as const) : ([test, base] as const);
          for (const lab of order) (lab === base ? row.base : row.test)[m].push(await measure(lab.lab, options, m));
        }
      }
      rows.push(row);
    }
    await backend.remove();
    return rows;
  } finally {
    for (const lab of started.reverse()) await lab.stop();
  }
}

