// The article's physical LAN for a harness Docker host: a second namespace `<host>-lan` joined to
// the host namespace by a veth whose host end is `ens3` (10.10.10.100/24). The LAN namespace
// holds the LAN hosts as addresses (web server .55, management host .20, router .1) and a "world"
// address outside the protected LAN (203.0.113.10, reached through the router). Servers answer on
// every LAN address: TCP 80 and 22 (busybox httpd, GET /x), UDP 53 and 514 (dfprobe echo).

import { spawn, type ChildProcess } from 'node:child_process';
import type { Exec } from '../../src/lib/exec.js';
import { delay } from './dockerd.js';
import type { DockerHost } from './docker-host.js';
import { LAN_SUFFIX } from './docker-host.js';
import { addAddress, addRoute, createNetns, createVeth, NETNS_DIR, netnsExec, netnsRun, removeNetns, setNetnsSysctl } from './netns.js';

/** Addresses of the simulated LAN (IPv4 and IPv6 twins). */
export const LAN = {
  cidr: '10.10.10.0/24',
  cidr6: 'fd0a:10::/64',
  hostIf: 'ens3',
  hostIp: '10.10.10.100',
  hostIp6: 'fd0a:10::100',
  lanIf: 'lan0',
  router: '10.10.10.1',
  router6: 'fd0a:10::1',
  web: '10.10.10.55',
  web6: 'fd0a:10::55',
  mgmt: '10.10.10.20',
  mgmt6: 'fd0a:10::20',
  /** Outside the protected LAN: the "internet" as seen from the Docker host. */
  world: '203.0.113.10',
  world6: '2001:db8::10',
  tcpPorts: [80, 22],
  udpPorts: [53, 514],
} as const;

export interface Lan {
  /** The LAN namespace. */
  readonly name: string;
  /** Runs programs inside the LAN namespace. */
  readonly exec: Exec;
  /** Routes `cidrs` (e.g. Docker subnets) from the LAN to the Docker host, for un-masqueraded flows. */
  routeToDocker(cidrs: readonly string[]): Promise<void>;
  /** Kills the LAN servers and removes the namespace (and with it the veth). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds the LAN next to `host`: namespace, veth ens3<->lan0, addresses, the host's default route
 * via the LAN router, ip_forward=1 in the host namespace, and the LAN servers (waited for until
 * they answer). host.stop() also stops the LAN. Throws (after cleaning up) when any step fails.
 */
export async function attachLan(host: DockerHost): Promise<Lan> {
  const name = `${host.name}${LAN_SUFFIX}`;
  const servers: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const server of servers.splice(0)) server.kill('SIGKILL');
    await removeNetns(name);
  };
  host.onStop(stop);
  try {
    await createNetns(name);
    await createVeth(
      { ns: host.name, ifname: LAN.hostIf, addresses: [`${LAN.hostIp}/24`, `${LAN.hostIp6}/64`] },
      { ns: name, ifname: LAN.lanIf, addresses: [`${LAN.router}/24`, `${LAN.router6}/64`] },
    );
    for (const address of [`${LAN.mgmt}/24`, `${LAN.web}/24`, `${LAN.mgmt6}/64`, `${LAN.web6}/64`]) {
      await addAddress(name, LAN.lanIf, address);
    }
    await addAddress(name, 'lo', `${LAN.world}/32`);
    await addAddress(name, 'lo', `${LAN.world6}/128`);
    await addRoute(host.name, 'default', { via: LAN.router, dev: LAN.hostIf });
    await addRoute(host.name, 'default', { via: LAN.router6, dev: LAN.hostIf });
    await setNetnsSysctl(host.name, 'net.ipv4.ip_forward', '1');
    await setNetnsSysctl(host.name, 'net.ipv6.conf.all.forwarding', '1');
    for (const port of LAN.tcpPorts) {
      servers.push(startServer(name, 'busybox', ['httpd', '-f', '-p', String(port), '-h', host.image.webRoot]));
    }
    for (const port of LAN.udpPorts) servers.push(startServer(name, host.image.probePath, ['udp-echo', String(port)]));
    await waitForLocalServers(name, host.image.probePath);
    return {
      name,
      exec: netnsExec(name),
      routeToDocker: async (cidrs) => {
        for (const cidr of cidrs) await addRoute(name, cidr, { via: cidr.includes(':') ? LAN.hostIp6 : LAN.hostIp });
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

function startServer(ns: string, command: string, args: string[]): ChildProcess {
  const child = spawn('nsenter', [`--net=${NETNS_DIR}/${ns}`, command, ...args], { stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return child;
}

async function waitForLocalServers(ns: string, probe: string): Promise<void> {
  const checks = [
    ...LAN.tcpPorts.map((port) => ['tcp', LAN.web, String(port)]),
    ...LAN.udpPorts.map((port) => ['udp', LAN.web, String(port)]),
  ];
  const deadline = Date.now() + 10_000;
  for (const check of checks) {
    while ((await netnsRun(ns, probe, [...check, '--timeout', '300'])).exitCode !== 0) {
      if (Date.now() > deadline) throw new Error(`harness: LAN server ${check.join(' ')} not answering`);
      await delay(50);
    }
  }
}
