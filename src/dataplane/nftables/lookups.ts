// LookupSets in nft: a named set keyed by a concatenation, `counter` on every element, tested by
// one rule (`ip saddr . ip daddr . meta l4proto . th dport @exceptions_ports4`), or for a dynamic
// set filled by it (`update @network_pairs_out { iifname . oifname }`). Pure: the declaration, the
// key expression, and each element as nft prints it back, so desired and live elements (and
// their counters) match.
//
//   set exceptions_any4 {
//     type ipv4_addr . ipv4_addr; flags interval; counter;
//     elements = { 10.0.1.0/24 . 10.0.2.5, 0.0.0.0/0 . 10.0.3.7 }
//   }

import { bug } from '../../lib/errors.js';
import type { KeyField, LookupElement, LookupSet } from '../../ruleset/model.js';
import { assertNftName } from './names.js';
import { formatAddress, formatPort, normalizeElement, quoteIfname } from './values.js';

const NFT_PROTOCOL: Readonly<Record<string, string>> = { tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'ipv6-icmp' };

function familyOf(set: LookupSet): 'ipv4' | 'ipv6' {
  if (!set.family) throw bug(`lookup ${set.name} keys addresses without a family`);
  return set.family;
}

function fieldType(set: LookupSet, field: KeyField): string {
  switch (field) {
    case 'iif':
    case 'oif':
      return 'ifname';
    case 'saddr':
    case 'daddr':
      return familyOf(set) === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr';
    case 'protocol':
      return 'inet_proto';
    case 'dport':
      return 'inet_service';
  }
}

function fieldExpression(set: LookupSet, field: KeyField): string {
  switch (field) {
    case 'iif':
      return 'iifname';
    case 'oif':
      return 'oifname';
    case 'saddr':
    case 'daddr':
      return `${familyOf(set) === 'ipv4' ? 'ip' : 'ip6'} ${field}`;
    case 'protocol':
      return 'meta l4proto';
    case 'dport':
      return 'th dport';
  }
}

/** Address and port fields hold prefixes and ranges: the set needs `flags interval`. */
function isInterval(set: LookupSet): boolean {
  return set.key.some((f) => f === 'saddr' || f === 'daddr' || f === 'dport');
}

/** The key a rule looks up, e.g. `ip saddr . ip daddr . meta l4proto . th dport`. */
export function lookupKeyExpression(set: LookupSet): string {
  return set.key.map((f) => fieldExpression(set, f)).join(' . ');
}

function fieldValue(set: LookupSet, field: KeyField, element: LookupElement, printed: boolean): string {
  const value = element[field];
  if (value === undefined) throw bug(`element of lookup ${set.name} has no ${field}`);
  switch (field) {
    case 'iif':
    case 'oif':
      return printed ? (value as string) : quoteIfname(value as string);
    case 'saddr':
    case 'daddr': {
      const family = familyOf(set);
      return printed ? normalizeElement(family, value as string) : formatAddress(family, value as string);
    }
    case 'protocol': {
      const name = NFT_PROTOCOL[value as string];
      if (!name) throw bug(`lookup ${set.name}: unknown protocol ${String(value)}`);
      return name;
    }
    case 'dport': {
      const { from, to } = element.dport!;
      if (to < from) throw bug(`port range ${from}-${to} is reversed`);
      return from === to ? formatPort(from) : `${formatPort(from)}-${formatPort(to)}`;
    }
  }
}

/** An element as nft syntax, e.g. `"br-a" . "br-b"` or `10.0.0.0/8 . 172.18.0.2 . tcp . 80`. */
export function renderLookupElement(set: LookupSet, element: LookupElement): string {
  return set.key.map((f) => fieldValue(set, f, element, false)).join(' . ');
}

/** An element as parse.ts's elementText reads it back from `nft -j`, e.g. `br-a . br-b`. */
export function printedLookupElement(set: LookupSet, element: LookupElement): string {
  return set.key.map((f) => fieldValue(set, f, element, true)).join(' . ');
}

/** Room in a dynamic set: every expected key, and at least 65536 (a full set only stops counting). */
export function dynamicSize(set: LookupSet): number {
  return Math.max(65536, set.elements.length);
}

/**
 * The set declaration lines inside our table. A dynamic set is declared empty (`flags dynamic`,
 * sized by dynamicSize): packets add its elements.
 */
export function lookupDeclaration(set: LookupSet): string[] {
  assertNftName('set', set.name);
  if (set.key.length === 0) throw bug(`lookup ${set.name} has an empty key`);
  const lines = [`\tset ${set.name} {`, `\t\ttype ${set.key.map((f) => fieldType(set, f)).join(' . ')};`];
  if (set.dynamic) {
    if (isInterval(set)) throw bug(`dynamic lookup ${set.name} cannot key on addresses or ports`);
    lines.push(`\t\tflags dynamic; size ${dynamicSize(set)};`);
  } else if (isInterval(set)) {
    lines.push('\t\tflags interval;');
  }
  lines.push('\t\tcounter;');
  if (!set.dynamic && set.elements.length > 0) {
    lines.push(`\t\telements = { ${set.elements.map((e) => renderLookupElement(set, e)).join(', ')} }`);
  }
  lines.push('\t}');
  return lines;
}

/** The statement a lookup of a dynamic set renders as, e.g. `update @network_pairs_out { iifname . oifname }`. */
export function dynamicUpdate(set: LookupSet): string {
  return `update @${set.name} { ${lookupKeyExpression(set)} }`;
}
