// The strict CIDR format used by the CRD schemas.
import { describe, expect, it } from 'vitest';
import { checkCidr, isCidr } from './cidr.js';

describe('CIDR checks', () => {
  it.each(['10.10.10.0/24', '0.0.0.0/0', '10.10.10.55/32', '192.168.0.0/16', 'fd00::/64', '::/0', '2001:db8::1/128', '::ffff:10.0.0.0/120'])(
    'accepts %s',
    (cidr) => expect(isCidr(cidr)).toBe(true),
  );

  it.each([
    ['10.10.10.5/24', /host bits/],
    ['10.10.10.0', /prefix length/],
    ['10.10.10.0/33', /0-32/],
    ['256.1.1.0/24', /valid IPv4/],
    ['10.1.1/24', /valid IPv4/],
    ['010.1.1.0/24', /valid IPv4/],
    ['fd00::1/64', /host bits/],
    ['fd00:::/64', /valid IPv4 or IPv6/],
    ['1:2:3:4:5:6:7:8:9/128', /valid/],
    ['10.0.0.0/08', /0-32/],
    ['10.0.0.0/24; rm -rf /', /prefix length must be/],
  ])('rejects %s', (cidr, why) => expect(checkCidr(cidr)).toMatch(why));

  it('understands :: in IPv6 addresses', () => {
    expect(checkCidr('fd00::1/128')).toBeUndefined();
    expect(checkCidr('1:2:3:4:5:6:7:8/128')).toBeUndefined();
    expect(checkCidr('1::2::3/128')).toMatch(/valid/);
  });
});
