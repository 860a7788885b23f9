// The nftables backend (default dataplane): owns table `inet dockfence` outright, one rule in
// Docker's DOCKER-USER and, when Docker runs with --ip6tables, one in ip6tables. Pure
// render/parse/diff live beside it; this shell only runs `nft`, `iptables` and `ip6tables`
// through the injected Exec, with bounded retries on transient failures.

import { ApplyError, ExecError } from '../../lib/errors.js';
import type { Exec, ExecResult } from '../../lib/exec.js';
import type { Ruleset } from '../../ruleset/model.js';
import type { Backend, CounterSample, ObservedRuleset, Plan } from '../backend.js';
import { diffRulesets, hashChainRules } from '../diff.js';
import {
  DOCKER_USER6_HOOK,
  DOCKER_USER_HOOK,
  ensureDockerUserFirst,
  missingChainError,
  readDockerUser,
  removeDockerUser,
} from './docker-user.js';
import { ensureIp6tablesRule, readIp6tables, removeIp6tablesRules, strayCount, type V6Chain } from './docker-user6.js';
import { type NftObservedRuleset, parseNftablesCounters, parseNftablesJson } from './parse.js';
import { NFT_FAMILY, NFT_TABLE, renderNftables } from './render.js';
import { addSourceDropRules, parseSourceDrops, SOURCE_DROP_SETS, type SourceDrop } from './source-drops.js';
import { printedLookupElement } from './lookups.js';
import { normalizeElement } from './values.js';

export interface NftablesBackendOptions {
  exec: Exec;
  /** nft binary (default `nft`). */
  nft?: string;
  /** iptables binary for DOCKER-USER (default `iptables`). */
  iptables?: string;
  /** ip6tables binary for our IPv6 rule (default `ip6tables`). */
  ip6tables?: string;
  /** Extra attempts after a transient failure (default 2). */
  retries?: number;
  /** Waits between attempts (default setTimeout); injected by tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** What observe() reads besides the shared shape: our DOCKER-USER rules' marks, per family. */
export interface NftablesObserved extends NftObservedRuleset {
  /**
   * Where our ip6tables rule belongs when Docker manages ip6tables (dockerd --ip6tables):
   * DOCKER-USER when ip6tables has it (Docker 23+), else FORWARD (Docker 20.10 makes none).
   */
  dockerUser6Chain?: V6Chain;
  /** The conntrack mark our first rule in that chain accepts, when that rule is present. */
  dockerUser6Mark?: number;
  /** Rules of ours in ip6tables outside that chain (anywhere, when Docker does not manage ip6tables). */
  dockerUser6Stray?: number;
}

const LIST = ['-j', 'list', 'table', NFT_FAMILY, NFT_TABLE];
/** Failures worth another attempt: lock contention, netlink pressure, interrupted calls. */
const TRANSIENT = /resource busy|temporarily unavailable|interrupted system call|no buffer space|xtables lock|try again/i;
const MISSING_TABLE = /No such file or directory/;

/** A program that is not installed (or not executable) will not appear on retry. */
function isMissingProgram(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') return true;
  }
  return false;
}

