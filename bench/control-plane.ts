// Section 1, control-plane scale: for synthetic inventories of growing size, how long compile()
// takes, how big the rendered rulesets are, and what applying and reading them back costs with
// the real NftablesBackend and IptablesBackend inside a throwaway network namespace.

import { compile } from '../src/compiler/compile.js';
import type { Backend } from '../src/dataplane/backend.js';
import { expandRuleset } from '../src/dataplane/iptables/expand.js';
import { IptablesBackend } from '../src/dataplane/iptables/backend.js';
import { renderIptablesRestore } from '../src/dataplane/iptables/render.js';
import { emptyIptablesObserved } from '../src/dataplane/iptables/observed.js';
import { NftablesBackend } from '../src/dataplane/nftables/backend.js';
import { renderNftables } from '../src/dataplane/nftables/render.js';
import { hashChainRules } from '../src/dataplane/diff.js';
import type { Ruleset } from '../src/ruleset/model.js';
import { describeScale, syntheticSnapshot, type Scale } from './inventory.js';
import { fmtBytes, fmtInt, fmtMs, markdownTable, median, p50p95, sample, type SampleOptions, type Samples } from './stats.js';
import { timedExec, totalMs, type TimedExec } from './timed-exec.js';
import type { BenchNetns } from './netns.js';

/**
 * A scale to measure. `heavy` ones (seconds per step) use `ControlPlaneOptions.heavy` repetitions;
 * `nftOnly` skips the IptablesBackend (tens of seconds per step at N=200).
 */
export type ControlScale = Scale & { heavy?: boolean; nftOnly?: boolean };

export interface ControlPlaneOptions {
  scales: ControlScale[];
  /** Repetition limits for the pure steps (compile, render, plan). */
  pure: SampleOptions;
  /** Repetition limits for kernel steps (apply, observe); apply gets one warm-up unless set. */
  kernel: SampleOptions;
  /** Repetition limits for every step of a heavy scale. */
  heavy: SampleOptions;
  /** A namespace with DOCKER-USER in both families; each backend removes what it made. */
  netns: BenchNetns;
  log: (line: string) => void;
}

interface SizeRow {
  scale: Scale;
  compile: Samples;
  render: Samples;
  /** hashChainRules over every chain, uncached: once per compiled ruleset (render, plan and readCounters share it). */
  ruleHashes: Samples;
  /** Two JSON.stringify of the ruleset: what a reconcile that finds a difference does to tell drift from a change. */
  rulesetCompare: Samples;
  chains: number;
  rules: number;
  exceptionRules: number;
  setElements: number;
  /** Keys the dynamic per-pair count sets may hold (the kernel holds those that saw traffic). */
  pairKeys: number;
  nftBytes: number;
  iptRules: number;
  iptBytes: number;
}

interface BackendRow {
  scale: Scale;
  backend: string;
  apply: Samples;
  applyTool: number[];
  observe: Samples;
  observeTool: number[];
  plan: Samples;
}

export interface ControlPlaneResult {
  sizes: SizeRow[];
  backends: BackendRow[];
}

function countRules(ruleset: Ruleset): { chains: number; rules: number; exceptionRules: number; setElements: number; pairKeys: number } {
  const lookups = ruleset.lookups ?? [];
  return {
    chains: ruleset.chains.length,
    rules: ruleset.chains.reduce((sum, c) => sum + c.rules.length, 0),
    exceptionRules: ruleset.chains.find((c) => c.name === 'exceptions')?.rules.length ?? 0,
    setElements:
      ruleset.sets.reduce((sum, s) => sum + s.elements.length, 0) +
      lookups.filter((l) => !l.dynamic).reduce((sum, l) => sum + l.elements.length, 0),
    pairKeys: lookups.filter((l) => l.dynamic).reduce((sum, l) => sum + l.elements.length, 0),
  };
}

/** Kernel rules iptables needs for both families (vmaps and sets expand to rules there). */
function iptablesSize(ruleset: Ruleset): { rules: number; bytes: number } {
  let rules = 0;
  for (const family of ['ipv4', 'ipv6'] as const) {
    const program = expandRuleset(ruleset, family, ruleset.dockerIptables);
    rules += program.chains.reduce((sum, c) => sum + c.rules.length, 0) + program.hooks.length;
  }
  const steps = renderIptablesRestore(ruleset, emptyIptablesObserved());
  return { rules, bytes: steps.reduce((sum, s) => sum + s.text.length, 0) };
}

interface Reps {
  pure: SampleOptions;
  kernel: SampleOptions;
}

async function measureBackend(
  name: string,
  make: (t: TimedExec) => Backend,
  ruleset: Ruleset,
  options: ControlPlaneOptions,
  reps: Reps,
): Promise<Omit<BackendRow, 'scale'>> {
  const timed = timedExec(options.netns.exec);
  const backend = make(timed);
  try {
    const applyTool: number[] = [];
    const apply = await sample(
      async () => {
        timed.take();
        await backend.apply(ruleset);
        applyTool.push(totalMs(timed.take(), /./));
      },
      { warmup: 1, ...reps.kernel },
    );
    applyTool.splice(0, applyTool.length - apply.ms.length); // drop the warm-up runs
    const observeTool: number[] = [];
    let live: Awaited<ReturnType<Backend['observe']>> | undefined;
    const observe = await sample(
      async () => {
        timed.take();
        live = await backend.observe();
        observeTool.push(totalMs(timed.take(), /./));
      },
      { ...reps.kernel, warmup: 0 },
    );
    if (!live) throw new Error('dockfence bug: bench took no observe sample');
    const differences = backend.plan(ruleset, live).differences;
    if (differences.length > 0) throw new Error(`bench: ${name} is not in sync right after apply: ${differences.slice(0, 3).join('; ')}`);
    const observed = live;
    const plan = await sample(() => backend.plan(ruleset, observed), reps.pure);
    return { backend: name, apply, applyTool, observe, observeTool, plan };
  } finally {
    await backend.remove();
  }
}

