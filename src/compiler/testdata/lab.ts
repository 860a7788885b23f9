// Fixtures for compiler tests: the article's lab as a Docker inventory (trimmed from what
// `docker network inspect` / `docker inspect` report) and as resources.

import type { DockerContainer, DockerInventory, DockerNetwork, Snapshot } from '../snapshot.js';
import type { EgressException, ExposeRule, IsolationPolicy } from '../../resources/types.js';

export function network(name: string, id: string, subnets: string[], labels: Record<string, string> = {}): DockerNetwork {
  return {
    id,
    name,
    driver: 'bridge',
    bridge: name === 'bridge' ? 'docker0' : `br-${id.slice(0, 12)}`,
    subnets,
    gateways: subnets.map((s) => s.replace(/0\/\d+$/, '1')),
    labels,
    options: {},
    internal: false,
  };
}

export function container(
  name: string,
  endpoints: Array<[string, string, string?]>,
  labels: Record<string, string> = {},
): DockerContainer {
  return {
    id: `${name}-id`,
    name,
    labels,
    state: 'running',
    endpoints: endpoints.map(([net, ipv4, ipv6]) => ({ network: net, ipv4, ...(ipv6 ? { ipv6 } : {}) })),
  };
}

export function labInventory(dockerIptables = true): DockerInventory {
  return {
    dockerIptables,
    networks: [
      network('bridge', 'a0a0a0a0a0a0a0a0', ['172.17.0.0/16']),
      network('int-app1', '1111111111112222', ['10.10.101.0/24'], { tier: 'internal' }),
      network('ext-app2', '3333333333334444', ['10.10.102.0/24'], { tier: 'edge' }),
      { ...network('host', 'ffffffffffffffff', []), driver: 'host', bridge: '' },
    ],
    containers: [
      container('app1-mysql', [['int-app1', '10.10.101.2']], { 'com.docker.compose.project': 'app1', 'com.docker.compose.service': 'db' }),
      container('app1-wordpress', [['int-app1', '10.10.101.3']], { 'com.docker.compose.project': 'app1', 'com.docker.compose.service': 'web' }),
      container('app2-nginx', [['ext-app2', '10.10.102.2']], { 'com.docker.compose.project': 'app2', 'com.docker.compose.service': 'proxy' }),
    ],
  };
}

function meta(name: string): { name: string; generation: number } {
  return { name, generation: 1 };
}

export const labPolicy: IsolationPolicy = {
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'IsolationPolicy',
  metadata: meta('lab-isolation'),
  spec: {
    networks: { names: ['int-app1', 'ext-app2'] },
    sameNetwork: 'Allow',
    otherNetworks: 'Deny',
    host: 'Deny',
    protectedCidrs: ['10.10.10.0/24'],
    external: 'Allow',
    mode: 'Enforce',
  },
};

export const labExpose: ExposeRule[] = [
  {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'ExposeRule',
    metadata: meta('app2-web'),
    spec: {
      target: { names: ['app2-nginx'] },
      ports: [
        { port: 443, protocol: 'tcp', hostPort: 443 },
        { port: 80, protocol: 'tcp', hostPort: 80 },
      ],
      from: [{ cidr: '0.0.0.0/0' }],
      hostInterfaces: ['ens3'],
    },
  },
  {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'ExposeRule',
    metadata: meta('app2-to-app1-web'),
    spec: { target: { names: ['app1-wordpress'] }, ports: [{ port: 80, protocol: 'tcp' }], from: [{ containers: { names: ['app2-nginx'] } }] },
  },
];

export const labEgress: EgressException[] = [
  {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'EgressException',
    metadata: meta('app1-to-webserver'),
    spec: { source: { names: ['app1-wordpress'] }, to: [{ cidr: '10.10.10.55/32', ports: [{ port: 80, protocol: 'tcp' }] }] },
  },
];

export function labSnapshot(dockerIptables = true): Snapshot {
  return { policies: [labPolicy], exposeRules: labExpose, egressExceptions: labEgress, inventory: labInventory(dockerIptables) };
}
