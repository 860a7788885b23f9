// Small address arithmetic the Docker adapter needs: the first host address of a subnet, which
// is the gateway Docker's default IPAM picks when a network's config does not name one.
// Built on src/lib/cidr.ts.

import { covers, formatPrefix, parseAddress, parsePrefix, widthOf } from '../lib/cidr.js';

/** True when `address` (no prefix) lies inside `cidr`; false for mixed families or bad input. */
export function subnetContains(cidr: string, address: string): boolean {
  const net = cidr.includes('/') ? parsePrefix(cidr) : undefined;
  const ip = address.includes('/') ? undefined : parsePrefix(address);
  return net !== undefined && ip !== undefined && covers(net, ip);
}

/** `10.10.101.0/24` -> `10.10.101.1`, `fd0a:101::/64` -> `fd0a:101::1`; undefined when unparsable or too small. */
export function firstHostAddress(cidr: string): string | undefined {
  const [address, prefixText, extra] = cidr.split('/');
  const ip = parseAddress(address ?? '');
  if (!ip || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? '')) return undefined;
  const width = widthOf(ip.family);
  const len = Number(prefixText);
  if (len > width || width - len < 2) return undefined;
  const net = parsePrefix(cidr)!;
  return formatPrefix({ family: ip.family, bits: net.bits + 1n, len: width });
}
