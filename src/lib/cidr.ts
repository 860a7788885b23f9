// IPv4/IPv6 address and prefix arithmetic (compiler, ruleset evaluator): parse, canonicalize, and drop
// prefixes that another one covers (nft interval sets refuse overlapping elements). Pure.

import type { AddressFamily } from '../ruleset/model.js';

export interface Prefix {
  family: AddressFamily;
  bits: bigint; // network address, host bits cleared
  len: number;
}

const WIDTH: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  let tail = text;
  let v4Tail: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4Tail = parseIpv4(text.slice(lastColon + 1));
    if (v4Tail === undefined) return undefined;
    tail = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = tail.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...restGroups];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (v4Tail !== undefined) value = (value & ~0xffffffffn) | v4Tail;
  return value;
}

/** Parse a bare address (no prefix) of either family. Undefined when invalid. */
export function parseAddress(text: string): { family: AddressFamily; bits: bigint } | undefined {
  const family: AddressFamily = text.includes(':') ? 'ipv6' : 'ipv4';
  const bits = family === 'ipv4' ? parseIpv4(text) : parseIpv6(text);
  return bits === undefined ? undefined : { family, bits };
}

export function widthOf(family: AddressFamily): number {
  return WIDTH[family];
}

/** Parse `addr` or `addr/len` (v4 or v6). Host bits are cleared. Undefined when invalid. */
export function parsePrefix(text: string): Prefix | undefined {
  const [addr = '', lenText, extra] = text.trim().split('/');
  if (extra !== undefined) return undefined;
  const family: AddressFamily = addr.includes(':') ? 'ipv6' : 'ipv4';
  const bits = family === 'ipv4' ? parseIpv4(addr) : parseIpv6(addr);
  if (bits === undefined) return undefined;
  const width = WIDTH[family];
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return undefined;
  const len = lenText === undefined ? width : Number(lenText);
  if (len > width) return undefined;
  const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(width - len);
  return { family, bits: bits & mask, len };
}

export function familyOf(text: string): AddressFamily | undefined {
  return parsePrefix(text)?.family;
}

function formatIpv6(bits: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((bits >> BigInt(i * 16)) & 0xffffn));
  // Longest run of zero groups (length >= 2) becomes '::' (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text: a host address without its /32 or /128, otherwise `network/len`. */
export function formatPrefix(prefix: Prefix): string {
  const addr =
    prefix.family === 'ipv4'
      ? [24, 16, 8, 0].map((shift) => Number((prefix.bits >> BigInt(shift)) & 0xffn)).join('.')
      : formatIpv6(prefix.bits);
  return prefix.len === WIDTH[prefix.family] ? addr : `${addr}/${prefix.len}`;
}

/** Canonical text of a CIDR or address, or undefined when invalid. */
export function canonicalCidr(text: string): string | undefined {
  const prefix = parsePrefix(text);
  return prefix && formatPrefix(prefix);
}

export function covers(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  const width = WIDTH[outer.family];
  const shift = BigInt(width - outer.len);
  return inner.bits >> shift === outer.bits >> shift;
}

/**
 * Canonical, sorted, non-overlapping list of the valid CIDRs of one family: a prefix covered by
 * another is dropped. Invalid entries and other families are ignored (callers validate first).
 */
export function normalizeCidrs(cidrs: readonly string[], family: AddressFamily): string[] {
  const prefixes = cidrs
    .map(parsePrefix)
    .filter((p): p is Prefix => p !== undefined && p.family === family)
    .sort((a, b) => a.len - b.len || (a.bits < b.bits ? -1 : a.bits > b.bits ? 1 : 0));
  const kept: Prefix[] = [];
  for (const p of prefixes) if (!kept.some((k) => covers(k, p))) kept.push(p);
  kept.sort((a, b) => (a.bits < b.bits ? -1 : a.bits > b.bits ? 1 : a.len - b.len));
  return kept.map(formatPrefix);
}

/** True when some prefix of `list` covers `cidr` (same family). */
export function isCovered(cidr: string, list: readonly string[]): boolean {
  const inner = parsePrefix(cidr);
  if (!inner) return false;
  return list.some((outer) => {
    const p = parsePrefix(outer);
    return p !== undefined && covers(p, inner);
  });
}
