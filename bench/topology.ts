// The data-plane lab: a router namespace standing in for the Docker host, whose two veth ends are
// named like Docker bridges (so the compiled dispatch matches them), one client namespace behind
// each, and a LAN namespace behind `ens3`. Routed, not bridged; all addresses are 10.201-203/16.
//
//   c1 (net-a) 10.201.0.2 -- br-aaaaaaaaaaaa 10.201.0.1 [router] 10.202.0.1 br-bbbbbbbbbbbb -- 10.202.0.2 c2 (net-b)
//                                                    ens3 10.203.0.1 -- 10.203.0.2 lan

import { addRoute, createVeth, setNetnsSysctl } from '../test/harness/netns.js';
import { mustRun } from '../test/harness/netns-exec.js';
import { benchNetns, removeBenchNetns, type BenchNetns } from './netns.js';

export const BRIDGE_A = 'br-aaaaaaaaaaaa';
export const BRIDGE_B = 'br-bbbbbbbbbbbb';
export const LAN_IF = 'ens3';
export const ADDR = {
  a: '10.201.0.2',
  b: '10.202.0.2',
  lan: '10.203.0.2',
  subnetA: '10.201.0.0/16',
  subnetB: '10.202.0.0/16',
} as const;

export interface Lab {
  router: BenchNetns;
  c1: BenchNetns;
  c2: BenchNetns;
  lan: BenchNetns;
  remove(): Promise<void>;
}

/**
 * Docker's own iptables as far as forwarding goes (Docker 20.10 with iptables=true): FORWARD jumps
 * to DOCKER-USER first and accepts established traffic, so conntrack runs in every scenario,
 * including the one without our ruleset. DOCKER-USER also lets the backends hook in.
 */
const DOCKER_SKELETON = [
  '*filter',
  ':DOCKER-USER - [0:0]',
  '-A FORWARD -j DOCKER-USER',
  '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A DOCKER-USER -j RETURN',
  'COMMIT',
  '',
].join('\n');

/** Creates DOCKER-USER (and Docker's FORWARD jumps) in both families of `ns`. */
export async function addDockerSkeleton(ns: BenchNetns): Promise<void> {
  await mustRun(ns.exec, 'iptables-restore', ['-w', '5', '--noflush'], DOCKER_SKELETON);
  await mustRun(ns.exec, 'ip6tables-restore', ['-w', '5', '--noflush'], DOCKER_SKELETON);
}

/** Builds the lab; on failure removes what it made and rethrows. */
export async function buildLab(): Promise<Lab> {
  const made: BenchNetns[] = [];
  const remove = async (): Promise<void> => {
    for (const ns of made.reverse()) await removeBenchNetns(ns);
  };
  try {
    for (let i = 0; i < 4; i++) made.push(await benchNetns());
    const [router, c1, c2, lan] = made as [BenchNetns, BenchNetns, BenchNetns, BenchNetns];
    await createVeth({ ns: router.name, ifname: BRIDGE_A, addresses: ['10.201.0.1/16'] }, { ns: c1.name, ifname: 'eth0', addresses: [`${ADDR.a}/16`] });
    await createVeth({ ns: router.name, ifname: BRIDGE_B, addresses: ['10.202.0.1/16'] }, { ns: c2.name, ifname: 'eth0', addresses: [`${ADDR.b}/16`] });
    await createVeth({ ns: router.name, ifname: LAN_IF, addresses: ['10.203.0.1/16'] }, { ns: lan.name, ifname: 'eth0', addresses: [`${ADDR.lan}/16`] });
    await addRoute(c1.name, 'default', { via: '10.201.0.1' });
    await addRoute(c2.name, 'default', { via: '10.202.0.1' });
    // Docker would masquerade egress; a route back keeps the path simple and NAT-free.
    await addRoute(lan.name, '10.200.0.0/13', { via: '10.203.0.1' });
    await setNetnsSysctl(router.name, 'net.ipv4.ip_forward', '1');
    await addDockerSkeleton(router);
    return { router, c1, c2, lan, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Transmitted packets of `ifname` in `ns` (from `ip -s -j link`). */
export async function txPackets(ns: BenchNetns, ifname: string): Promise<number> {
  const out = await mustRun(ns.exec, 'ip', ['-s', '-j', 'link', 'show', 'dev', ifname]);
  const parsed = JSON.parse(out) as Array<{ stats64?: { tx?: { packets?: number } } }>;
  const packets = parsed[0]?.stats64?.tx?.packets;
  if (typeof packets !== 'number') throw new Error(`bench: no tx counter for ${ifname} in ${ns.name}`);
  return packets;
}
