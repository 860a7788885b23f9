// Small address arithmetic the Docker adapter needs: the first host address of a subnet, which
// is the gateway Docker's default IPAM picks when a network's config does not name one.

/** True when `address` (no prefix) lies inside `cidr`; false for mixed families or bad input. */
export function subnetContains(cidr: string, address: string): boolean {
  const net = parseCidr(cidr);
  const ip = parseAddress(address);
  if (!net || !ip || net.bits !== ip.bits) return false;
  const hostBits = BigInt(net.bits - net.prefix);
  return ip.value >> hostBits === net.value >> hostBits;
}

/** `10.10.101.0/24` -> `10.10.101.1`, `fd0a:101::/64` -> `fd0a:101::1`; undefined when unparsable or too small. */
export function firstHostAddress(cidr: string): string | undefined {
  const net = parseCidr(cidr);
  if (!net || net.bits - net.prefix < 2) return undefined;
  const hostBits = BigInt(net.bits - net.prefix);
  const first = ((net.value >> hostBits) << hostBits) + 1n;
  return net.bits === 32 ? formatV4(first) : formatV6(first);
}

interface Parsed {
  value: bigint;
  bits: 32 | 128;
}

function parseCidr(cidr: string): (Parsed & { prefix: number }) | undefined {
  const [address, prefixText, extra] = cidr.split('/');
  const ip = parseAddress(address ?? '');
  const prefix = Number(prefixText);
  if (!ip || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? '') || prefix > ip.bits) return undefined;
  return { ...ip, prefix };
}

function parseAddress(text: string): Parsed | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) + BigInt(p), 0n), bits: 32 };
  }
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) return undefined;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { value: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}
