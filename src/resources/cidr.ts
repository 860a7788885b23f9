// CIDR checks for the `cidr` schema format. Strict on purpose: a CIDR reaches a firewall rule,
// so only a network address with a prefix length and no host bits set is accepted. Pure; the
// address arithmetic is src/lib/cidr.ts.

import { parseAddress, widthOf } from '../lib/cidr.js';

/** Why `text` is not an acceptable CIDR, or undefined when it is one. */
export function checkCidr(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return 'must be a CIDR with a prefix length, like 10.10.10.0/24 or fd00::/64';
  const address = parseAddress(text.slice(0, slash));
  if (!address) return 'must be a CIDR with a valid IPv4 or IPv6 address, like 10.10.10.0/24';
  const max = widthOf(address.family);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) return `prefix length must be 0-${max}`;
  const prefix = Number(prefixText);
  const hostMask = (1n << BigInt(max - prefix)) - 1n;
  if ((address.bits & hostMask) !== 0n) return `has host bits set: the network address for /${prefix} is expected`;
  return undefined;
}

/** True when `text` is a network-address CIDR (IPv4 or IPv6). */
export function isCidr(text: string): boolean {
  return checkCidr(text) === undefined;
}