/** Runs section 1 over every scale; rejects when a backend fails or does not read back in sync. */
export async function runControlPlane(options: ControlPlaneOptions): Promise<ControlPlaneResult> {
  const result: ControlPlaneResult = { sizes: [], backends: [] };
  for (const { heavy, nftOnly, ...scale } of options.scales) {
    options.log(`control plane: ${describeScale(scale)}`);
    const reps: Reps = heavy ? { pure: options.heavy, kernel: options.heavy } : { pure: options.pure, kernel: options.kernel };
    const snapshot = syntheticSnapshot(scale);
    const compiled = await sample(() => compile(snapshot), reps.pure);
    const { ruleset } = compile(snapshot);
    const render = await sample(() => renderNftables(ruleset), reps.pure);
    // Fresh chain objects each time: hashChainRules caches per chain object.
    const ruleHashes = await sample(() => ruleset.chains.forEach((c) => hashChainRules({ ...c })), reps.pure);
    const rulesetCompare = await sample(() => JSON.stringify(ruleset) === JSON.stringify(structuredClone(ruleset)), reps.pure);
    const ipt = iptablesSize(ruleset);
    result.sizes.push({
      scale,
      compile: compiled,
      render,
      ruleHashes,
      rulesetCompare,
      ...countRules(ruleset),
      nftBytes: Buffer.byteLength(renderNftables(ruleset)),
      iptRules: ipt.rules,
      iptBytes: ipt.bytes,
    });
    const nft = await measureBackend('nftables', (t) => new NftablesBackend({ exec: t.exec }), ruleset, options, reps);
    result.backends.push({ scale, ...nft });
    if (nftOnly) continue;
    const iptables = await measureBackend('iptables', (t) => new IptablesBackend({ exec: t.exec }), ruleset, options, reps);
    result.backends.push({ scale, ...iptables });
  }
  return result;
}

/** The two markdown tables of section 1. */
export function formatControlPlane(result: ControlPlaneResult): string {
  const sizes = markdownTable(
    ['N nets', 'M ctrs', 'K exc', 'compile p50 / p95 ms', 'nft render p50 ms', 'rule hashes p50 ms', 'ruleset compare p50 ms', 'chains', 'model rules', 'of which exceptions', 'set elems', 'pair keys (dynamic)', 'nft text', 'iptables rules (v4+v6)', 'iptables text'],
    result.sizes.map((r) => [
      String(r.scale.networks),
      String(r.scale.containers),
      String(r.scale.exceptions),
      p50p95(r.compile),
      fmtMs(median(r.render.ms)),
      fmtMs(median(r.ruleHashes.ms)),
      fmtMs(median(r.rulesetCompare.ms)),
      fmtInt(r.chains),
      fmtInt(r.rules),
      fmtInt(r.exceptionRules),
      fmtInt(r.setElements),
      fmtInt(r.pairKeys),
      fmtBytes(r.nftBytes),
      fmtInt(r.iptRules),
      fmtBytes(r.iptBytes),
    ]),
  );
  const backends = markdownTable(
    ['N nets', 'M ctrs', 'K exc', 'backend', 'apply p50 / p95 ms', 'in nft/iptables p50', 'observe p50 / p95 ms', 'in nft/iptables p50', 'plan p50 ms', 'runs'],
    result.backends.map((r) => [
      String(r.scale.networks),
      String(r.scale.containers),
      String(r.scale.exceptions),
      r.backend,
      p50p95(r.apply),
      fmtMs(median(r.applyTool)),
      p50p95(r.observe),
      fmtMs(median(r.observeTool)),
      fmtMs(median(r.plan.ms)),
      `${r.apply.ms.length}/${r.observe.ms.length}`,
    ]),
  );
  return [
    '### Compile and ruleset size',
    '',
    '"rule hashes" = the `dockfence:<hash>` tags of every rule (`hashChainRules`), computed once per compiled chain and shared by render, plan and readCounters;',
    '"ruleset compare" = two `JSON.stringify` of the ruleset (plus a clone), what a reconcile pays to tell drift from a change, only when its plan finds a difference;',
    '"set elems" = elements of static sets and lookups (bridges, exceptions); "pair keys" = network pairs the dynamic count sets may hold (elements appear with traffic).',
    '',
    sizes,
    '',
    '### Apply and read back in a network namespace (real kernel)',
    '',
    'apply = `Backend.apply` (render + one `nft -f -` / `iptables-restore` transaction + DOCKER-USER check);',
    'observe = `Backend.observe` (`nft -j list table` / `iptables-save -c` for both families + parse).',
    '"in nft/iptables" is the time spent waiting for those programs; the rest is our own code (render, parse, rule hashes).',
    'plan = `Backend.plan` (pure diff of desired vs observed). runs = timed applies/observes (one at N=200: seconds each; IptablesBackend at N=200 only with `--large`).',
    '',
    backends,
  ].join('\n');
}
