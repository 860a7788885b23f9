import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { bridgeName, readInventory, toInventory } from './inventory.js';

// Recorded from a real dockerd 20.10 (the harness): the article's lab with IPv6, an internal
// network with its own bridge name, an IPv6 network without gateway, a never-started container,
// a container on the default bridge and one on two networks. Fields trimmed to what we read.
const networks = JSON.parse(readFileSync(new URL('./testdata/networks.json', import.meta.url), 'utf8')) as Dockerode.NetworkInspectInfo[];
const containers = JSON.parse(readFileSync(new URL('./testdata/containers.json', import.meta.url), 'utf8')) as Dockerode.ContainerInfo[];

describe('toInventory', () => {
  const inventory = toInventory(networks, containers, true);
  const network = (name: string) => inventory.networks.find((n) => n.name === name)!;
  const container = (name: string) => inventory.containers.find((c) => c.name === name)!;

  it('keeps only bridge networks, sorted by name, with their Linux bridge names', () => {
    expect(inventory.networks.map((n) => [n.name, n.bridge])).toEqual([
      ['bridge', 'docker0'],
      ['custom', 'dfcustom0'],
      ['ext-app2', `br-${network('ext-app2').id.slice(0, 12)}`],
      ['int-app1', `br-${network('int-app1').id.slice(0, 12)}`],
      ['v6auto', `br-${network('v6auto').id.slice(0, 12)}`],
    ]);
    expect(network('int-app1').bridge).toBe('br-1ad7f469e3d3');
  });

  it('reads IPv4 and IPv6 subnets with one gateway each, filling those Docker leaves out', () => {
    expect(network('int-app1')).toMatchObject({ subnets: ['10.10.101.0/24', 'fd0a:101::/64'], gateways: ['10.10.101.1', 'fd0a:101::1'] });
    expect(network('bridge')).toMatchObject({ subnets: ['172.17.0.0/16'], gateways: ['172.17.0.1'] });
    expect(network('v6auto')).toMatchObject({ subnets: ['172.19.0.0/16', 'fd0a:200::/64'], gateways: ['172.19.0.1', 'fd0a:200::1'] });
  });

  it('reads labels, options and internal', () => {
    expect(network('custom')).toMatchObject({
      internal: true,
      labels: { tier: 'db' },
      options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.name': 'dfcustom0' },
    });
    expect(network('int-app1')).toMatchObject({ internal: false, labels: { 'com.docker.compose.project': 'app1' } });
  });

  it('lists containers of every state, sorted, names without the slash, with per-network addresses', () => {
    expect(inventory.containers.map((c) => [c.name, c.state])).toEqual([
      ['app1-mysql', 'running'],
      ['app1-wordpress', 'running'],
      ['app2-nginx', 'running'],
      ['legacy', 'running'],
      ['multi', 'running'],
      ['stopped', 'created'],
    ]);
    expect(container('app1-mysql').endpoints).toEqual([{ network: 'int-app1', ipv4: '10.10.101.2', ipv6: 'fd0a:101::2' }]);
    expect(container('multi').endpoints).toEqual([
      { network: 'custom', ipv4: '172.18.0.2' },
      { network: 'v6auto', ipv4: '172.19.0.2', ipv6: 'fd0a:200::2' },
    ]);
    expect(container('stopped').endpoints).toEqual([{ network: 'custom' }]);
  });

  it('keeps compose labels and sorts label keys', () => {
    expect(container('app1-wordpress').labels).toMatchObject({ 'com.docker.compose.project': 'app1', 'com.docker.compose.service': 'wordpress' });
    expect(Object.keys(container('legacy').labels)).toEqual(['a', 'b']);
  });

  it('is deterministic: shuffled input gives byte-identical output', () => {
    const shuffled = toInventory([...networks].reverse(), [...containers].reverse(), true);
    expect(JSON.stringify(shuffled)).toBe(JSON.stringify(inventory));
  });

  it('drops endpoints on networks it does not list (host, none, gone)', () => {
    const onHost = { ...containers[0], Names: ['/h'], NetworkSettings: { Networks: { host: { NetworkID: networks.find((n) => n.Name === 'host')!.Id } } } };
    const orphan = { ...containers[0], Names: ['/o'], NetworkSettings: { Networks: { old: { NetworkID: 'f'.repeat(64) } } } };
    const result = toInventory(networks, [onHost, orphan] as unknown as Dockerode.ContainerInfo[], false);
    expect(result.containers.map((c) => c.endpoints)).toEqual([[], []]);
    expect(result.dockerIptables).toBe(false);
  });
});

describe('bridgeName', () => {
  it('prefers the bridge-name option, then docker0 for the default network, then br-<id12>', () => {
    expect(bridgeName({ Id: 'abc', Name: 'x', Options: { 'com.docker.network.bridge.name': 'mybr' } })).toBe('mybr');
    expect(bridgeName({ Id: 'abc', Name: 'bridge', Options: {} })).toBe('docker0');
    expect(bridgeName({ Id: '0123456789abcdef', Name: 'x' })).toBe('br-0123456789ab');
  });
});

describe('readInventory', () => {
  it('lists networks then all containers and passes dockerIptables through', async () => {
    const calls: string[] = [];
    const lister = {
      listNetworks: async () => (calls.push('networks'), networks),
      listContainers: async (options: { all: boolean }) => (calls.push(`containers all=${options.all}`), containers),
    };
    const inventory = await readInventory(lister, false);
    expect(calls).toEqual(['networks', 'containers all=true']);
    expect(inventory).toEqual(toInventory(networks, containers, false));
  });

  it('wraps Docker errors with what it was doing', async () => {
    const lister = { listNetworks: async () => Promise.reject(new Error('connect ENOENT')), listContainers: async () => [] };
    await expect(readInventory(lister, true)).rejects.toThrow(/reading the Docker inventory/);
  });
});
