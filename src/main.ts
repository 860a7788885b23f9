// The one place real adapters are built and wired: store, Docker, backend, controller, API,
// metrics. `dockfence serve` calls serve(); everything else receives its dependencies.

export interface ServeOptions {
  listen: string; // HOST:PORT, default 127.0.0.1:8080
  db?: string; // lowdb file; default ./dockfence.db.json or /var/lib/dockfence/db.json as root
  dockerHost?: string; // DOCKER_HOST-style URL; default DOCKER_HOST or the local socket
  backend: 'nftables' | 'iptables';
  resync: string; // duration like 2s, 500ms, 1m
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
  prune?: boolean;
}

/** Run the API, controller and metrics until SIGINT/SIGTERM. Resolves when shut down. */
export async function serve(options: ServeOptions): Promise<void> {
  throw new Error(`dockfence serve is not wired yet (${JSON.stringify(options)})`);
}
