import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/compile.js';
import { labSnapshot } from '../compiler/testdata/lab.js';
import { checkPacket, parseTarget } from './check.js';

const lab = labSnapshot();
const { ruleset } = compile(lab);

describe('checkPacket', () => {
  it('names the exception that admits nginx -> wordpress:80', () => {
    expect(checkPacket(lab.inventory, ruleset, 'app2-nginx', 'app1-wordpress:80/tcp')).toMatchObject({
      verdict: 'allowed',
      decidedBy: { kind: 'ExposeRule', name: 'app2-to-app1-web' },
      reason: 'exception',
      to: { address: '10.10.101.3', network: 'int-app1', path: 'forward' },
    });
  });
  it('names the policy that denies nginx -> mysql', () => {
    expect(checkPacket(lab.inventory, ruleset, 'app2-nginx', 'app1-mysql:3306')).toMatchObject({
      verdict: 'denied',
      decidedBy: { kind: 'IsolationPolicy', name: 'lab-isolation' },
      reason: 'other_network',
    });
  });
  it('sees the host through its gateway address', () => {
    expect(checkPacket(lab.inventory, ruleset, 'app1-mysql', '10.10.101.1:22/tcp')).toMatchObject({ verdict: 'denied', reason: 'host', to: { path: 'input' } });
  });
  it('same network is Docker’s call', () => {
    expect(checkPacket(lab.inventory, ruleset, 'app1-wordpress', 'app1-mysql:3306')).toMatchObject({ verdict: 'allowed', decidedBy: undefined });
  });
  it('protected LAN vs the LAN web server exception', () => {
    expect(checkPacket(lab.inventory, ruleset, 'app1-mysql', '10.10.10.55:80')).toMatchObject({ verdict: 'denied', reason: 'protected' });
    expect(checkPacket(lab.inventory, ruleset, 'app1-wordpress', '10.10.10.55:80')).toMatchObject({
      verdict: 'allowed',
      decidedBy: { kind: 'EgressException', name: 'app1-to-webserver' },
    });
  });
  it('refuses unknown names and bad targets', () => {
    expect(() => checkPacket(lab.inventory, ruleset, 'ghost', 'app1-mysql:3306')).toThrow(/not found/);
    expect(() => checkPacket(lab.inventory, ruleset, 'app1-mysql', 'nowhere:80')).toThrow(/neither a container nor an IP/);
    expect(() => parseTarget('x:99999')).toThrow(/invalid port/);
  });
});
