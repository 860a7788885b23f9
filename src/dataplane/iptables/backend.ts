// The iptables dataplane: the thin shell around render, parse and plan. Reads with
// `iptables-save -c` / `ip6tables-save -c`, writes render's steps (one table per
// `iptables-restore --noflush --counters` run, in render's fail-closed order) through an injected
// Exec, re-observing and retrying a bounded number of times when a write fails (a hook rule moved
// underneath us, Docker restarting, ...).

import { ApplyError, ExecError } from '../../lib/errors.js';
import type { Exec } from '../../lib/exec.js';
import type { Ruleset } from '../../ruleset/model.js';
import type { Backend, CounterSample, ObservedRuleset, Plan } from '../backend.js';
import { collectCounters } from './counters.js';
import { combineFamilies, type IptablesObserved } from './observed.js';
import { parseIptablesSave } from './parse.js';
import { planIptables } from './plan.js';
import { renderIptablesRemove, renderIptablesRestore, type RestoreStep } from './render.js';

/** Programs the backend runs, resolved from PATH unless given (Debian 12: the iptables-nft ones). */
export interface IptablesBinaries {
  save: string;
  restore: string;
  save6: string;
  restore6: string;
}

export const DEFAULT_IPTABLES_BINARIES: Readonly<IptablesBinaries> = {
  save: 'iptables-save',
  restore: 'iptables-restore',
  save6: 'ip6tables-save',
  restore6: 'ip6tables-restore',
};

interface RestoreFailure {
  command: string;
  exitCode?: number;
  stderr: string;
  input: string;
}

export interface IptablesBackendOptions {
  exec: Exec;
  binaries?: Partial<IptablesBinaries>;
  /** Extra attempts after a failed write, each after a fresh observe (default 2). */
  retries?: number;
  /** Pause before each retry, in milliseconds (default 100). */
  retryDelayMs?: number;
}

export class IptablesBackend implements Backend {
  readonly name = 'iptables' as const;
  private readonly exec: Exec;
  private readonly bin: IptablesBinaries;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  constructor(options: IptablesBackendOptions) {
    this.exec = options.exec;
    this.bin = { ...DEFAULT_IPTABLES_BINARIES, ...options.binaries };
    this.retries = Math.max(0, options.retries ?? 2);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 100);
  }

  /** Both families' filter and nat tables, as far as they are ours. Throws ExecError/ParseError. */
  async observe(): Promise<IptablesObserved> {
    const [v4, v6] = await Promise.all([this.save(this.bin.save), this.save(this.bin.save6)]);
    return combineFamilies(parseIptablesSave(v4), parseIptablesSave(v6));
  }

  plan(desired: Ruleset, observed: ObservedRuleset): Plan {
    return planIptables(desired, observed);
  }

  /** Rewrite our chains and hooks to `desired`, step by step in render's order. Throws ApplyError. */
  async apply(desired: Ruleset): Promise<void> {
    await this.write('applying the iptables ruleset', (observed) => renderIptablesRestore(desired, observed));
  }

  async readCounters(desired: Ruleset): Promise<CounterSample[]> {
    return collectCounters(desired, await this.observe());
  }

  /** Delete our hook rules and flush and delete our chains, in both tables and both families. */
  async remove(): Promise<void> {
    await this.write('removing the iptables ruleset', (observed) => renderIptablesRemove(observed));
  }

  private async save(command: string): Promise<string> {
    const args = ['-c'];
    let result;
    try {
      result = await this.exec(command, args);
    } catch (cause) {
      throw new ExecError(`reading the ruleset with ${command}`, { command, stderr: '' }, { cause });
    }
    if (result.exitCode !== 0) {
      throw new ExecError(`reading the ruleset with ${command}: exit ${result.exitCode}: ${result.stderr.trim()}`, {
        command: [command, ...args].join(' '),
        exitCode: result.exitCode,
        stderr: result.stderr,
      });
    }
    return result.stdout;
  }

  /**
   * Observe, render, run the steps in order, stopping at the first that fails (each step leaves a
   * fail-closed state); on failure observe again and retry, up to `retries` times.
   */
  private async write(action: string, render: (observed: IptablesObserved) => RestoreStep[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let failure: RestoreFailure | undefined;
      for (const step of render(await this.observe())) {
        failure = await this.restore(step.family === 'ipv4' ? this.bin.restore : this.bin.restore6, step.text);
        if (failure) break;
      }
      if (!failure) return;
      if (attempt >= this.retries) {
        throw new ApplyError(`${action}: ${failure.command} exit ${failure.exitCode ?? '?'}: ${failure.stderr.trim()}`, failure);
      }
      if (this.retryDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
    }
  }

  /** Run one restore transaction; the failure's details, or undefined on success or no input. */
  private async restore(command: string, input: string): Promise<RestoreFailure | undefined> {
    if (input === '') return undefined;
    // -w: wait for the xtables lock where iptables-legacy takes one (iptables-nft ignores it).
    const args = ['-w', '5', '--noflush', '--counters'];
    const shown = [command, ...args].join(' ');
    try {
      const result = await this.exec(command, args, { input });
      if (result.exitCode === 0) return undefined;
      return { command: shown, exitCode: result.exitCode, stderr: result.stderr, input };
    } catch (cause) {
      return { command: shown, stderr: String(cause instanceof Error ? cause.message : cause), input };
    }
  }
}
