// Reads the live Docker host into the plain DockerInventory the compiler consumes: bridge
// networks with their Linux bridge names and IPAM, and every container with its per-network
// addresses. Two list calls, no per-object inspect; the mapping itself is pure and unit-tested.

import type Dockerode from 'dockerode';
import type { ContainerEndpoint, DockerContainer, DockerInventory, DockerNetwork } from '../compiler/snapshot.js';
import { firstHostAddress, subnetContains } from './address.js';

/** The two Docker API reads the inventory needs; Dockerode satisfies it. */
export interface DockerLister {
  listNetworks(): Promise<Dockerode.NetworkInspectInfo[]>;
  listContainers(options: { all: boolean }): Promise<Dockerode.ContainerInfo[]>;
}

/**
 * Lists networks and all containers (every state) and maps them with `toInventory`.
 * `dockerIptables` comes from detectDockerIptables (a separate probe of the host's firewall).
 * Rejects with the Docker API error (wrapped, with the action) when dockerd cannot be read.
 */
export async function readInventory(docker: DockerLister, dockerIptables: boolean): Promise<DockerInventory> {
  let networks: Dockerode.NetworkInspectInfo[];
  let containers: Dockerode.ContainerInfo[];
  try {
    // Networks first: a container listed later may only reference networks we know or newer ones,
    // and endpoints on unknown networks are dropped (the next reconcile sees them).
    networks = await docker.listNetworks();
    containers = await docker.listContainers({ all: true });
  } catch (error) {
    throw new Error('reading the Docker inventory (networks, containers)', { cause: error });
  }
  return toInventory(networks, containers, dockerIptables);
}

/**
 * Pure mapping from Docker's list responses. Only `bridge`-driver networks are kept (the only
 * kind dockfence governs); containers keep only endpoints on those networks, matched by network
 * id (by name when Docker gives no id, as for never-started containers). One gateway per subnet,
 * in Docker's subnet order. Everything else sorted by name: same input, same output.
 */
export function toInventory(
  networks: Dockerode.NetworkInspectInfo[],
  containers: Dockerode.ContainerInfo[],
  dockerIptables: boolean,
): DockerInventory {
  const observedGateways = endpointGateways(containers);
  const bridges = networks.filter((n) => n.Driver === 'bridge').map((n) => toNetwork(n, observedGateways.get(n.Id) ?? []));
  bridges.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
  const byId = new Map(bridges.map((n) => [n.id, n]));
  const byName = new Map(bridges.map((n) => [n.name, n]));
  const mapped = containers.map((c) => toContainer(c, byId, byName));
  mapped.sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id));
  return { networks: bridges, containers: mapped, dockerIptables };
}

/** The Linux bridge Docker uses for a bridge network (see DockerNetwork.bridge). */
export function bridgeName(network: Pick<Dockerode.NetworkInspectInfo, 'Id' | 'Name' | 'Options'>): string {
  const configured = network.Options?.['com.docker.network.bridge.name'];
  if (configured) return configured;
  if (network.Name === 'bridge') return 'docker0'; // the default network, should the option be absent
  return `br-${network.Id.slice(0, 12)}`;
}

/**
 * Docker's IPAM config omits the gateway of the default bridge (until a daemon restart) and of
 * IPv6 subnets created without one. Then the gateway a running endpoint reports wins, else the
 * subnet's first host address (what the default IPAM driver assigns).
 */
function gatewayOf(subnet: string, configured: string | undefined, observed: string[]): string | undefined {
  if (configured) return configured;
  return observed.find((gateway) => subnetContains(subnet, gateway)) ?? firstHostAddress(subnet);
}

/** network id -> gateways reported by the endpoints of running containers. */
function endpointGateways(containers: Dockerode.ContainerInfo[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const container of containers) {
    for (const settings of Object.values(container.NetworkSettings?.Networks ?? {})) {
      const found = [settings.Gateway, settings.IPv6Gateway].filter(isSet);
      if (settings.NetworkID && found.length > 0) out.set(settings.NetworkID, [...(out.get(settings.NetworkID) ?? []), ...found]);
    }
  }
  return out;
}

function toNetwork(info: Dockerode.NetworkInspectInfo, observedGateways: string[]): DockerNetwork {
  const configs = (info.IPAM?.Config ?? []).filter((c) => isSet(c.Subnet));
  return {
    id: info.Id,
    name: info.Name,
    driver: info.Driver,
    bridge: bridgeName(info),
    subnets: configs.map((c) => c.Subnet!),
    gateways: configs.map((c) => gatewayOf(c.Subnet!, c.Gateway, observedGateways)).filter(isSet),
    labels: sortedRecord(info.Labels),
    options: sortedRecord(info.Options),
    internal: info.Internal === true,
  };
}

function toContainer(
  info: Dockerode.ContainerInfo,
  byId: Map<string, DockerNetwork>,
  byName: Map<string, DockerNetwork>,
): DockerContainer {
  const endpoints: ContainerEndpoint[] = [];
  for (const [key, settings] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    const network = settings.NetworkID ? byId.get(settings.NetworkID) : byName.get(key);
    if (!network) continue;
    const endpoint: ContainerEndpoint = { network: network.name };
    if (settings.IPAddress) endpoint.ipv4 = settings.IPAddress;
    if (settings.GlobalIPv6Address) endpoint.ipv6 = settings.GlobalIPv6Address;
    endpoints.push(endpoint);
  }
  endpoints.sort((a, b) => compare(a.network, b.network));
  return {
    id: info.Id,
    name: containerName(info.Names ?? [], info.Id),
    labels: sortedRecord(info.Labels),
    state: info.State,
    endpoints,
  };
}

/** `/app1-mysql` -> `app1-mysql`; legacy link aliases (`/web/db`) are skipped. */
function containerName(names: string[], id: string): string {
  const plain = names.map((n) => n.replace(/^\//, '')).find((n) => !n.includes('/'));
  return plain ?? id.slice(0, 12);
}

function sortedRecord(record: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record ?? {}).sort(compare)) out[key] = record![key];
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isSet(value: string | undefined): value is string {
  return typeof value === 'string' && value.length > 0;
}
