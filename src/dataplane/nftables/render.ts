// Desired Ruleset -> the text of ONE `nft -f -` transaction that replaces table `inet dockfence`
// whole (add + delete + define: atomic, so there is never a moment without our rules). Pure; the
// golden files in testdata/ show every construct rendered.

import { bug } from '../../lib/errors.js';
import type { AddrMatch, Chain, Hook, IfMatch, LookupSet, Match, NamedSet, Rule, Ruleset, Verdict } from '../../ruleset/model.js';
import { hashChainRules } from '../diff.js';
import { dynamicUpdate, lookupDeclaration, lookupKeyExpression } from './lookups.js';
import { assertNftName } from './names.js';
import { addSourceDropRules, renderSourceDropSets, renderSourceDropUpdate } from './source-drops.js';
import { formatAddress, formatMark, formatPort, quoteIfname } from './values.js';

export const NFT_FAMILY = 'inet';
export const NFT_TABLE = 'dockfence';

/** Base chain declarations: just ahead of the usual filter/nat priorities (Docker's iptables-nft). */
export const HOOK_DECLARATIONS: Readonly<Record<Hook, string>> = {
  forward: 'type filter hook forward priority filter - 5; policy accept;',
  input: 'type filter hook input priority filter - 5; policy accept;',
  prerouting: 'type nat hook prerouting priority dstnat - 5;',
  postrouting: 'type nat hook postrouting priority srcnat - 5;',
};

/** Rule comments: `dockfence:<hash> <origin>`, at most nft's 128 bytes. */
export const TAG_PREFIX = 'dockfence:';
const COMMENT_MAX = 128;

/**
 * A condition no packet meets, for a match on an empty list (`iifname {}` does not parse):
 * `meta nfproto ipv4 meta nfproto ipv6`. A negated empty list matches everything and renders as
 * nothing.
 */
const NEVER = 'meta nfproto ipv4 meta nfproto ipv6';

/** The rule comment for a tag and origin: origin limited to [A-Za-z0-9 ._/:-], cut to 128 bytes. */
export function renderComment(hash: string, origin?: string): string {
  const note = origin ? ` ${origin.replace(/[^A-Za-z0-9 ._/:-]/g, '_')}` : '';
  return `${TAG_PREFIX}${hash}${note}`.slice(0, COMMENT_MAX);
}

function anyOf(items: string[]): string {
  return items.length === 1 ? (items[0] as string) : `{ ${items.join(', ')} }`;
}

function renderIf(keyword: 'iifname' | 'oifname', m: IfMatch): string | undefined {
  const op = m.negate ? '!= ' : '';
  if (m.set !== undefined && m.names !== undefined) throw bug(`${keyword} match has both names and a set`);
  if (m.set !== undefined) {
    assertNftName('set', m.set);
    return `${keyword} ${op}@${m.set}`;
  }
  const names = m.names ?? [];
  if (names.length === 0) return m.negate ? undefined : NEVER;
  return `${keyword} ${op}${anyOf(names.map(quoteIfname))}`;
}

function renderAddr(field: 'saddr' | 'daddr', m: AddrMatch): string | undefined {
  const proto = m.family === 'ipv4' ? 'ip' : 'ip6';
  const op = m.negate ? '!= ' : '';
  if (m.set !== undefined && m.cidrs !== undefined) throw bug(`${field} match has both cidrs and a set`);
  if (m.set !== undefined) {
    assertNftName('set', m.set);
    return `${proto} ${field} ${op}@${m.set}`;
  }
  const cidrs = m.cidrs ?? [];
  if (cidrs.length === 0) return m.negate ? undefined : NEVER;
  return `${proto} ${field} ${op}${anyOf(cidrs.map((c) => formatAddress(m.family, c)))}`;
}

function renderProtocol(m: Match): string | undefined {
  if (m.dports !== undefined) {
    if (m.protocol !== 'tcp' && m.protocol !== 'udp') throw bug(`dports need protocol tcp or udp, got ${m.protocol}`);
    if (m.dports.length === 0) return NEVER;
    const ports = m.dports.map((r) => {
      if (r.to < r.from) throw bug(`port range ${r.from}-${r.to} is reversed`);
      return r.to === r.from ? formatPort(r.from) : `${formatPort(r.from)}-${formatPort(r.to)}`;
    });
    return `${m.protocol} dport ${anyOf(ports)}`;
  }
  if (m.protocol === undefined) return undefined;
  return `meta l4proto ${m.protocol === 'icmpv6' ? 'ipv6-icmp' : m.protocol}`;
}

/**
 * The match part of a rule, e.g. `meta nfproto ipv4 iifname @bridges tcp dport { 80, 443 }`.
 * A lookup renders as its key and set, e.g. `ip saddr . ip daddr @exceptions_any4`; a lookup of a
 * dynamic set is no condition (renderRule adds its update).
 */
export function renderMatch(m: Match, lookups: ReadonlyMap<string, LookupSet> = new Map()): string[] {
  const parts: Array<string | undefined> = [];
  const implied = m.saddr?.family === m.family || m.daddr?.family === m.family;
  if (m.family !== undefined && !implied) parts.push(`meta nfproto ${m.family}`);
  if (m.iif) parts.push(renderIf('iifname', m.iif));
  if (m.oif) parts.push(renderIf('oifname', m.oif));
  if (m.saddr) parts.push(renderAddr('saddr', m.saddr));
  if (m.daddr) parts.push(renderAddr('daddr', m.daddr));
  parts.push(renderProtocol(m));
  if (m.ctState !== undefined) parts.push(m.ctState.length === 0 ? NEVER : `ct state ${m.ctState.join(',')}`);
  if (m.ctDnat) parts.push('ct status dnat');
  if (m.daddrLocal) parts.push('fib daddr type local');
  if (m.lookup !== undefined) {
    const set = lookups.get(m.lookup);
    if (!set) throw bug(`rule looks up missing set ${m.lookup}`);
    // A dynamic set is not a condition: renderRule adds its update statement.
    if (!set.dynamic) parts.push(`${lookupKeyExpression(set)} @${set.name}`);
  }
  return parts.filter((p): p is string => p !== undefined);
}

