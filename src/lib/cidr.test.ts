import { describe, expect, it } from 'vitest';
import { canonicalCidr, familyOf, normalizeCidrs, parsePrefix } from './cidr.js';

describe('canonicalCidr', () => {
  it.each([
    ['10.10.10.55/32', '10.10.10.55'],
    ['10.10.10.55', '10.10.10.55'],
    ['10.10.10.1/24', '10.10.10.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:0:0:0::1/128', 'fd00::1'],
    ['FD00:ab::/64', 'fd00:ab::/64'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalCidr(input)).toBe(expected);
  });

  it.each(['10.0.0.256', '10.0.0/8', '10.0.0.0/33', 'fd00::/129', 'fd00:::1', 'x', '1.2.3.4/8/9', ''])(
    'rejects %s',
    (input) => {
      expect(canonicalCidr(input)).toBeUndefined();
    },
  );
});

describe('normalizeCidrs', () => {
  it('drops covered prefixes and sorts', () => {
    expect(normalizeCidrs(['10.10.10.0/24', '10.0.0.0/8', '192.168.1.5/32', '10.10.10.55'], 'ipv4')).toEqual([
      '10.0.0.0/8',
      '192.168.1.5',
    ]);
  });
  it('keeps only the asked family', () => {
    expect(normalizeCidrs(['fd00::/8', '10.0.0.0/8'], 'ipv6')).toEqual(['fd00::/8']);
  });
  it('deduplicates equal prefixes written differently', () => {
    expect(normalizeCidrs(['10.0.0.1/24', '10.0.0.0/24'], 'ipv4')).toEqual(['10.0.0.0/24']);
  });
});

describe('familyOf', () => {
  it('tells v4 from v6', () => {
    expect(familyOf('10.0.0.0/8')).toBe('ipv4');
    expect(familyOf('fd00::1')).toBe('ipv6');
    expect(parsePrefix('nope')).toBeUndefined();
  });
});
