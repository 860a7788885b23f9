// What the compiler reads: the declared resources and a plain snapshot of the Docker host.
// The docker/ adapter fills DockerInventory from the live engine; tests fill it from fixtures.

import type { EgressException, ExposeRule, IsolationPolicy } from '../resources/types.js';

export interface DockerNetwork {
  id: string;
  name: string;
  driver: string; // only 'bridge' networks are governed
  /** Linux bridge interface: `br-<id12>`, `docker0`, or com.docker.network.bridge.name. */
  bridge: string;
  subnets: string[]; // IPv4 and IPv6 CIDRs, as Docker's IPAM config says
  gateways: string[];
  labels: Record<string, string>;
  options: Record<string, string>;
  internal: boolean;
}

export interface ContainerEndpoint {
  network: string; // network name
  ipv4?: string;
  ipv6?: string;
}

export interface DockerContainer {
  id: string;
  name: string; // without the leading '/'
  labels: Record<string, string>;
  state: string; // running, exited, ...
  endpoints: ContainerEndpoint[];
}

export interface DockerInventory {
  networks: DockerNetwork[];
  containers: DockerContainer[];
  /** Docker manages iptables (daemon --iptables=true, the default). */
  dockerIptables: boolean;
}

export interface Snapshot {
  policies: IsolationPolicy[];
  exposeRules: ExposeRule[];
  egressExceptions: EgressException[];
  inventory: DockerInventory;
  /** Operator options copied into the ruleset (e.g. serve --drops-by-source). */
  options?: { dropsBySource?: boolean };
}
