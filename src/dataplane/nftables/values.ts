// The leaf values that reach nft text (interface names, addresses, ports, marks): validated so
// no string can change the meaning of the rendered transaction, and normalized the way nft prints
// them back, so desired and live set elements compare equal.

import { bug } from '../../lib/errors.js';
import type { AddressFamily, NamedSet } from '../../ruleset/model.js';

/** Linux interface name (<= 15 bytes) that is safe inside nft double quotes and not a wildcard. */
const IFNAME = /^[!#-)+-.0-9;-[\]-~]{1,15}$/;

/** `"br-a"`; throws a dockfence bug for a name nft would misread (quote, `*`, `/`, `:`, space). */
export function quoteIfname(name: string): string {
  if (!IFNAME.test(name)) throw bug(`interface name ${JSON.stringify(name)} is not a valid interface name`);
  return `"${name}"`;
}

function checkIpv4(address: string): boolean {
  const parts = address.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function checkIpv6(address: string): boolean {
  return /^[0-9A-Fa-f:.]{2,45}$/.test(address) && address.includes(':') && !address.includes(':::');
}

/** An address or `addr/len` of `family` as nft syntax; throws a dockfence bug when malformed. */
export function formatAddress(family: AddressFamily, value: string): string {
  const [address, len, ...rest] = value.split('/');
  const max = family === 'ipv4' ? 32 : 128;
  const okAddress = family === 'ipv4' ? checkIpv4(address ?? '') : checkIpv6(address ?? '');
  const okLen = len === undefined || (/^\d{1,3}$/.test(len) && Number(len) <= max);
  if (!okAddress || !okLen || rest.length > 0) throw bug(`${JSON.stringify(value)} is not an ${family} address or prefix`);
  return value;
}

/** A port number 0-65535 as text; throws a dockfence bug otherwise. */
export function formatPort(port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bug(`port ${port} out of range`);
  return String(port);
}

/** A 32-bit mark as `0x%08x`; throws a dockfence bug for 0 or out-of-range values. */
export function formatMark(mark: number): string {
  if (!Number.isInteger(mark) || mark <= 0 || mark > 0xffffffff) throw bug(`mark ${mark} is not a 32-bit mark`);
  return `0x${mark.toString(16).padStart(8, '0')}`;
}

/** RFC 5952 text of an IPv6 address (as nft/inet_ntop prints it); input returned when unparsable. */
export function canonicalIpv6(address: string): string {
  if (address.includes('.')) return address.toLowerCase();
  const halves = address.toLowerCase().split('::');
  if (halves.length > 2) return address;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return address;
  const words = groups.map((g) => parseInt(g, 16).toString(16));
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > best.len) best = { start: i, len: j - i };
    i = j;
  }
  if (best.len < 2) return words.join(':');
  const left = words.slice(0, best.start).join(':');
  const right = words.slice(best.start + best.len).join(':');
  return `${left}::${right}`;
}

/**
 * A set element as nft prints it back: host prefixes (/32, /128) as bare addresses, IPv6 in
 * RFC 5952 form. Interface names are returned unchanged.
 */
export function normalizeElement(type: NamedSet['type'], element: string): string {
  if (type === 'ifname') return element;
  const [address = '', len] = element.split('/');
  const host = type === 'ipv4' ? address : canonicalIpv6(address);
  if (len === undefined || Number(len) === (type === 'ipv4' ? 32 : 128)) return host;
  return `${host}/${Number(len)}`;
}
