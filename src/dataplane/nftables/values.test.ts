// Leaf values: normalization to nft's printed form and the checks that keep strings inert.

import { describe, expect, it } from 'vitest';
import { canonicalIpv6, formatAddress, normalizeElement, quoteIfname } from './values.js';

describe('canonicalIpv6', () => {
  it.each([
    ['FD00:0000:0000:0000:0000:0000:0000:0001', 'fd00::1'],
    ['fd00:0:0:1:0:0:0:1', 'fd00:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8::1:0', '2001:db8::1:0'],
    ['::', '::'],
    ['::1', '::1'],
    ['fd00:1:2:3:4:5:6:0', 'fd00:1:2:3:4:5:6:0'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['not:an:address', 'not:an:address'],
  ])('%s -> %s', (input, output) => {
    expect(canonicalIpv6(input)).toBe(output);
  });
});

describe('normalizeElement', () => {
  it('prints host prefixes as addresses, as nft does', () => {
    expect(normalizeElement('ipv4', '10.0.0.1/32')).toBe('10.0.0.1');
    expect(normalizeElement('ipv4', '10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(normalizeElement('ipv6', 'fd00:0::1/128')).toBe('fd00::1');
    expect(normalizeElement('ipv6', 'FD00::/064')).toBe('fd00::/64');
    expect(normalizeElement('ifname', 'br-x')).toBe('br-x');
  });
});

describe('value checks', () => {
  it('accepts real interface and address forms', () => {
    expect(quoteIfname('br-0a1b2c3d4e5f')).toBe('"br-0a1b2c3d4e5f"');
    expect(quoteIfname('eth0.100')).toBe('"eth0.100"');
    expect(formatAddress('ipv6', 'fd00::/64')).toBe('fd00::/64');
    expect(formatAddress('ipv4', '0.0.0.0/0')).toBe('0.0.0.0/0');
  });
  it('rejects values that would change the nft text', () => {
    for (const bad of ['', 'a b', 'a"b', 'a/b', 'a:b', 'a*', 'a\\b', 'sixteen-chars-xx']) expect(() => quoteIfname(bad)).toThrow(/dockfence bug/);
    for (const bad of ['256.0.0.1', '10.0.0', '10.0.0.1/8/8', '10.0.0.1 }']) expect(() => formatAddress('ipv4', bad)).toThrow(/dockfence bug/);
    for (const bad of ['fd00:::1', 'fd00::/129', 'fd00::1; drop']) expect(() => formatAddress('ipv6', bad)).toThrow(/dockfence bug/);
  });
});
