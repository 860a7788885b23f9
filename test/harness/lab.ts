// The article's lab on a harness Docker host: networks int-app1 and ext-app2 and the containers
// app1-mysql, app1-wordpress, app2-nginx with the article's static IPs and compose-like labels,
// all from the harness image, each running servers a probe can reach (see LAB).

import type Dockerode from 'dockerode';
import type { DockerHost } from './docker-host.js';
import { delay } from './dockerd.js';
import { IMAGE_REF } from './image.js';
import { execInContainer } from './probes.js';

export interface LabContainer {
  network: string;
  ip: string;
  ip6: string;
  project: string;
  service: string;
  tcpPorts: number[];
  udpPorts: number[];
  /** Docker-published ports (hostPort -> container port/protocol), only with `publish: true`. */
  published: Array<{ hostPort: number; port: number; protocol: 'tcp' | 'udp' }>;
}

export const LAB = {
  networks: {
    'int-app1': { subnet: '10.10.101.0/24', gateway: '10.10.101.1', subnet6: 'fd0a:101::/64', gateway6: 'fd0a:101::1', project: 'app1' },
    'ext-app2': { subnet: '10.10.102.0/24', gateway: '10.10.102.1', subnet6: 'fd0a:102::/64', gateway6: 'fd0a:102::1', project: 'app2' },
  },
  containers: {
    'app1-mysql': { network: 'int-app1', ip: '10.10.101.2', ip6: 'fd0a:101::2', project: 'app1', service: 'mysql', tcpPorts: [3306], udpPorts: [7], published: [] },
    'app1-wordpress': { network: 'int-app1', ip: '10.10.101.3', ip6: 'fd0a:101::3', project: 'app1', service: 'wordpress', tcpPorts: [80], udpPorts: [7], published: [] },
    'app2-nginx': {
      network: 'ext-app2', ip: '10.10.102.2', ip6: 'fd0a:102::2', project: 'app2', service: 'nginx', tcpPorts: [80, 443], udpPorts: [7, 443],
      published: [{ hostPort: 80, port: 80, protocol: 'tcp' }, { hostPort: 443, port: 443, protocol: 'tcp' }, { hostPort: 443, port: 443, protocol: 'udp' }],
    },
  } satisfies Record<string, LabContainer>,
} as const;

export type LabContainerName = keyof typeof LAB.containers;

export interface LabOptions {
  /** Publish app2-nginx's ports through Docker itself (-p 80:80 -p 443:443 -p 443:443/udp). Default false: dockfence ExposeRules publish instead. */
  publish?: boolean;
  /** Give both networks IPv6 subnets and the containers IPv6 addresses (LAB.*.ip6). Default false. */
  ipv6?: boolean;
}

export interface Lab {
  /** network name -> id and Linux bridge name (`br-<id12>`). */
  networks: Record<string, { id: string; bridge: string }>;
  /** container name -> id. */
  containers: Record<string, string>;
  buildMs: number;
}

/**
 * Creates the lab's networks and containers on `host` and waits until every container's servers
 * answer locally. Containers run with --init and --restart=always (as in the article), so they
 * stop fast and come back after a dockerd restart. Throws on any Docker error.
 */
export async function buildArticleLab(host: DockerHost, options: LabOptions = {}): Promise<Lab> {
  const started = performance.now();
  const networks: Lab['networks'] = {};
  for (const [name, spec] of Object.entries(LAB.networks)) {
    const config: Array<{ Subnet: string; IPRange?: string; Gateway: string }> = [{ Subnet: spec.subnet, IPRange: spec.subnet, Gateway: spec.gateway }];
    // No IPRange on the /64: dockerd 20.10 then fails dynamic allocations ("invalid bit range").
    if (options.ipv6) config.push({ Subnet: spec.subnet6, Gateway: spec.gateway6 });
    const network = await host.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      EnableIPv6: options.ipv6 === true,
      IPAM: { Driver: 'default', Config: config },
      Labels: { 'com.docker.compose.project': spec.project },
    });
    networks[name] = { id: network.id, bridge: `br-${network.id.slice(0, 12)}` };
  }
  const containers: Lab['containers'] = {};
  await Promise.all(
    Object.entries(LAB.containers).map(async ([name, spec]) => {
      const container = await host.docker.createContainer(labContainerConfig(name, spec, options));
      await container.start();
      containers[name] = container.id;
    }),
  );
  await Promise.all(Object.entries(LAB.containers).map(([name, spec]) => waitForServers(host.docker, name, spec)));
  return { networks, containers, buildMs: performance.now() - started };
}

/** The create-container body for one lab container (also usable to add look-alikes in tests). */
export function labContainerConfig(name: string, spec: LabContainer, options: LabOptions = {}): Dockerode.ContainerCreateOptions {
  const published = options.publish ? spec.published : [];
  return {
    name,
    Image: IMAGE_REF,
    Cmd: ['sh', '-c', serverScript(spec.tcpPorts, spec.udpPorts)],
    Labels: {
      'com.docker.compose.project': spec.project,
      'com.docker.compose.service': spec.service,
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
    },
    ExposedPorts: Object.fromEntries(published.map((p) => [`${p.port}/${p.protocol}`, {}])),
    HostConfig: {
      NetworkMode: spec.network,
      Init: true,
      RestartPolicy: { Name: 'always' },
      PortBindings: Object.fromEntries(published.map((p) => [`${p.port}/${p.protocol}`, [{ HostPort: String(p.hostPort) }]])),
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.network]: { IPAMConfig: options.ipv6 ? { IPv4Address: spec.ip, IPv6Address: spec.ip6 } : { IPv4Address: spec.ip } },
      },
    },
  };
}

/** sh script: busybox httpd (daemonized) on each TCP port, dfprobe UDP echo on each UDP port. */
export function serverScript(tcpPorts: readonly number[], udpPorts: readonly number[]): string {
  const lines = [
    ...tcpPorts.map((port) => `httpd -p ${port} -h /www`),
    ...udpPorts.map((port) => `dfprobe udp-echo ${port} &`),
    'exec sleep 2147483647',
  ];
  return lines.join('\n');
}

async function waitForServers(docker: Dockerode, name: string, spec: LabContainer): Promise<void> {
  const checks = [...spec.tcpPorts.map((p) => ['tcp', '127.0.0.1', String(p)]), ...spec.udpPorts.map((p) => ['udp', '127.0.0.1', String(p)])];
  const deadline = Date.now() + 15_000;
  for (const check of checks) {
    while ((await execInContainer(docker, name, ['dfprobe', ...check, '--timeout', '300'])).exitCode !== 0) {
      if (Date.now() > deadline) throw new Error(`harness: ${name} does not answer ${check.join(' ')}`);
      await delay(50);
    }
  }
}