/** The verdict part; `continue` (count only) renders as nft's explicit `continue`. */
export function renderVerdict(v: Verdict, acceptMark: number): string {
  switch (v.kind) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'masquerade':
      return v.kind;
    case 'jump':
      assertNftName('chain', v.chain);
      return `jump ${v.chain}`;
    case 'dispatch': {
      // iifname vmap { "br-a" : jump from-br-a, "br-b" : jump from-br-b }
      if (v.targets.length === 0) return 'continue';
      const entries = v.targets.map((t) => {
        assertNftName('chain', t.chain);
        return `${quoteIfname(t.ifname)} : jump ${t.chain}`;
      });
      return `${v.on === 'iif' ? 'iifname' : 'oifname'} vmap { ${entries.join(', ')} }`;
    }
    case 'markAccept':
      // Keeps other mark bits: ct mark set ct mark | 0x00100000 accept
      return `ct mark set ct mark | ${formatMark(acceptMark)} accept`;
    case 'dnat': {
      const address = formatAddress(v.family, v.address);
      if (v.family === 'ipv4') return `dnat ip to ${address}${v.port === undefined ? '' : `:${formatPort(v.port)}`}`;
      return `dnat ip6 to ${v.port === undefined ? address : `[${address}]:${formatPort(v.port)}`}`;
    }
    default:
      throw bug(`unknown verdict ${JSON.stringify(v satisfies never)}`);
  }
}

/** One rule line: matches, `counter` when counted, the per-source `update` if asked, verdict, tag comment. */
export function renderRule(rule: Rule, hash: string, acceptMark: number, lookups?: ReadonlyMap<string, LookupSet>): string {
  const parts = renderMatch(rule.match, lookups);
  const dynamic = rule.match.lookup === undefined ? undefined : lookups?.get(rule.match.lookup);
  if (dynamic?.dynamic) {
    if (rule.verdict.kind !== 'continue') throw bug(`dynamic lookup ${dynamic.name} in a rule with verdict ${rule.verdict.kind}`);
    parts.push(dynamicUpdate(dynamic));
  }
  if (rule.counter) parts.push('counter');
  if (rule.sourceDrops) parts.push(renderSourceDropUpdate(rule.sourceDrops));
  parts.push(renderVerdict(rule.verdict, acceptMark));
  parts.push(`comment "${renderComment(hash, rule.origin)}"`);
  return parts.join(' ');
}

function renderSet(set: NamedSet): string[] {
  assertNftName('set', set.name);
  const header =
    set.type === 'ifname' ? 'type ifname;' : `type ${set.type === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr'}; flags interval;`;
  const elements = set.elements.map((e) => (set.type === 'ifname' ? quoteIfname(e) : formatAddress(set.type as 'ipv4' | 'ipv6', e)));
  const lines = [`\tset ${set.name} {`, `\t\t${header}`];
  if (elements.length > 0) lines.push(`\t\telements = { ${elements.join(', ')} }`);
  lines.push('\t}');
  return lines;
}

function renderChain(chain: Chain, acceptMark: number, lookups: ReadonlyMap<string, LookupSet>): string[] {
  assertNftName('chain', chain.name);
  const lines = [`\tchain ${chain.name} {`];
  if (chain.hook) lines.push(`\t\t${HOOK_DECLARATIONS[chain.hook]}`);
  const hashes = hashChainRules(chain);
  chain.rules.forEach((rule, i) => lines.push(`\t\t${renderRule(rule, hashes[i] as string, acceptMark, lookups)}`));
  lines.push('\t}');
  return lines;
}

/**
 * The whole `nft -f -` input for `ruleset`: `add table` + `delete table` (so the delete never
 * fails) + the full table definition, one atomic transaction that resets counters. A ruleset
 * with no sets and no chains renders the deletion alone (nothing of ours stays). With
 * `dropsBySource`, adds the per-source drop sets and their update rules (source-drops.ts). Throws a
 * dockfence bug (before anything is applied) for a name or value nft cannot express safely.
 */
export function renderNftables(desired: Ruleset): string {
  const ruleset = addSourceDropRules(desired);
  const head = [`add table ${NFT_FAMILY} ${NFT_TABLE}`, `delete table ${NFT_FAMILY} ${NFT_TABLE}`];
  if (ruleset.sets.length === 0 && ruleset.chains.length === 0 && !ruleset.lookups?.length) return `${head.join('\n')}\n`;
  const lookups = new Map((ruleset.lookups ?? []).map((l) => [l.name, l]));
  const body = [
    ...ruleset.sets.flatMap((s) => renderSet(s)),
    ...[...lookups.values()].flatMap((l) => lookupDeclaration(l)),
    ...(ruleset.dropsBySource ? renderSourceDropSets() : []),
    ...ruleset.chains.flatMap((c) => renderChain(c, ruleset.acceptMark, lookups)),
  ];
  return `${[...head, `table ${NFT_FAMILY} ${NFT_TABLE} {`, ...body, '}'].join('\n')}\n`;
}
