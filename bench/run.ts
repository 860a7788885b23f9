// `npm run bench [-- --quick | --large] [--only control,dataplane,reconcile] [--out FILE]`: measures
// control-plane scale, data-plane cost and reconcile latency inside network namespaces it makes
// and removes, prints a markdown report and writes it to bench/results/latest.md (raw samples
// in latest.json). Needs root. Method and findings: docs/bench.md.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffSnapshots, snapshotHostNetns } from '../test/harness/global-guard.js';
import { run } from '../test/harness/netns.js';
import { formatControlPlane, runControlPlane } from './control-plane.js';
import { runDataplane } from './dataplane.js';
import { formatDataplane } from './dataplane-report.js';
import { addDockerSkeleton } from './topology.js';
import { benchNetns, removeAllBenchNetns, removeBenchNetns, sweepStaleBenchNetns } from './netns.js';
import { preflight } from './preflight.js';
import { formatReconcile, runReconcile } from './reconcile.js';
import { fullPlan, largePlan, quickPlan, type BenchPlan } from './plan.js';

const SECTIONS = ['control', 'dataplane', 'reconcile'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  mode: 'quick' | 'full' | 'large';
  only: Set<Section>;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'full', only: new Set(SECTIONS), out: join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.md') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const inline = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!inline) throw new Error(`bench: ${arg} needs a value`);
      return inline;
    };
    if (arg === '--quick') args.mode = 'quick';
    else if (arg === '--large') args.mode = 'large';
    else if (arg.startsWith('--only')) {
      const names = value().split(',');
      const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (unknown.length > 0) throw new Error(`bench: unknown section ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
      args.only = new Set(names as Section[]);
    } else if (arg.startsWith('--out')) args.out = value();
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run bench -- [--quick | --large] [--only control,dataplane,reconcile] [--out FILE]');
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${arg}`);
  }
  return args;
}

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function machine(): Promise<string> {
  const nft = (await run('nft', ['--version'])).stdout.trim();
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, Linux ${release()}, ${nft}, Node ${process.version}`;
}

/** Markdown parts of the report, and every raw sample (written beside it as JSON). */
interface Sections {
  parts: string[];
  raw: Record<string, unknown>;
}

async function runSections(args: Args, plan: BenchPlan, blaster: string | undefined): Promise<Sections> {
  const parts: string[] = [];
  const raw: Record<string, unknown> = { plan };
  if (args.only.has('control')) {
    const ns = await benchNetns();
    try {
      await addDockerSkeleton(ns);
      const result = await runControlPlane({ ...plan.control, netns: ns, log });
      raw.control = result;
      parts.push('## 1. Control plane scale', '', formatControlPlane(result), '');
    } finally {
      await removeBenchNetns(ns);
    }
  }
  if (args.only.has('dataplane')) {
    if (!blaster) {
      parts.push('## 2. Data plane cost', '', 'Skipped: see the preflight message (iperf3 or gcc missing).', '');
    } else {
      const rows = await runDataplane({ ...plan.dataplane, blaster, log });
      raw.dataplane = rows;
      parts.push(
        '## 2. Data plane cost',
        '',
        `Two identical labs (router namespace forwarding between veths named like Docker bridges, Docker-like iptables in both); one gets the row's ruleset, the other never has one. Each number is paired with a baseline run right beside it: ${plan.dataplane.reps} pair(s) of ${plan.dataplane.seconds} s per UDP cell, ${plan.dataplane.tcpReps} pair(s) of 1 s per TCP cell; medians shown; ratios and Δ are medians over the pairs.`,
        '"rules tested" = rules of our forward hook one packet is tested against (a vmap lookup counts once). "new" = a flow never answered, so every packet is conntrack NEW and walks the chains; "established" = the same after one reply.',
        'Every row keeps the same verdicts: a→b admitted by the exception `zz-bench`, a→LAN allowed, b→a dropped (checked in the model, and b→a with real packets).',
        '',
        formatDataplane(rows),
        '',
      );
    }
  }
  if (args.only.has('reconcile')) {
    const rows = await runReconcile({ ...plan.reconcile, log });
    raw.reconcile = rows;
    parts.push('## 3. Reconcile latency (NftablesBackend, real kernel)', '', formatReconcile(rows), '');
  }
  return { parts, raw };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const plan = { quick: quickPlan, full: fullPlan, large: largePlan }[args.mode];
  const { blaster, notes } = await preflight({ needTraffic: args.only.has('dataplane'), log });
  const stale = await sweepStaleBenchNetns();
  if (stale.length > 0) log(`removed stale namespaces of an earlier run: ${stale.join(', ')}`);
  const hostBefore = await snapshotHostNetns();
  const started = performance.now();
  const loadBefore = loadavg()[0] as number;
  let sections: Sections;
  try {
    sections = await runSections(args, plan, blaster);
  } finally {
    await removeAllBenchNetns();
  }
  const seconds = (performance.now() - started) / 1000;
  const changed = diffSnapshots(hostBefore, await snapshotHostNetns());
  const report = [
    `# dockfence benchmark (${args.mode} run)`,
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${await machine()} · ${seconds.toFixed(0)} s · 1-min load ${loadBefore.toFixed(2)} before, ${(loadavg()[0] as number).toFixed(2)} after`,
    ...notes.map((n) => `\n> ${n}`),
    '',
    ...sections.parts,
    changed.length === 0 ? "This machine's own network namespace was identical before and after the run." : "WARNING: this machine's own network namespace changed during the run (see stderr).",
    '',
  ].join('\n');
  process.stdout.write(report);
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, report);
  const rawFile = args.out.replace(/\.md$/, '') + '.json';
  writeFileSync(rawFile, `${JSON.stringify(sections.raw, null, 1)}\n`);
  log(`written to ${args.out} (raw samples: ${rawFile})`);
  if (changed.length > 0) {
    process.stderr.write(`${changed.join('\n')}\n`);
    return 1;
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: removing the namespaces made so far`);
    void removeAllBenchNetns().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    await removeAllBenchNetns();
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
