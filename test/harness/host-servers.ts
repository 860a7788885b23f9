// Servers in the Docker host's own namespace (the host's "SSH" and services), so tests can prove
// that containers are denied the host while the LAN still reaches it: TCP via busybox httpd,
// UDP via the dfprobe echo server. Stopped with the host.

import { spawn } from 'node:child_process';
import type { DockerHost } from './docker-host.js';
import { NETNS_DIR } from './netns.js';

export const HOST_TCP_PORT = 8081;
export const HOST_UDP_PORT = 5353;

/** Start the host-namespace servers; host.stop() kills them. */
export function startHostServers(host: DockerHost): void {
  const ns = `--net=${NETNS_DIR}/${host.name}`;
  const httpd = spawn('nsenter', [ns, 'busybox', 'httpd', '-f', '-p', String(HOST_TCP_PORT), '-h', host.image.webRoot], { stdio: 'ignore' });
  const echo = spawn('nsenter', [ns, host.image.probePath, 'udp-echo', String(HOST_UDP_PORT)], { stdio: 'ignore' });
  host.onStop(async () => {
    httpd.kill('SIGKILL');
    echo.kill('SIGKILL');
  });
}
