// Opt-in per-source drop breakdown (serve --drops-by-source): two dynamic sets with per-element
// counters, keyed by source address and input interface, filled by an `update` rule placed just
// ahead of each counted drop rule. Pure: the ruleset transform, set declarations and JSON parse.

import { ParseError } from '../../lib/errors.js';
import type { AddressFamily, Chain, LookupSet, Rule, Ruleset } from '../../ruleset/model.js';
import { canonicalIpv6 } from './values.js';

/** Set names per family, in our table. */
export const SOURCE_DROP_SETS: Readonly<Record<AddressFamily, string>> = {
  ipv4: 'drops_by_source4',
  ipv6: 'drops_by_source6',
};

/** Elements per set; a full set stops recording new sources (drops still happen, see below). */
export const SOURCE_DROP_SET_SIZE = 65536;

export interface SourceDrop {
  family: AddressFamily;
  saddr: string;
  ifname: string;
  packets: number;
  bytes: number;
}

function familyOf(rule: Rule): AddressFamily | undefined {
  return rule.match.family ?? rule.match.saddr?.family ?? rule.match.daddr?.family;
}

/**
 * A rule whose packets are counted as dropped: a drop with a `dropped` counter, or a dynamic
 * lookup counting `dropped` elements (the drop rule that follows it has no counter).
 */
function isCountedDrop(rule: Rule, lookups: ReadonlyMap<string, LookupSet>): boolean {
  if (rule.sourceDrops !== undefined) return false;
  if (rule.match.lookup !== undefined) {
    const set = lookups.get(rule.match.lookup);
    return rule.verdict.kind === 'continue' && set?.dynamic === true && set.elements[0]?.counter.metric === 'dropped';
  }
  return rule.verdict.kind === 'drop' && rule.counter?.metric === 'dropped';
}

/**
 * The ruleset nft should hold when `ruleset.dropsBySource` is set: every counted drop rule (or
 * dynamic lookup counting drops) is preceded by an update rule per family (both families for a
 * rule without one) with the same match, lookup left out, and no verdict. A separate rule,
 * because an `update` on a full set ends its rule's evaluation: inside the drop rule, a full set
 * would let packets through (verified, nft 1.0.6). Returns `ruleset` itself when the flag is off;
 * idempotent. Drop rules keep their hashes.
 */
export function addSourceDropRules(ruleset: Ruleset): Ruleset {
  if (!ruleset.dropsBySource) return ruleset;
  if (ruleset.chains.some((chain) => chain.rules.some((r) => r.sourceDrops !== undefined))) return ruleset;
  const lookups = new Map((ruleset.lookups ?? []).map((l) => [l.name, l]));
  const chains: Chain[] = ruleset.chains.map((chain) => {
    const rules = chain.rules.flatMap((rule): Rule[] => {
      if (!isCountedDrop(rule, lookups)) return [rule];
      const family = familyOf(rule);
      const families: AddressFamily[] = family ? [family] : ['ipv4', 'ipv6'];
      const { lookup: _lookup, ...match } = rule.match;
      const updates = families.map(
        (f): Rule => ({ match: { ...match, family: f }, verdict: { kind: 'continue' }, sourceDrops: f, ...(rule.origin ? { origin: rule.origin } : {}) }),
      );
      return [...updates, rule];
    });
    return { ...chain, rules };
  });
  return { ...ruleset, chains };
}

/** The statement recording a packet, e.g. `update @drops_by_source4 { ip saddr . meta iifname }`. */
export function renderSourceDropUpdate(family: AddressFamily): string {
  return `update @${SOURCE_DROP_SETS[family]} { ${family === 'ipv4' ? 'ip' : 'ip6'} saddr . meta iifname }`;
}

/** Declarations of both dynamic sets (lines inside `table inet dockfence { ... }`). */
export function renderSourceDropSets(): string[] {
  return (['ipv4', 'ipv6'] as const).flatMap((family) => [
    `\tset ${SOURCE_DROP_SETS[family]} {`,
    `\t\ttypeof ${family === 'ipv4' ? 'ip' : 'ip6'} saddr . meta iifname; flags dynamic; size ${SOURCE_DROP_SET_SIZE}; counter;`,
    '\t}',
  ]);
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parse `nft -j list set inet dockfence drops_by_source4|6` (or `list table`) into one entry per
 * element: `{"elem": {"val": {"concat": [addr, ifname]}, "counter": {packets, bytes}}}`.
 * Elements of other sets or without a counter are skipped. Throws ParseError for non-JSON.
 */
export function parseSourceDrops(text: string): SourceDrop[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new ParseError('reading nft per-source drop set: not valid JSON', { cause });
  }
  const list = isObject(doc) && Array.isArray(doc['nftables']) ? doc['nftables'] : [];
  const drops: SourceDrop[] = [];
  for (const obj of list) {
    const set = isObject(obj) ? obj['set'] : undefined;
    if (!isObject(set)) continue;
    const family = (Object.keys(SOURCE_DROP_SETS) as AddressFamily[]).find((f) => SOURCE_DROP_SETS[f] === set['name']);
    if (!family || !Array.isArray(set['elem'])) continue;
    for (const item of set['elem']) {
      const elem = isObject(item) && isObject(item['elem']) ? item['elem'] : undefined;
      const val = elem && isObject(elem['val']) ? elem['val']['concat'] : undefined;
      const counter = elem && isObject(elem['counter']) ? elem['counter'] : undefined;
      if (!Array.isArray(val) || !counter || typeof val[0] !== 'string' || typeof val[1] !== 'string') continue;
      drops.push({
        family,
        saddr: family === 'ipv6' ? canonicalIpv6(val[0]) : val[0],
        ifname: val[1],
        packets: Number(counter['packets'] ?? 0),
        bytes: Number(counter['bytes'] ?? 0),
      });
    }
  }
  return drops;
}
