import { describe, expect, it } from 'vitest';
import { describeAnswer, formatCheckTarget, isAllowed, parseCheckTarget } from './check.js';
import { renderDoctor } from './doctor.js';

describe('check target parsing', () => {
  it.each([
    ['app1-wordpress:80/tcp', { target: 'app1-wordpress', port: 80, protocol: 'tcp' }, 'app1-wordpress:80/tcp'],
    ['10.10.10.55:80', { target: '10.10.10.55', port: 80, protocol: 'tcp' }, '10.10.10.55:80/tcp'],
    ['host:53/UDP', { target: 'host', port: 53, protocol: 'udp' }, 'host:53/udp'],
    ['[fd00::1]:443/tcp', { target: 'fd00::1', port: 443, protocol: 'tcp' }, '[fd00::1]:443/tcp'],
    ['10.10.10.1/icmp', { target: '10.10.10.1', protocol: 'icmp' }, '10.10.10.1/icmp'],
  ])('%s', (text, parsed, canonical) => {
    expect(parseCheckTarget(text)).toEqual(parsed);
    expect(formatCheckTarget(parseCheckTarget(text))).toBe(canonical);
  });

  it('refuses targets without a port or with a bad one', () => {
    expect(() => parseCheckTarget('app1-wordpress')).toThrow('expected TARGET:PORT/PROTO');
    expect(() => parseCheckTarget('a:0/tcp')).toThrow('port must be 1-65535');
    expect(() => parseCheckTarget('a:80/sctp')).toThrow('expected TARGET:PORT/PROTO');
  });
});

describe('check answers', () => {
  it('maps verdicts to exit meaning and prints the deciding resource', () => {
    expect(isAllowed('allowed')).toBe(true);
    expect(isAllowed('Allow')).toBe(true);
    expect(isAllowed('denied')).toBe(false);
    expect(describeAnswer('app2-nginx', 'app1-wordpress:80/tcp', { verdict: 'allowed', decidedBy: { kind: 'ExposeRule', name: 'app2-to-app1-web' }, reason: 'exception' })).toBe(
      'allowed: app2-nginx -> app1-wordpress:80/tcp, decided by ExposeRule/app2-to-app1-web (exception)',
    );
    expect(describeAnswer('a', 'b:1/tcp', { verdict: 'allowed' })).toBe('allowed: a -> b:1/tcp, decided by no resource (Docker default)');
  });
});

describe('doctor output', () => {
  it('lists checks with the fix under each failure and a summary', () => {
    const lines = renderDoctor([
      { name: 'br_netfilter', ok: true, message: 'loaded' },
      { name: 'bridge-nf-call-iptables', ok: false, message: 'is 0', fix: 'sysctl -w net.bridge.bridge-nf-call-iptables=1' },
    ]);
    expect(lines).toEqual([
      'OK     br_netfilter              loaded',
      'FAIL   bridge-nf-call-iptables   is 0',
      '      fix: sysctl -w net.bridge.bridge-nf-call-iptables=1',
      '1 of 2 checks failed',
    ]);
  });
});