export class NftablesBackend implements Backend {
  readonly name = 'nftables' as const;
  private readonly exec: Exec;
  private readonly nft: string;
  private readonly iptables: string;
  private readonly ip6tables: string;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: NftablesBackendOptions) {
    this.exec = options.exec;
    this.nft = options.nft ?? 'nft';
    this.iptables = options.iptables ?? 'iptables';
    this.ip6tables = options.ip6tables ?? 'ip6tables';
    this.retries = options.retries ?? 2;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Runs a command; retries a transient failure or failed start (not a missing program); rejects after the last try. */
  private async run(command: string, args: string[], input?: string): Promise<ExecResult> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      try {
        const result = await this.exec(command, args, input === undefined ? undefined : { input });
        if (result.exitCode === 0 || last || !TRANSIENT.test(result.stderr)) return result;
      } catch (cause) {
        if (last || isMissingProgram(cause)) {
          throw new ExecError(`running ${command}: ${String(cause)}`, { command, stderr: '' }, { cause });
        }
      }
      await this.sleep(50 * 2 ** attempt);
    }
  }

  private runIptables = (args: string[]): Promise<ExecResult> => this.run(this.iptables, args);
  private runIp6tables = (args: string[]): Promise<ExecResult> => this.run(this.ip6tables, args);

  /** The raw `nft -j list table` text, or undefined when our table does not exist. */
  private async listTable(): Promise<string | undefined> {
    const result = await this.run(this.nft, LIST);
    if (result.exitCode === 0) return result.stdout;
    if (MISSING_TABLE.test(result.stderr)) return undefined;
    throw new ExecError(`reading nft table ${NFT_FAMILY} ${NFT_TABLE}: ${result.stderr.trim()}`, {
      command: [this.nft, ...LIST].join(' '),
      exitCode: result.exitCode,
      stderr: result.stderr,
    });
  }

  /**
   * Our table (parsed) plus the position of our DOCKER-USER rule in hooks['docker-user'] and, when
   * Docker manages ip6tables, of our IPv6 one in hooks['docker-user6'] (within ip6tables'
   * DOCKER-USER, or FORWARD where Docker made no DOCKER-USER). An ip6tables without Docker's
   * chains (or no ip6tables at all) reads as Docker not managing ip6tables.
   */
  async observe(): Promise<NftablesObserved> {
    const text = await this.listTable();
    const observed: NftablesObserved =
      text === undefined ? { present: false, chains: [], sets: [], hooks: {} } : parseNftablesJson(text);
    const first = (await readDockerUser(this.runIptables)).ours[0];
    if (first) {
      observed.hooks[DOCKER_USER_HOOK] = first.position;
      if (first.mark !== undefined) observed.dockerUserMark = first.mark;
    }
    const v6 = await readIp6tables(this.runIp6tables);
    if (v6.parent) {
      observed.dockerUser6Chain = v6.parent;
      const first6 = v6.ours[v6.parent][0];
      if (first6) observed.hooks[DOCKER_USER6_HOOK] = first6.position;
      if (first6?.mark !== undefined) observed.dockerUser6Mark = first6.mark;
    }
    const stray = strayCount(v6);
    if (stray > 0) observed.dockerUser6Stray = stray;
    return observed;
  }

  /**
   * The shared diff (set elements compared as nft prints them; DOCKER-USER expected first when
   * Docker manages iptables, in ip6tables too when Docker manages that) plus what only nft
   * has: flags on our table, a DOCKER-USER rule of ours with another mark, or present while
   * Docker does not manage iptables, or an ip6tables rule of ours outside its chain.
   */
  plan(desired: Ruleset, observed: ObservedRuleset): Plan {
    const withSourceDrops = addSourceDropRules(desired);
    const lookups = desired.lookups ?? [];
    const sets = [
      ...desired.sets.map((s) => ({ ...s, elements: s.elements.map((e) => normalizeElement(s.type, e)) })),
      ...lookups.filter((l) => !l.dynamic).map((l) => ({ name: l.name, type: 'ifname' as const, elements: l.elements.map((e) => printedLookupElement(l, e)) })),
    ];
    const nft = observed as NftablesObserved;
    const dockerUsers = [{ hook: DOCKER_USER_HOOK, mark: nft.dockerUserMark }];
    if (nft.dockerUser6Chain) dockerUsers.push({ hook: DOCKER_USER6_HOOK, mark: nft.dockerUser6Mark });
    const expected = desired.dockerIptables ? dockerUsers.map((d) => d.hook) : [];
    // Dynamic sets (per-source drops, per-pair counts) fill with traffic: compare their presence, never their elements.
    const dynamic: string[] = [
      ...(desired.dropsBySource ? Object.values(SOURCE_DROP_SETS) : []),
      ...lookups.filter((l) => l.dynamic).map((l) => l.name),
    ];
    const liveSets = observed.sets.filter((s) => !dynamic.includes(s.name));
    const { differences } = diffRulesets({ ...withSourceDrops, sets }, { ...observed, sets: liveSets }, expected);
    if (observed.present) {
      for (const name of dynamic) if (!observed.sets.some((s) => s.name === name)) differences.push(`set ${name} missing`);
    }
    if (nft.tableFlags) differences.push(`table ${NFT_FAMILY} ${NFT_TABLE} has flags (e.g. dormant)`);
    for (const { hook, mark } of dockerUsers) {
      if (observed.hooks[hook] === undefined) continue;
      if (!desired.dockerIptables) differences.push(`hook ${hook} present but not desired`);
      else if (mark !== desired.acceptMark) differences.push(`hook ${hook} accepts mark ${mark ?? 'unknown'}, not ${desired.acceptMark}`);
    }
    if (nft.dockerUser6Stray) {
      differences.push(`hook ${DOCKER_USER6_HOOK} has ${nft.dockerUser6Stray} rule(s) of ours outside ${nft.dockerUser6Chain ?? 'any Docker chain'}`);
    }
    return { differences };
  }

  /**
   * One `nft -f -` transaction replacing our table, then DOCKER-USER put right in iptables and,
   * where Docker manages ip6tables, our rule put right there (first in the chain observe() names;
   * none of ours anywhere when Docker does not manage iptables). Throws ApplyError (exit code,
   * stderr and the rendered input) when nft rejects it — the old table then stays in force — or
   * when iptables' DOCKER-USER is needed but missing (checked before anything is applied) or a
   * chain cannot be edited.
   */
  async apply(desired: Ruleset): Promise<void> {
    const input = renderNftables(desired);
    if (desired.dockerIptables) {
      const state = await readDockerUser(this.runIptables);
      if (!state.exists) throw missingChainError(state);
    }
    const args = ['-f', '-'];
    const result = await this.run(this.nft, args, input);
    if (result.exitCode !== 0) {
      throw new ApplyError(`applying nft table ${NFT_FAMILY} ${NFT_TABLE}: ${result.stderr.trim()}`, {
        command: [this.nft, ...args].join(' '),
        exitCode: result.exitCode,
        stderr: result.stderr,
        input,
      });
    }
    if (desired.dockerIptables) {
      await ensureDockerUserFirst(this.runIptables, desired.acceptMark, this.iptables);
      await ensureIp6tablesRule(this.runIp6tables, desired.acceptMark, this.ip6tables);
    } else await this.removeDockerUsers();
  }

  private async removeDockerUsers(): Promise<void> {
    await removeDockerUser(this.runIptables, this.iptables);
    await removeIp6tablesRules(this.runIp6tables, this.ip6tables);
  }

  /** Packets/bytes of every counted rule of `desired`, matched to live rules by hash (0 if absent). */
  async readCounters(desired: Ruleset): Promise<CounterSample[]> {
    const text = await this.listTable();
    const live = text === undefined ? { rules: new Map(), elements: new Map() } : parseNftablesCounters(text);
    const samples: CounterSample[] = [];
    for (const chain of desired.chains) {
      const hashes = hashChainRules(chain);
      chain.rules.forEach((rule, i) => {
        if (!rule.counter) return;
        const value = live.rules.get(chain.name)?.get(hashes[i] as string);
        samples.push({ labels: rule.counter, packets: value?.packets ?? 0, bytes: value?.bytes ?? 0 });
      });
    }
    for (const set of desired.lookups ?? []) {
      const counts = live.elements.get(set.name);
      for (const element of set.elements) {
        const value = counts?.get(printedLookupElement(set, element));
        samples.push({ labels: element.counter, packets: value?.packets ?? 0, bytes: value?.bytes ?? 0 });
      }
    }
    return samples;
  }

  /**
   * Per-source drop counts (serve --drops-by-source): every element of both dynamic sets. Empty
   * when our table or the sets do not exist (flag off, nothing applied yet). Throws ExecError
   * for another nft failure, ParseError for output that is not nft JSON.
   */
  async readSourceDrops(): Promise<SourceDrop[]> {
    const drops: SourceDrop[] = [];
    for (const name of Object.values(SOURCE_DROP_SETS)) {
      const args = ['-j', 'list', 'set', NFT_FAMILY, NFT_TABLE, name];
      const result = await this.run(this.nft, args);
      if (result.exitCode !== 0 && MISSING_TABLE.test(result.stderr)) continue;
      if (result.exitCode !== 0) {
        throw new ExecError(`reading nft set ${name}: ${result.stderr.trim()}`, {
          command: [this.nft, ...args].join(' '),
          exitCode: result.exitCode,
          stderr: result.stderr,
        });
      }
      drops.push(...parseSourceDrops(result.stdout));
    }
    return drops;
  }

  /** Deletes our table (if any) in one transaction and our rules in iptables and ip6tables, wherever they are. Throws ApplyError. */
  async remove(): Promise<void> {
    const input = renderNftables({ sets: [], chains: [], acceptMark: 1, dockerIptables: false });
    const args = ['-f', '-'];
    const result = await this.run(this.nft, args, input);
    if (result.exitCode !== 0) {
      throw new ApplyError(`removing nft table ${NFT_FAMILY} ${NFT_TABLE}: ${result.stderr.trim()}`, {
        command: [this.nft, ...args].join(' '),
        exitCode: result.exitCode,
        stderr: result.stderr,
        input,
      });
    }
    await this.removeDockerUsers();
  }
}
