// IPv4/IPv6 address and CIDR checks for the `cidr` schema format. Strict on purpose: a CIDR
// reaches a firewall rule, so only a network address with no host bits set is accepted. Pure.

/** The 4 octets of a dotted-quad IPv4 address, or undefined when `text` is not one. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const octets = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? octets : undefined;
}

/** The 16 bytes of an IPv6 address (with `::` and an optional dotted tail), or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) groups.push(parseInt(piece, 16));
      else return undefined;
    }
    return groups;
  };
  const first = toGroups(head!);
  const last = tail === undefined ? [] : toGroups(tail);
  if (!first || !last) return undefined;
  const missing = 8 - first.length - last.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...first, ...new Array<number>(tail === undefined ? 0 : missing).fill(0), ...last];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Why `text` is not an acceptable CIDR, or undefined when it is one. */
export function checkCidr(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return 'must be a CIDR with a prefix length, like 10.10.10.0/24 or fd00::/64';
  const addr = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const bytes = addr.includes(':') ? parseIPv6(addr) : parseIPv4(addr);
  if (!bytes) return 'must be a CIDR with a valid IPv4 or IPv6 address, like 10.10.10.0/24';
  const max = bytes.length * 8;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return `prefix length must be 0-${max}`;
  }
  const prefix = Number(prefixText);
  for (let bit = prefix; bit < max; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return `has host bits set: the network address for /${prefix} is expected`;
  }
  return undefined;
}

/** True when `text` is a network-address CIDR (IPv4 or IPv6). */
export function isCidr(text: string): boolean {
  return checkCidr(text) === undefined;
}
