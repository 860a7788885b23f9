// Proves the Docker-host harness with Docker's own behaviour and no dockfence: a real dockerd
// (iptables=true) in a namespace, the article's lab and LAN, and probes that must say yes where
// Docker lets packets through and no where it does not (closed ports, isolated networks).

import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerHost, sweepStaleHosts, type DockerHost } from '../harness/docker-host.js';
import { hostSocketPath, hostStateDir, spawnDockerd } from '../harness/dockerd.js';
import { diffSnapshots, snapshotHostNetns, type HostNetnsSnapshot } from '../harness/global-guard.js';
import { WEB_BODY } from '../harness/image.js';
import { forwardTcp } from '../harness/forward.js';
import { attachLan, LAN, type Lan } from '../harness/lan.js';
import { buildArticleLab, LAB } from '../harness/lab.js';
import { createNetns, netnsExists, netnsRun } from '../harness/netns.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';

const mysql = LAB.containers['app1-mysql'];
const wordpress = LAB.containers['app1-wordpress'];
const nginx = LAB.containers['app2-nginx'];
const fromWordpress = { container: 'app1-wordpress' };
const fromNginx = { container: 'app2-nginx' };
const fromMgmt = { lan: LAN.mgmt };
const fromMgmt6 = { lan: LAN.mgmt6 };

