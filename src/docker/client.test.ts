import { describe, expect, it } from 'vitest';
import { InvalidError } from '../lib/errors.js';
import { createDockerClient, parseDockerHost } from './client.js';

describe('parseDockerHost', () => {
  it('accepts unix sockets and plain TCP', () => {
    expect(parseDockerHost('unix:///run/dfh.sock')).toEqual({ socketPath: '/run/dfh.sock' });
    expect(parseDockerHost('tcp://10.0.0.5:2375')).toEqual({ host: '10.0.0.5', port: 2375, protocol: 'http' });
    expect(parseDockerHost('tcp://[fd00::5]:2375/')).toEqual({ host: 'fd00::5', port: 2375, protocol: 'http' });
  });

  it('rejects what it cannot reach', () => {
    for (const url of ['unix://relative.sock', 'ssh://me@host', 'tcp://host', 'tcp://host:99999', '/var/run/docker.sock', '']) {
      expect(() => parseDockerHost(url), url).toThrow(InvalidError);
    }
  });
});

describe('createDockerClient', () => {
  it('uses the URL, else DOCKER_HOST, else the default socket, and ignores the environment when given a URL', () => {
    const env = { DOCKER_HOST: 'tcp://10.9.9.9:2375' };
    expect(createDockerClient('unix:///run/a.sock', env).modem).toMatchObject({ socketPath: '/run/a.sock', host: undefined });
    expect(createDockerClient(undefined, env).modem).toMatchObject({ host: '10.9.9.9', port: 2375 });
    expect(createDockerClient(undefined, {}).modem).toMatchObject({ socketPath: '/var/run/docker.sock' });
  });
});
