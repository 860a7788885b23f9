// Synthetic, deterministic snapshots for the benchmarks: N bridge networks, M containers spread
// over them, K exceptions (ExposeRules and EgressExceptions, half each) and two policies, built
// with the compiler's own fixture helpers so they look like what the Docker adapter reports.

import { container, network } from '../src/compiler/testdata/lab.js';
import type { DockerContainer, DockerNetwork, Snapshot } from '../src/compiler/snapshot.js';
import type { EgressException, ExposeRule, IsolationPolicy } from '../src/resources/types.js';

export interface Scale {
  networks: number;
  containers: number;
  exceptions: number;
}

const API_VERSION = 'dockfence.io/v1alpha1';
const meta = (name: string): { name: string; generation: number } => ({ name, generation: 1 });
const pad = (n: number): string => String(n).padStart(5, '0');

/**
 * Filler network i (0 <= i < 4000): `net-00042`, a unique 12-hex-digit bridge `br-…`, and the
 * /20 10.(i>>4).((i&15)<<4).0/20 — never inside 10.200.0.0/16 (the data-plane lab's range).
 */
export function fillerNetwork(i: number): DockerNetwork {
  const id = `${(i + 1).toString(16).padStart(12, '0')}cafe`;
  const subnet = `10.${i >> 4}.${(i & 15) << 4}.0/20`;
  return network(`net-${pad(i)}`, id, [subnet], { tier: i % 2 === 0 ? 'edge' : 'internal' });
}

/** The h-th address (h < 4000) of filler network i. */
function fillerAddress(i: number, h: number): string {
  const host = h + 2;
  return `10.${i >> 4}.${((i & 15) << 4) + (host >> 8)}.${host & 255}`;
}

/** Container k of M, attached to filler network k mod N, with compose-like labels. */
export function fillerContainer(k: number, networks: number): DockerContainer {
  const net = k % networks;
  return container(`c-${pad(k)}`, [[`net-${pad(net)}`, fillerAddress(net, Math.floor(k / networks))]], {
    'com.docker.compose.project': `p${net}`,
    'com.docker.compose.service': `s${k % 7}`,
  });
}

/** Two policies as a real host might have: edge networks reach out, internal ones do not. */
export function benchPolicies(): IsolationPolicy[] {
  const policy = (name: string, tier: string, external: 'Allow' | 'Deny'): IsolationPolicy => ({
    apiVersion: API_VERSION,
    kind: 'IsolationPolicy',
    metadata: meta(name),
    spec: {
      networks: { matchLabels: { tier } },
      sameNetwork: 'Allow',
      otherNetworks: 'Deny',
      host: 'Deny',
      hostPorts: [{ protocol: 'udp', port: 53 }],
      protectedCidrs: ['192.168.0.0/16', '10.250.0.0/16'],
      external,
      mode: 'Enforce',
    },
  });
  return [policy('edge', 'edge', 'Allow'), policy('internal', 'internal', 'Deny')];
}

/**
 * Exception j of K: even j an ExposeRule (a container's port open to the next container, which
 * sits on the next network), odd j an EgressException (a container to one LAN address on 443). Names sort in j
 * order and before `zz-…`, so a bench exception named `zz-…` is evaluated after all of them.
 */
export function fillerExceptions(count: number, containers: number): { expose: ExposeRule[]; egress: EgressException[] } {
  const expose: ExposeRule[] = [];
  const egress: EgressException[] = [];
  for (let j = 0; j < count; j++) {
    const target = `c-${pad(j % containers)}`;
    if (j % 2 === 0) {
      const from = `c-${pad((j + 1) % containers)}`;
      expose.push({
        apiVersion: API_VERSION,
        kind: 'ExposeRule',
        metadata: meta(`x-${pad(j)}`),
        spec: { target: { names: [target] }, ports: [{ port: 8000 + (j % 100), protocol: 'tcp' }], from: [{ containers: { names: [from] } }] },
      });
    } else {
      egress.push({
        apiVersion: API_VERSION,
        kind: 'EgressException',
        metadata: meta(`e-${pad(j)}`),
        spec: { source: { names: [target] }, to: [{ cidr: `192.168.${(j >> 8) & 255}.${j & 255}/32`, ports: [{ port: 443, protocol: 'tcp' }] }] },
      });
    }
  }
  return { expose, egress };
}

/** A snapshot of the given scale (Docker manages iptables, the common default). */
export function syntheticSnapshot(scale: Scale, dockerIptables = true): Snapshot {
  if (scale.networks < 1 || scale.networks > 4000) throw new Error(`bench: networks must be 1..4000, got ${scale.networks}`);
  const networks = Array.from({ length: scale.networks }, (_, i) => fillerNetwork(i));
  const containers = Array.from({ length: scale.containers }, (_, k) => fillerContainer(k, scale.networks));
  const { expose, egress } = fillerExceptions(scale.exceptions, Math.max(1, scale.containers));
  return {
    policies: benchPolicies(),
    exposeRules: expose,
    egressExceptions: egress,
    inventory: { networks, containers, dockerIptables },
  };
}

/** "N=50 M=1000 K=100" */
export function describeScale(scale: Scale): string {
  return `N=${scale.networks} M=${scale.containers} K=${scale.exceptions}`;
}
