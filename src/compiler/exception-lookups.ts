// Exceptions as lookups: each admitted (source, destination, protocol, port) is one counted
// element of a concatenated set, so the `exceptions` chain costs one lookup per shape and family
// whatever the number of exceptions. nft interval sets refuse overlapping elements: an element
// overlapping one already placed becomes its own rule ahead of the lookups (same verdict). Pure.
//
//   ip saddr . ip daddr . meta l4proto . th dport @exceptions_ports4   tcp/udp with ports
//   ip saddr . ip daddr . meta l4proto @exceptions_proto4               ICMP
//   ip saddr . ip daddr @exceptions_any4                                any protocol and port

import { covers, parsePrefix, type Prefix } from '../lib/cidr.js';
import { bug } from '../lib/errors.js';
import { elementMatch } from '../ruleset/lookups.js';
import type { AddressFamily, CounterLabels, KeyField, LookupElement, LookupSet, Match, Rule } from '../ruleset/model.js';

/** One exception grant: sources (undefined = anyone) x destinations x a protocol/port match. */
export interface ExceptionGrant {
  family: AddressFamily;
  saddrs: string[] | undefined;
  daddrs: string[];
  /** `{}` (any), `{ protocol }` (ICMP) or `{ protocol, dports }` (TCP/UDP). */
  ports: Match;
  counter: CounterLabels;
  origin: string;
}

type Shape = 'any' | 'proto' | 'ports';

const KEYS: Record<Shape, KeyField[]> = {
  any: ['saddr', 'daddr'],
  proto: ['saddr', 'daddr', 'protocol'],
  ports: ['saddr', 'daddr', 'protocol', 'dport'],
};
const ANYONE: Record<AddressFamily, string> = { ipv4: '0.0.0.0/0', ipv6: '::/0' };
const SUFFIX: Record<AddressFamily, string> = { ipv4: '4', ipv6: '6' };

export function exceptionSetName(shape: Shape, family: AddressFamily): string {
  return `exceptions_${shape}${SUFFIX[family]}`;
}

function elementsOf(grant: ExceptionGrant): Array<{ shape: Shape; element: LookupElement }> {
  const out: Array<{ shape: Shape; element: LookupElement }> = [];
  const { protocol, dports } = grant.ports;
  for (const saddr of grant.saddrs ?? [ANYONE[grant.family]]) {
    for (const daddr of grant.daddrs) {
      const labels = { counter: grant.counter, origin: grant.origin };
      if (protocol === undefined) out.push({ shape: 'any', element: { saddr, daddr, ...labels } });
      else if (dports === undefined) out.push({ shape: 'proto', element: { saddr, daddr, protocol, ...labels } });
      else for (const dport of dports) out.push({ shape: 'ports', element: { saddr, daddr, protocol, dport, ...labels } });
    }
  }
  return out;
}

interface Placed {
  saddr: Prefix;
  daddr: Prefix;
  element: LookupElement;
}

function intersects(a: Prefix, b: Prefix): boolean {
  return covers(a, b) || covers(b, a);
}

function overlaps(a: Placed, b: Placed): boolean {
  const x = a.element;
  const y = b.element;
  if (x.protocol !== y.protocol) return false;
  if (x.dport && y.dport && (x.dport.to < y.dport.from || y.dport.to < x.dport.from)) return false;
  return intersects(a.daddr, b.daddr) && intersects(a.saddr, b.saddr);
}

/**
 * Places elements in order; one that overlaps an element already placed is returned apart.
 * Placed elements with a host destination are indexed by it, so the usual case (exceptions to
 * container addresses) compares only elements of the same destination.
 */
function separateOverlaps(family: AddressFamily, elements: LookupElement[]): { placed: LookupElement[]; apart: LookupElement[] } {
  const hostWidth = family === 'ipv4' ? 32 : 128;
  const byHost = new Map<string, Placed[]>();
  const wide: Placed[] = [];
  const placed: LookupElement[] = [];
  const apart: LookupElement[] = [];
  for (const element of elements) {
    const saddr = parsePrefix(element.saddr!);
    const daddr = parsePrefix(element.daddr!);
    if (!saddr || !daddr) throw bug(`exception element ${element.saddr} -> ${element.daddr} is not a prefix pair`);
    const entry: Placed = { saddr, daddr, element };
    const host = daddr.len === hostWidth;
    const candidates = host ? [...(byHost.get(element.daddr!) ?? []), ...wide] : [...wide, ...[...byHost.values()].flat()];
    if (candidates.some((other) => overlaps(entry, other))) {
      apart.push(element);
      continue;
    }
    placed.push(element);
    if (host) byHost.set(element.daddr!, [...(byHost.get(element.daddr!) ?? []), entry]);
    else wide.push(entry);
  }
  return { placed, apart };
}

/**
 * The `exceptions` chain's rules and the lookups they test: per family and shape one lookup rule
 * (admit: markAccept) over non-overlapping counted elements, preceded by one rule for each
 * element that overlaps an earlier one. Grants are taken in order (the compiler sorts them).
 */
export function exceptionLookups(grants: ExceptionGrant[]): { rules: Rule[]; lookups: LookupSet[] } {
  const fallback: Rule[] = [];
  const lookupRules: Rule[] = [];
  const lookups: LookupSet[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    const byShape: Record<Shape, LookupElement[]> = { any: [], proto: [], ports: [] };
    for (const grant of grants.filter((g) => g.family === family)) {
      for (const { shape, element } of elementsOf(grant)) byShape[shape].push(element);
    }
    for (const shape of ['any', 'proto', 'ports'] as const) {
      if (byShape[shape].length === 0) continue;
      const name = exceptionSetName(shape, family);
      const { placed, apart } = separateOverlaps(family, byShape[shape]);
      const set: LookupSet = { name, key: KEYS[shape], family, elements: placed };
      for (const element of apart) {
        fallback.push({ match: elementMatch(set, element), verdict: { kind: 'markAccept' }, counter: element.counter, origin: element.origin! });
      }
      lookups.push(set);
      lookupRules.push({ match: { lookup: name }, verdict: { kind: 'markAccept' } });
    }
  }
  return { rules: [...fallback, ...lookupRules], lookups };
}
