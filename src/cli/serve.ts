// `dockfence serve [...]`: parses SPEC.md's serve flags (plus --tls-cert/--tls-key), validates
// them, converts them to ServeOptions and runs src/main.ts's serve() until it shuts down.
// main.js is imported lazily so client verbs never load the server's dependencies.

import type { Command } from 'commander';
import type { ServeOptions } from '../main.js';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';

export interface ServeFlags {
  listen: string;
  db?: string;
  dockerHost?: string;
  backend: string;
  resync: string;
  manageSysctls: boolean;
  cleanupOnExit: boolean;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsListen?: string;
  syncRepo?: string;
  syncBranch?: string;
  syncPath?: string;
  syncInterval?: string;
  prune: boolean;
  syncCredentialsFile?: string;
  dropsBySource?: boolean;
}

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

/** Validate `HOST:PORT` (`[::1]:8080` for IPv6); throws CliError naming the flag. */
export function checkHostPort(value: string, flag: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new CliError(`invalid ${flag} "${value}": expected HOST:PORT, e.g. 127.0.0.1:8080`);
  return value;
}

/** Validate a duration like `500ms`, `2s`, `1m30s`; throws CliError naming the flag. */
export function checkDuration(value: string, flag: string): string {
  if (!DURATION.test(value)) throw new CliError(`invalid ${flag} "${value}": expected a duration like 500ms, 30s, 1m`);
  return value;
}

/**
 * Turn parsed flags into ServeOptions, checking every value. Throws CliError for bad values,
 * for --tls-cert without --tls-key (or the reverse) and for --sync-* flags without --sync-repo.
 */
export function toServeOptions(flags: ServeFlags): ServeOptions {
  if (flags.backend !== 'nftables' && flags.backend !== 'iptables') {
    throw new CliError(`invalid --backend "${flags.backend}": must be nftables or iptables`);
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new CliError('--tls-cert and --tls-key must be given together');
  }
  if (flags.dropsBySource && flags.backend !== 'nftables') {
    throw new CliError('--drops-by-source needs --backend nftables (iptables has no per-element counters)');
  }
  const syncFlags = [flags.syncBranch, flags.syncPath, flags.syncInterval, flags.syncCredentialsFile].some((v) => v !== undefined) || flags.prune;
  if (syncFlags && flags.syncRepo === undefined) {
    throw new CliError('--sync-branch, --sync-path, --sync-interval and --prune need --sync-repo');
  }
  const options: ServeOptions = {
    listen: checkHostPort(flags.listen, '--listen'),
    backend: flags.backend,
    resync: checkDuration(flags.resync, '--resync'),
    manageSysctls: flags.manageSysctls,
    cleanupOnExit: flags.cleanupOnExit,
  };
  const optional: Partial<ServeOptions> = {
    db: flags.db,
    dockerHost: flags.dockerHost,
    tokenFile: flags.tokenFile,
    tlsCert: flags.tlsCert,
    tlsKey: flags.tlsKey,
    metricsListen: flags.metricsListen === undefined ? undefined : checkHostPort(flags.metricsListen, '--metrics-listen'),
    syncRepo: flags.syncRepo,
    syncBranch: flags.syncBranch,
    syncPath: flags.syncPath,
    syncInterval: flags.syncInterval === undefined ? undefined : checkDuration(flags.syncInterval, '--sync-interval'),
    prune: flags.syncRepo === undefined ? undefined : flags.prune,
    syncCredentialsFile: flags.syncCredentialsFile,
    dropsBySource: flags.dropsBySource ? true : undefined,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  return options;
}

export function registerServe(program: Command, _ctx: CliContext): void {
  program
    .command('serve')
    .description('run the API, the controller and the metrics endpoint until interrupted')
    .option('--listen <host:port>', 'API address (beyond loopback requires --token-file)', '127.0.0.1:8080')
    .option('--db <file>', 'lowdb JSON store (default ./dockfence.db.json, /var/lib/dockfence/db.json as root)')
    .option('--docker-host <url>', 'Docker engine URL (default DOCKER_HOST or the local socket)')
    .option('--backend <name>', 'firewall backend: nftables or iptables', 'nftables')
    .option('--resync <duration>', 'full reconcile interval, heals drift without events', '2s')
    .option('--manage-sysctls', 'load br_netfilter and set the bridge-nf-call sysctls', false)
    .option('--cleanup-on-exit', 'remove dockfence rules on shutdown (fail open)', false)
    .option('--token-file <file>', 'bearer tokens, one "TOKEN,ROLE" (admin|viewer) per line')
    .option('--tls-cert <file>', 'serve the API over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key (PEM) for --tls-cert')
    .option('--metrics-listen <host:port>', 'serve /metrics on a separate address as well')
    .option('--sync-repo <url>', 'GitOps: apply the manifests of this git repository')
    .option('--sync-branch <branch>', 'GitOps: branch to follow')
    .option('--sync-path <path>', 'GitOps: directory of manifests inside the repository')
    .option('--sync-interval <duration>', 'GitOps: how often to fetch')
    .option('--prune', 'GitOps: delete resources that left the repository', false)
    .option('--sync-credentials-file <file>', 'GitOps: SSH private key or HTTPS token file for the repository')
    .option('--drops-by-source', 'also count drops per source container (nftables; for investigations)', false)
    .action(async (flags: ServeFlags) => {
      const options = toServeOptions(flags);
      const main = await import('../main.js');
      await main.serve(options);
    });
}
