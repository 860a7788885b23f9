// LookupSets in nft: a named set keyed by a concatenation, `counter` on every element, tested by
// one rule (`iifname . oifname @network_pairs drop`). Pure: the declaration, the key expression,
// and each element as nft prints it back, so desired and live elements (and their counters) match.
//
//   set network_pairs {
//     type ifname . ifname; counter;
//     elements = { "br-a" . "br-b", "br-a" . "br-c" }
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

/** The set declaration lines inside our table. `counted: false` leaves out the element counters. */
export function lookupDeclaration(set: LookupSet, counted = true): string[] {
  assertNftName('set', set.name);
  if (set.key.length === 0) throw bug(`lookup ${set.name} has an empty key`);
  const lines = [`\tset ${set.name} {`, `\t\ttype ${set.key.map((f) => fieldType(set, f)).join(' . ')};`];
  if (isInterval(set)) lines.push('\t\tflags interval;');
  if (counted) lines.push('\t\tcounter;');
  if (set.elements.length > 0) lines.push(`\t\telements = { ${set.elements.map((e) => renderLookupElement(set, e)).join(', ')} }`);
  lines.push('\t}');
  return lines;
}
