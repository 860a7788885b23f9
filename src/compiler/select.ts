// Selector pass: which Docker networks and containers a resource's selectors pick out.
// Kubernetes semantics on Docker labels; fields AND together; `{}` selects everything. Pure.

import { matchesRequirements, toRequirements } from '../resources/labels.js';
import type { ContainerSelector, NetworkSelector } from '../resources/types.js';
import type { DockerContainer, DockerInventory, DockerNetwork } from './snapshot.js';

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** Bridge networks dockfence can govern: bridge driver and a usable interface name. */
export function governableNetworks(inventory: DockerInventory): DockerNetwork[] {
  return inventory.networks
    .filter((n) => n.driver === 'bridge' && IFNAME.test(n.bridge))
    .sort((a, b) => compare(a.name, b.name));
}

/** Networks a NetworkSelector picks among the governable ones, by name. */
export function selectNetworks(selector: NetworkSelector | undefined, inventory: DockerInventory): DockerNetwork[] {
  const sel = selector ?? {};
  const requirements = toRequirements(sel.matchLabels, undefined);
  return governableNetworks(inventory).filter(
    (n) => (sel.names === undefined || sel.names.includes(n.name)) && matchesRequirements(n.labels, requirements),
  );
}

/** Containers a ContainerSelector picks, sorted by name (every state; callers use their IPs). */
export function selectContainers(selector: ContainerSelector | undefined, inventory: DockerInventory): DockerContainer[] {
  const sel = selector ?? {};
  const requirements = toRequirements(sel.matchLabels, sel.matchExpressions);
  return inventory.containers
    .filter(
      (c) =>
        (sel.names === undefined || sel.names.includes(c.name)) &&
        matchesRequirements(c.labels, requirements) &&
        (sel.networks === undefined || c.endpoints.some((e) => sel.networks!.includes(e.network))),
    )
    .sort((a, b) => compare(a.name, b.name));
}

/** Addresses of a container (every endpoint), by family, sorted. */
export function containerAddresses(container: DockerContainer): { ipv4: string[]; ipv6: string[] } {
  const ipv4 = container.endpoints.flatMap((e) => (e.ipv4 ? [e.ipv4] : []));
  const ipv6 = container.endpoints.flatMap((e) => (e.ipv6 ? [e.ipv6] : []));
  return { ipv4: [...new Set(ipv4)].sort(), ipv6: [...new Set(ipv6)].sort() };
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
