import { describe, expect, it } from 'vitest';
import { checkDuration, checkHostPort, toServeOptions, type ServeFlags } from './serve.js';

const defaults: ServeFlags = {
  listen: '127.0.0.1:8080',
  backend: 'nftables',
  resync: '30s',
  manageSysctls: false,
  cleanupOnExit: false,
  prune: false,
};

describe('toServeOptions', () => {
  it('keeps defaults and omits unset optional flags', () => {
    expect(toServeOptions(defaults)).toEqual({
      listen: '127.0.0.1:8080',
      backend: 'nftables',
      resync: '30s',
      manageSysctls: false,
      cleanupOnExit: false,
    });
  });

  it('carries every flag', () => {
    const options = toServeOptions({
      ...defaults,
      listen: '[::1]:9443',
      db: '/tmp/x.json',
      dockerHost: 'unix:///run/d.sock',
      backend: 'iptables',
      resync: '1m30s',
      manageSysctls: true,
      cleanupOnExit: true,
      tokenFile: '/etc/t',
      tlsCert: 'c.pem',
      tlsKey: 'k.pem',
      metricsListen: '0.0.0.0:9100',
      syncRepo: '/srv/repo.git',
      syncBranch: 'main',
      syncPath: 'policies',
      syncInterval: '10s',
      prune: true,
    });
    expect(options).toMatchObject({ listen: '[::1]:9443', backend: 'iptables', tlsKey: 'k.pem', syncInterval: '10s', prune: true, dockerHost: 'unix:///run/d.sock' });
  });

  it('refuses bad values and incomplete flag groups', () => {
    expect(() => toServeOptions({ ...defaults, backend: 'pf' })).toThrow('invalid --backend "pf"');
    expect(() => toServeOptions({ ...defaults, tlsCert: 'c.pem' })).toThrow('--tls-cert and --tls-key must be given together');
    expect(() => toServeOptions({ ...defaults, syncBranch: 'main' })).toThrow('need --sync-repo');
    expect(() => toServeOptions({ ...defaults, prune: true })).toThrow('need --sync-repo');
    expect(() => toServeOptions({ ...defaults, resync: 'often' })).toThrow('invalid --resync "often"');
    expect(() => toServeOptions({ ...defaults, listen: '8080' })).toThrow('invalid --listen "8080"');
  });

  it('validates HOST:PORT and durations', () => {
    expect(checkHostPort('localhost:80', 'x')).toBe('localhost:80');
    expect(() => checkHostPort('h:70000', '--listen')).toThrow('invalid --listen');
    expect(checkDuration('500ms', 'x')).toBe('500ms');
    expect(() => checkDuration('5', '--resync')).toThrow('invalid --resync');
  });
});

describe('--drops-by-source', () => {
  it('passes through with nftables and is refused with iptables in one line', () => {
    expect(toServeOptions({ ...defaults, dropsBySource: true })).toMatchObject({ dropsBySource: true });
    expect(toServeOptions(defaults)).not.toHaveProperty('dropsBySource');
    expect(() => toServeOptions({ ...defaults, backend: 'iptables', dropsBySource: true })).toThrow('--drops-by-source needs --backend nftables');
  });
});
