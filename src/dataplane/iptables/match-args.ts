// iptables argument fragments for the parts of an abstract Match and Verdict: addresses,
// interfaces, protocols and ports, conntrack, and the targets. Every value is validated here
// before it can reach a rule: the compiler should never hand us bad ones, so a bad one is a bug.

import { bug } from '../../lib/errors.js';
import type { AddressFamily, Match, PortRange } from '../../ruleset/model.js';

/** One way to satisfy a match dimension: the arguments it adds to a kernel rule. */
export type Alternative = string[];

/** iptables' multiport takes at most 15 ports per rule; a range counts as two. */
export const MULTIPORT_MAX = 15;

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;
const IPV6_RE = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:\/(\d{1,3}))?$/;

/** An address or CIDR of `family`, as iptables takes it. Throws a dockfence bug otherwise. */
export function checkAddress(value: string, family: AddressFamily): string {
  if (family === 'ipv4') {
    const m = IPV4_RE.exec(value);
    const octetsOk = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255);
    if (!octetsOk || (m[5] !== undefined && Number(m[5]) > 32)) throw bug(`invalid IPv4 address ${JSON.stringify(value)}`);
    return value;
  }
  const m = IPV6_RE.exec(value);
  if (!m || (m[1] !== undefined && Number(m[1]) > 128)) throw bug(`invalid IPv6 address ${JSON.stringify(value)}`);
  return value;
}

/**
 * An interface name as iptables takes it: nft-style `br-*` becomes iptables' `br-+` wildcard.
 * Linux names are at most 15 characters and never contain spaces or quotes.
 */
export function checkIfname(value: string): string {
  const name = value.endsWith('*') ? `${value.slice(0, -1)}+` : value;
  if (!/^[A-Za-z0-9_.:@-]*\+?$/.test(name) || name.length === 0 || name.length > 15) {
    throw bug(`invalid interface name ${JSON.stringify(value)}`);
  }
  return name;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bug(`invalid port ${port}`);
  return port;
}

function portText(range: PortRange): string {
  checkPort(range.from);
  checkPort(range.to);
  if (range.to < range.from) throw bug(`invalid port range ${range.from}-${range.to}`);
  return range.from === range.to ? String(range.from) : `${range.from}:${range.to}`;
}

/** `-p` argument for a protocol. */
export function protocolArgs(protocol: Match['protocol']): Alternative {
  if (protocol === undefined) return [];
  return ['-p', protocol === 'icmpv6' ? 'ipv6-icmp' : protocol];
}

/**
 * Port alternatives: `-m tcp --dport 80` for a single port or range, else `-m multiport --dports`
 * chunks of at most 15 ports (a rule per chunk). `[[]]` when the rule has no port match.
 */
export function portAlternatives(match: Match): Alternative[] {
  const dports = match.dports ?? [];
  if (dports.length === 0) return [[]];
  if (match.protocol !== 'tcp' && match.protocol !== 'udp') throw bug(`dports without tcp/udp (${match.protocol})`);
  if (dports.length === 1) return [['-m', match.protocol, '--dport', portText(dports[0]!)]];
  const chunks: string[][] = [];
  let current: string[] = [];
  let weight = 0;
  for (const range of dports) {
    const w = range.from === range.to ? 1 : 2;
    if (weight + w > MULTIPORT_MAX) {
      chunks.push(current);
      current = [];
      weight = 0;
    }
    current.push(portText(range));
    weight += w;
  }
  chunks.push(current);
  return chunks.map((ports) => ['-m', 'multiport', '--dports', ports.join(',')]);
}

/** Conntrack, addrtype: arguments every kernel rule of the abstract rule carries. */
export function stateArgs(match: Match): Alternative {
  const args: string[] = [];
  if (match.daddrLocal) args.push('-m', 'addrtype', '--dst-type', 'LOCAL');
  if (match.ctState && match.ctState.length > 0) {
    for (const s of match.ctState) {
      if (!['new', 'established', 'related', 'invalid'].includes(s)) throw bug(`invalid ct state ${s}`);
    }
    args.push('-m', 'conntrack', '--ctstate', match.ctState.map((s) => s.toUpperCase()).join(','));
  }
  if (match.ctDnat) args.push('-m', 'conntrack', '--ctstate', 'DNAT');
  return args;
}

/** `--to-destination` value: ADDR[:PORT], IPv6 as [ADDR]:PORT. */
export function dnatDestination(family: AddressFamily, address: string, port?: number): string {
  checkAddress(address, family);
  if (address.includes('/')) throw bug(`DNAT destination ${address} is a prefix`);
  if (port === undefined) return address;
  checkPort(port);
  return family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `0x..` text of the accept mark, which must be one bit. */
export function markText(mark: number): string {
  if (!Number.isInteger(mark) || mark <= 0 || mark > 0xffffffff || (mark & (mark - 1)) !== 0) {
    throw bug(`acceptMark ${mark} is not a single bit`);
  }
  return `0x${mark.toString(16)}`;
}