describe('docker host harness (Docker iptables=true, no dockfence)', () => {
  let host: DockerHost;
  let probe: Prober;
  let before: HostNetnsSnapshot;
  let lan: Lan;

  beforeAll(async () => {
    before = await snapshotHostNetns();
    host = await startDockerHost({ name: 'harness', iptables: true });
    lan = await attachLan(host);
    const lab = await buildArticleLab(host, { publish: true, ipv6: true });
    probe = createProber(host);
    console.info(
      `harness timings: image build ${host.timings.imageBuildMs.toFixed(0)} ms, dockerd start ${host.timings.dockerdStartMs.toFixed(0)} ms, ` +
        `image import ${host.timings.imageImportMs.toFixed(0)} ms, lab build ${lab.buildMs.toFixed(0)} ms`,
    );
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('same-network TCP works and a closed port answers no', async () => {
    expect(await probe.tcp(fromWordpress, mysql.ip, 3306)).toBe(true);
    expect(await probe.tcp({ container: 'app1-mysql' }, wordpress.ip, 80)).toBe(true);
    expect(await probe.tcp(fromWordpress, mysql.ip, 3307)).toBe(false);
  });

  it("Docker's isolation drops TCP, UDP and ping across networks in both directions", async () => {
    const answers = await Promise.all([
      probe.tcp(fromNginx, wordpress.ip, 80),
      probe.tcp(fromWordpress, nginx.ip, 80),
      probe.udp(fromNginx, mysql.ip, 7),
      probe.ping(fromWordpress, nginx.ip),
    ]);
    expect(answers).toEqual([false, false, false, false]);
  });

  it('IPv6 works inside a network, and Docker 20.10 without ip6tables does NOT isolate networks over IPv6', async () => {
    expect(await pollUntil(() => probe.tcp(fromWordpress, mysql.ip6, 3306))).toBe(true);
    expect(await probe.udp(fromWordpress, mysql.ip6, 7)).toBe(true);
    expect(await probe.tcp(fromWordpress, mysql.ip6, 3307)).toBe(false);
    expect(await probe.tcp(fromNginx, wordpress.ip6, 80)).toBe(true);
  });

  it('IPv6 to the LAN is routed, not masqueraded: it needs the LAN route back', async () => {
    expect(await probe.tcp(fromWordpress, LAN.web6, 80, { timeoutMs: 1000 })).toBe(false);
    await lan.routeToDocker([LAB.networks['int-app1'].subnet6]);
    expect(await probe.tcp(fromWordpress, LAN.web6, 80)).toBe(true);
    expect(await probe.ping(fromMgmt6, wordpress.ip6)).toBe(true);
  });

  it('containers reach the LAN web server, masqueraded (the LAN has no route back to Docker)', async () => {
    const route = await netnsRun(`${host.name}-lan`, 'ip', ['route', 'get', wordpress.ip]);
    expect(route.exitCode).not.toBe(0);
    expect(await probe.tcp(fromWordpress, LAN.web, 80)).toBe(true);
    expect(await probe.udp(fromWordpress, LAN.web, 53)).toBe(true);
    expect(await probe.ping(fromNginx, LAN.web)).toBe(true);
    expect(await probe.tcp(fromWordpress, LAN.web, 81)).toBe(false);
    expect(await probe.udp(fromWordpress, LAN.web, 54)).toBe(false);
  });

  it('containers reach the world address through the LAN router', async () => {
    expect(await probe.tcp(fromNginx, LAN.world, 80)).toBe(true);
    expect(await probe.ping(fromNginx, LAN.world)).toBe(true);
  });

  it("LAN hosts reach Docker's published ports on the host address, and only those", async () => {
    expect(await probe.tcp(fromMgmt, LAN.hostIp, 80)).toBe(true);
    expect(await probe.tcp({ lan: LAN.web }, LAN.hostIp, 443)).toBe(true);
    expect(await probe.udp(fromMgmt, LAN.hostIp, 443)).toBe(true);
    expect(await probe.tcp(fromMgmt, LAN.hostIp, 3306)).toBe(false);
    expect(await probe.udp(fromMgmt, LAN.hostIp, 7)).toBe(false);
    expect(await probe.ping(fromMgmt, LAN.hostIp)).toBe(true);
  });

  it('UDP and ping work inside a network; a silent port and a missing address answer no', async () => {
    expect(await probe.udp(fromWordpress, mysql.ip, 7)).toBe(true);
    expect(await probe.udp({ container: 'app1-mysql' }, wordpress.ip, 7)).toBe(true);
    expect(await probe.udp(fromWordpress, mysql.ip, 8)).toBe(false);
    expect(await probe.ping(fromWordpress, mysql.ip)).toBe(true);
    expect(await probe.ping(fromWordpress, '10.10.101.99', { timeoutMs: 1000 })).toBe(false);
  });

  it('the host namespace reaches containers and the LAN', async () => {
    expect(await probe.tcp({ host: true }, mysql.ip, 3306)).toBe(true);
    expect(await probe.udp({ host: true }, nginx.ip, 443)).toBe(true);
    expect(await probe.ping({ host: true }, LAN.web)).toBe(true);
    expect(await probe.tcp({ host: true }, LAN.web, 80)).toBe(true);
    expect(await probe.tcp({ host: true }, '10.10.10.56', 80, { timeoutMs: 1000 })).toBe(false);
  });

  it("forwardTcp reaches a server on the host namespace's loopback", async () => {
    const server = spawn('nsenter', [`--net=/run/netns/${host.name}`, 'busybox', 'httpd', '-f', '-p', '127.0.0.1:18080', '-h', host.image.webRoot], { stdio: 'ignore' });
    const forward = await forwardTcp(host.name, 18080);
    const closed = await forwardTcp(host.name, 18081);
    try {
      let body = '';
      for (let i = 0; i < 50 && body !== WEB_BODY; i++) body = await httpGet(forward.port, '/x').catch(() => '');
      expect(body).toBe(WEB_BODY);
      await expect(httpGet(closed.port, '/x')).rejects.toThrow();
    } finally {
      server.kill('SIGKILL');
      await forward.close();
      await closed.close();
    }
  });

  it("leaves this machine's own namespace unchanged while the lab runs", async () => {
    expect(diffSnapshots(before, await snapshotHostNetns())).toEqual([]);
  });
});

describe('harness teardown', () => {
  it('stop() removes dockerd, the namespaces, the socket and the state dir', async () => {
    const host = await startDockerHost({ name: 'teardown', iptables: false });
    let pid: number | undefined;
    try {
      await attachLan(host);
      await host.docker.createNetwork({ Name: 'leftover', Driver: 'bridge' });
      pid = host.dockerdPid();
      expect(pid).toBeGreaterThan(0);
    } finally {
      await host.stop();
    }
    expect(netnsExists(host.name)).toBe(false);
    expect(netnsExists(`${host.name}-lan`)).toBe(false);
    expect(existsSync(host.socketPath)).toBe(false);
    expect(existsSync(hostStateDir(host.name))).toBe(false);
    expect(existsSync(`/proc/${pid}/cmdline`)).toBe(false);
  });

  it('the sweep removes a host left behind by a dead process', async () => {
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const name = `dfh-${dead.pid}-1-stale`;
    const { mkdirSync } = await import('node:fs');
    mkdirSync(hostStateDir(name), { recursive: true });
    await createNetns(name);
    await spawnDockerd({ name, iptables: true });
    await sweepStaleHosts();
    expect(netnsExists(name)).toBe(false);
    expect(existsSync(hostSocketPath(name))).toBe(false);
    expect(existsSync(hostStateDir(name))).toBe(false);
  });
});

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
