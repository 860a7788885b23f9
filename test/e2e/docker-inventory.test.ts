// The Docker adapter against a real dockerd in a harness namespace: readInventory reports the
// bridges, subnets, addresses and labels the kernel and Docker really have; the event watcher
// sees lifecycle events and survives dockerd restarts; the iptables-mode probe tells both modes apart.

import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerInventory } from '../../src/compiler/snapshot.js';
import { createDockerClient } from '../../src/docker/client.js';
import { watchDockerEvents, type DockerEvent } from '../../src/docker/events.js';
import { readInventory } from '../../src/docker/inventory.js';
import { detectDockerIptables } from '../../src/docker/iptables-mode.js';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { IMAGE_REF } from '../harness/image.js';
import { buildArticleLab, LAB, type Lab } from '../harness/lab.js';
import { pollUntil } from '../harness/probes.js';

describe('Docker adapter against a real dockerd', () => {
  let host: DockerHost;
  let lab: Lab;
  let docker: Dockerode;
  let inventory: DockerInventory;

  beforeAll(async () => {
    host = await startDockerHost({ name: 'inventory', iptables: true });
    lab = await buildArticleLab(host, { ipv6: true });
    docker = createDockerClient(host.dockerHost);
    await docker.createNetwork({
      Name: 'custom',
      Driver: 'bridge',
      Internal: true,
      Options: { 'com.docker.network.bridge.name': 'dfcustom0' },
      Labels: { tier: 'db' },
    });
    await docker.createContainer({ name: 'never-started', Image: IMAGE_REF, Cmd: ['true'], Labels: { role: 'batch' }, HostConfig: { NetworkMode: 'custom' } });
    inventory = await readInventory(docker, await detectDockerIptables(host.exec));
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('reports bridge networks with the Linux bridges that really exist in the host namespace', async () => {
    expect(inventory.networks.map((n) => n.name)).toEqual(['bridge', 'custom', 'ext-app2', 'int-app1']);
    const bridges = Object.fromEntries(inventory.networks.map((n) => [n.name, n.bridge]));
    expect(bridges).toEqual({ bridge: 'docker0', custom: 'dfcustom0', 'ext-app2': lab.networks['ext-app2'].bridge, 'int-app1': lab.networks['int-app1'].bridge });
    const links = (await host.exec('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout;
    for (const bridge of Object.values(bridges)) expect(links).toContain(`: ${bridge}:`);
  });

  it('reports subnets and gateways, and each gateway is an address of its bridge', async () => {
    const app1 = inventory.networks.find((n) => n.name === 'int-app1')!;
    expect(app1).toMatchObject({ subnets: ['10.10.101.0/24', 'fd0a:101::/64'], gateways: ['10.10.101.1', 'fd0a:101::1'], internal: false });
    expect(app1.labels).toEqual({ 'com.docker.compose.project': 'app1' });
    expect(inventory.networks.find((n) => n.name === 'custom')).toMatchObject({ internal: true, labels: { tier: 'db' } });
    for (const network of inventory.networks) {
      expect(network.gateways.length, network.name).toBe(network.subnets.length);
      const addresses = (await host.exec('ip', ['-o', 'addr', 'show', 'dev', network.bridge])).stdout;
      for (const gateway of network.gateways) expect(addresses, `${network.name} ${gateway}`).toContain(` ${gateway}/`);
    }
  });

  it('reports containers of every state with their labels and per-network IPv4/IPv6 addresses', () => {
    expect(inventory.containers.map((c) => [c.name, c.state])).toEqual([
      ['app1-mysql', 'running'],
      ['app1-wordpress', 'running'],
      ['app2-nginx', 'running'],
      ['never-started', 'created'],
    ]);
    for (const [name, spec] of Object.entries(LAB.containers)) {
      const container = inventory.containers.find((c) => c.name === name)!;
      expect(container.id).toBe(lab.containers[name]);
      expect(container.endpoints).toEqual([{ network: spec.network, ipv4: spec.ip, ipv6: spec.ip6 }]);
      expect(container.labels).toMatchObject({ 'com.docker.compose.project': spec.project, 'com.docker.compose.service': spec.service });
    }
    expect(inventory.containers.find((c) => c.name === 'never-started')).toMatchObject({ labels: { role: 'batch' }, endpoints: [{ network: 'custom' }] });
  });

  it('detects that this dockerd manages iptables', () => {
    expect(inventory.dockerIptables).toBe(true);
  });

  it('sees container and network lifecycle events', async () => {
    const events: DockerEvent[] = [];
    const controller = new AbortController();
    const watching = watchDockerEvents(docker, (e) => events.push(e), { signal: controller.signal, onReconnect: () => undefined });
    try {
      const network = await docker.createNetwork({ Name: 'evnet', Driver: 'bridge' });
      const container = await docker.createContainer({ name: 'ev1', Image: IMAGE_REF, Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'evnet', Init: true } });
      await container.start();
      await docker.getNetwork('int-app1').connect({ Container: container.id });
      await container.rename({ name: 'ev2' });
      await container.kill();
      await docker.getNetwork('int-app1').disconnect({ Container: container.id });
      await container.remove();
      await network.remove();
      const seen = (): string[] => events.map((e) => `${e.type} ${e.action} ${e.name}`);
      const expected = [
        'network create evnet',
        'network connect evnet',
        'container start ev1',
        'network connect int-app1',
        'container rename ev2',
        'container die ev2',
        'network disconnect int-app1',
        'container destroy ev2',
        'network destroy evnet',
      ];
      // In this order, other events in between (a stopping container also leaves its networks).
      const inOrder = (): boolean => {
        let from = 0;
        for (const event of expected) {
          from = seen().indexOf(event, from) + 1;
          if (from === 0) return false;
        }
        return true;
      };
      expect(await pollUntil(async () => inOrder(), true, 10_000, 50), seen().join('\n')).toBe(true);
      expect(events.find((e) => e.action === 'start' && e.name === 'ev1')!.id).toBe(container.id); // earlier events may be replayed (since = this second)
    } finally {
      controller.abort();
      await watching;
    }
  });

  it('reconnects after dockerd restarts (clean stop and SIGKILL) and keeps delivering events', async () => {
    const events: DockerEvent[] = [];
    let reconnects = 0;
    const controller = new AbortController();
    const watching = watchDockerEvents(docker, (e) => events.push(e), {
      signal: controller.signal,
      onReconnect: () => (reconnects += 1),
      backoff: { initialMs: 50, maxMs: 500 },
    });
    try {
      for (const [round, signal] of [[1, 'SIGTERM'], [2, 'SIGKILL']] as const) {
        const before = host.dockerdPid();
        await host.restartDockerd(signal);
        expect(host.dockerdPid()).not.toBe(before);
        expect(await pollUntil(async () => reconnects >= round, true, 15_000, 50)).toBe(true);
        const name = `after-restart-${round}`;
        const container = await docker.createContainer({ name, Image: IMAGE_REF, Cmd: ['sleep', '600'], HostConfig: { Init: true } });
        await container.start();
        expect(await pollUntil(async () => events.some((e) => e.action === 'start' && e.name === name), true, 10_000, 50)).toBe(true);
        await container.remove({ force: true });
      }
      // --restart=always brings the lab back with the same addresses: a relist sees it.
      expect(
        await pollUntil(async () => {
          const relisted = await readInventory(docker, true);
          return relisted.containers.filter((c) => c.state === 'running' && c.name.startsWith('app')).length === 3;
        }, true, 20_000),
      ).toBe(true);
    } finally {
      controller.abort();
      await watching;
    }
  });
});

describe('Docker iptables mode', () => {
  it('is false for a dockerd started with --iptables=false', async () => {
    const host = await startDockerHost({ name: 'noiptables', iptables: false });
    try {
      expect(await detectDockerIptables(host.exec)).toBe(false);
      const inventory = await readInventory(createDockerClient(host.dockerHost), false);
      expect(inventory.networks.map((n) => `${n.name}:${n.bridge}`)).toEqual(['bridge:docker0']);
    } finally {
      await host.stop();
    }
  });
});
