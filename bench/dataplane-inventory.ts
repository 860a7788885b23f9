// The inventories the data-plane bench compiles: the two lab networks (net-a on br-aaaaaaaaaaaa,
// net-b on br-bbbbbbbbbbbb) plus filler networks, filler exceptions that the bench traffic never
// matches, and the one exception that admits the bench flows from net-a to net-b (`zz-bench`).

import { container, network } from '../src/compiler/testdata/lab.js';
import type { Snapshot } from '../src/compiler/snapshot.js';
import type { ExposeRule } from '../src/resources/types.js';
import { benchPolicies, fillerExceptions, fillerNetwork } from './inventory.js';
import { ADDR } from './topology.js';

/** Ports on c2 (and the LAN host): 9 = silent UDP sink, 7 = replying UDP sink, 5201 = iperf3. */
export const PORTS = { sink: 9, reply: 7, iperf: 5201 } as const;

export const BENCH_EXCEPTION = 'zz-bench';

/** Filler container k: alternately on net-a and net-b, away from the lab's own addresses. */
function fillerLabContainer(k: number): ReturnType<typeof container> {
  const h = k >> 1;
  const [net, prefix] = k % 2 === 0 ? ['net-a', '10.201'] : ['net-b', '10.202'];
  return container(`c-${String(k).padStart(5, '0')}`, [[net, `${prefix}.${1 + (h >> 8)}.${h & 255}`]]);
}

/**
 * `networks` governed networks in all (>= 2: net-a, net-b and networks-2 fillers), `exceptions`
 * filler exceptions (sorted ahead of or around the bench one; none matches bench traffic) and
 * the bench ExposeRule opening bench-b's UDP 9, UDP 7 and TCP 5201 to bench-a.
 */
export function dataplaneSnapshot(networks: number, exceptions: number): Snapshot {
  if (networks < 2) throw new Error('bench: the data-plane lab needs at least its two networks');
  const inventoryNetworks = [
    network('net-a', 'aaaaaaaaaaaa0000', [ADDR.subnetA], { tier: 'edge' }),
    network('net-b', 'bbbbbbbbbbbb0000', [ADDR.subnetB], { tier: 'edge' }),
    ...Array.from({ length: networks - 2 }, (_, i) => fillerNetwork(i)),
  ];
  const fillers = Array.from({ length: Math.max(2, exceptions) }, (_, k) => fillerLabContainer(k));
  const { expose, egress } = fillerExceptions(exceptions, fillers.length);
  const bench: ExposeRule = {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'ExposeRule',
    metadata: { name: BENCH_EXCEPTION, generation: 1 },
    spec: {
      target: { names: ['bench-b'] },
      ports: [
        { port: PORTS.sink, protocol: 'udp' },
        { port: PORTS.reply, protocol: 'udp' },
        { port: PORTS.iperf, protocol: 'tcp' },
      ],
      from: [{ containers: { names: ['bench-a'] } }],
    },
  };
  return {
    policies: benchPolicies(),
    exposeRules: [...expose, bench],
    egressExceptions: egress,
    inventory: {
      dockerIptables: true,
      networks: inventoryNetworks,
      containers: [container('bench-a', [['net-a', ADDR.a]]), container('bench-b', [['net-b', ADDR.b]]), ...fillers],
    },
  };
}
