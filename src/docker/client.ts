// Builds the Docker API client from a DOCKER_HOST-style URL. The one place dockfence decides how
// to reach dockerd; everything else receives the Dockerode instance.

import Dockerode from 'dockerode';
import { InvalidError } from '../lib/errors.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Where dockerd listens: a unix socket path or an HTTP host and port. */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number; protocol: 'http' };

/**
 * Parses `unix:///path/docker.sock`, `tcp://host:port` or `http://host:port` (plain HTTP; TLS
 * and ssh:// are not supported). Throws InvalidError for anything else.
 */
export function parseDockerHost(url: string): DockerEndpoint {
  const invalid = (message: string): InvalidError =>
    new InvalidError(`invalid Docker host ${JSON.stringify(url)}: ${message}`, [
      { field: 'dockerHost', message, reason: 'FieldValueInvalid' },
    ]);
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw invalid('a unix URL needs an absolute path: unix:///run/docker.sock');
    return { socketPath };
  }
  const match = /^(tcp|http):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(url);
  if (!match) throw invalid('expected unix:///PATH or tcp://HOST:PORT');
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw invalid(`port ${port} out of range`);
  return { host: match[2].replace(/^\[|\]$/g, ''), port, protocol: 'http' };
}

/**
 * A Dockerode for `url`, else the `DOCKER_HOST` of `env`, else /var/run/docker.sock.
 * Explicit settings only: docker-modem's own environment lookup never overrides them.
 * Throws InvalidError when the URL cannot be parsed. Does not connect.
 */
export function createDockerClient(url?: string, env: NodeJS.ProcessEnv = process.env): Dockerode {
  const chosen = url ?? (env.DOCKER_HOST || `unix://${DEFAULT_DOCKER_SOCKET}`);
  const endpoint = parseDockerHost(chosen);
  if ('socketPath' in endpoint) {
    return new Dockerode({ socketPath: endpoint.socketPath, host: undefined, port: undefined });
  }
  return new Dockerode({ host: endpoint.host, port: endpoint.port, protocol: endpoint.protocol, socketPath: undefined });
}
