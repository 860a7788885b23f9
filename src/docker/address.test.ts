import { describe, expect, it } from 'vitest';
import { firstHostAddress, subnetContains } from './address.js';

describe('firstHostAddress', () => {
  it.each([
    ['10.10.101.0/24', '10.10.101.1'],
    ['172.17.0.0/16', '172.17.0.1'],
    ['10.10.101.77/24', '10.10.101.1'],
    ['fd0a:101::/64', 'fd0a:101::1'],
    ['2001:db8:0:0:1::/80', '2001:db8::1:0:0:1'], // equal zero runs: the first one is compressed
    ['fd00::/8', 'fd00::1'],
  ])('%s -> %s', (cidr, expected) => {
    expect(firstHostAddress(cidr)).toBe(expected);
  });

  it('compresses the longest zero run only', () => {
    expect(firstHostAddress('2001:0:0:1:0:0:0:0/112')).toBe('2001:0:0:1::1');
  });

  it('has no answer for /32, /31, /128 or garbage', () => {
    for (const cidr of ['10.0.0.1/32', '10.0.0.0/31', 'fd00::1/128', 'nope', '10.0.0.0/33', '1::2::3/64', '300.1.1.1/8']) {
      expect(firstHostAddress(cidr)).toBeUndefined();
    }
  });
});

describe('subnetContains', () => {
  it('checks membership within one family', () => {
    expect(subnetContains('172.17.0.0/16', '172.17.0.1')).toBe(true);
    expect(subnetContains('172.17.0.0/16', '172.18.0.1')).toBe(false);
    expect(subnetContains('fd0a:200::/64', 'fd0a:200::1')).toBe(true);
    expect(subnetContains('fd0a:200::/64', 'fd0a:201::1')).toBe(false);
    expect(subnetContains('172.17.0.0/16', 'fd0a:200::1')).toBe(false);
  });
});
