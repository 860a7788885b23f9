// `nft -j list table inet dockfence` -> what we own, live: chains with their hooks and the rule
// hashes recovered from `dockfence:<hash>` comments, sets with elements as nft prints them, and
// rule counters. Lenient by design: nft 1.0.6 prints odd JSON (e.g. garbage table flags), so
// unknown fields and objects are ignored rather than rejected.

import { ParseError } from '../../lib/errors.js';
import type { Hook } from '../../ruleset/model.js';
import type { ObservedChain, ObservedRuleset, ObservedSet } from '../backend.js';
import { NFT_FAMILY, NFT_TABLE, TAG_PREFIX } from './render.js';
import { canonicalIpv6 } from './values.js';

/** nft's view adds what the shared model has no field for; plan() reads it. */
export interface NftObservedRuleset extends ObservedRuleset {
  /** Our table carries flags (e.g. `dormant`: all our rules inactive). We never set any. */
  tableFlags?: boolean;
  /** The conntrack mark our DOCKER-USER rule accepts, when that rule is present. */
  dockerUserMark?: number;
}

export interface RuleCounter {
  packets: number;
  bytes: number;
}

type Json = Record<string, unknown>;

const TAG = new RegExp(`^${TAG_PREFIX}([0-9a-f]{16})(?: |$)`);

/** The settings our base chains are created with; anything else on a hook is drift. */
const EXPECTED_BASE: Readonly<Record<Hook, { type: string; prio: number }>> = {
  forward: { type: 'filter', prio: -5 },
  input: { type: 'filter', prio: -5 },
  prerouting: { type: 'nat', prio: -105 },
  postrouting: { type: 'nat', prio: 95 },
};

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The hash in a rule comment, or undefined when the rule is not tagged by us. */
export function tagOf(comment: unknown): string | undefined {
  return typeof comment === 'string' ? TAG.exec(comment)?.[1] : undefined;
}

function readObjects(text: string): Json[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new ParseError('reading nft JSON output: not valid JSON', { cause });
  }
  const list = isObject(doc) ? doc['nftables'] : undefined;
  if (!Array.isArray(list)) throw new ParseError('reading nft JSON output: no "nftables" array');
  return list.filter(isObject);
}

function ours(obj: Json): boolean {
  const family = obj['family'];
  const table = obj['table'] ?? obj['name'];
  return (family === undefined || family === NFT_FAMILY) && table === NFT_TABLE;
}

/**
 * The hook of a live chain as the shared diff compares it: the plain hook name when the chain
 * is exactly as we create it, else the hook name plus what differs (e.g. `forward[policy drop]`)
 * so that a hand-edited policy or priority shows as a hook difference.
 */
function hookOf(chain: Json): Hook | undefined {
  const hook = chain['hook'];
  if (typeof hook !== 'string') return undefined;
  const expected = EXPECTED_BASE[hook as Hook];
  if (!expected) return hook as Hook;
  const odd: string[] = [];
  if (chain['type'] !== undefined && chain['type'] !== expected.type) odd.push(`type ${String(chain['type'])}`);
  if (typeof chain['prio'] === 'number' && chain['prio'] !== expected.prio) odd.push(`prio ${chain['prio']}`);
  if (chain['policy'] !== undefined && chain['policy'] !== 'accept') odd.push(`policy ${String(chain['policy'])}`);
  return (odd.length === 0 ? hook : `${hook}[${odd.join(', ')}]`) as Hook;
}

/** A set element as text: `a.b.c.d`, `addr/len`, `from-to`, concatenations joined by ` . `. */
export function elementText(elem: unknown): string {
  if (typeof elem === 'string') return elem.includes(':') ? canonicalIpv6(elem) : elem;
  if (typeof elem === 'number') return String(elem);
  if (Array.isArray(elem)) return elem.map(elementText).join(' . ');
  if (isObject(elem)) {
    const prefix = elem['prefix'];
    if (isObject(prefix)) return `${elementText(prefix['addr'])}/${String(prefix['len'])}`;
    const range = elem['range'];
    if (Array.isArray(range)) return range.map(elementText).join('-');
    if ('elem' in elem) return elementText(isObject(elem['elem']) ? elem['elem']['val'] : elem['elem']);
    if ('val' in elem) return elementText(elem['val']);
    if (Array.isArray(elem['concat'])) return elementText(elem['concat']);
  }
  return JSON.stringify(elem);
}

function chainEntry(chains: Map<string, ObservedChain>, name: string): ObservedChain {
  let chain = chains.get(name);
  if (!chain) {
    chain = { name, ruleHashes: [], untagged: 0 };
    chains.set(name, chain);
  }
  return chain;
}

/**
 * Parse `nft -j list table inet dockfence` (or `list ruleset`; other tables are ignored).
 * Rules without our tag count as `untagged`; named objects other than sets (maps, counters,
 * flowtables, ...) are reported as sets named `<kind>:<name>` so that the diff flags them.
 * `hooks` is left empty (DOCKER-USER is read with iptables). Throws ParseError for text that is
 * not nft JSON; a document without our table gives `present: false`.
 */
export function parseNftablesJson(text: string): NftObservedRuleset {
  const chains = new Map<string, ObservedChain>();
  const sets: ObservedSet[] = [];
  let present = false;
  let tableFlags = false;
  for (const obj of readObjects(text)) {
    const [kind, body] = Object.entries(obj)[0] ?? [];
    if (kind === undefined || !isObject(body) || kind === 'metainfo') continue;
    if (kind === 'table') {
      if (body['name'] === NFT_TABLE && body['family'] === NFT_FAMILY) {
        present = true;
        tableFlags = body['flags'] !== undefined && !(Array.isArray(body['flags']) && body['flags'].length === 0);
      }
      continue;
    }
    if (!ours(body)) continue;
    const name = String(body['name'] ?? '');
    if (kind === 'chain') {
      const chain = chainEntry(chains, name);
      const hook = hookOf(body);
      if (hook !== undefined) chain.hook = hook;
    } else if (kind === 'rule') {
      const chain = chainEntry(chains, String(body['chain'] ?? ''));
      const hash = tagOf(body['comment']);
      if (hash === undefined) chain.untagged += 1;
      else chain.ruleHashes.push(hash);
    } else if (kind === 'set') {
      const elem = Array.isArray(body['elem']) ? body['elem'] : [];
      sets.push({ name, elements: elem.map(elementText).sort() });
    } else {
      sets.push({ name: `${kind}:${name}`, elements: [] });
    }
  }
  if (!present) return { present: false, chains: [], sets: [], hooks: {} };
  const result: NftObservedRuleset = { present, chains: [...chains.values()], sets, hooks: {} };
  if (tableFlags) result.tableFlags = true;
  return result;
}

export interface NftCounters {
  /** chain name -> rule hash -> the rule's anonymous counter (rules with a `counter` statement). */
  rules: Map<string, Map<string, RuleCounter>>;
  /** set name -> element as elementText prints it -> the element's counter (sets with `counter`). */
  elements: Map<string, Map<string, RuleCounter>>;
}

function counterOf(value: unknown): RuleCounter {
  const c = isObject(value) ? value : {};
  return { packets: Number(c['packets'] ?? 0), bytes: Number(c['bytes'] ?? 0) };
}

/**
 * Counters of our tagged rules and of the elements of our counted sets. Throws ParseError like
 * parseNftablesJson.
 */
export function parseNftablesCounters(text: string): NftCounters {
  const rules = new Map<string, Map<string, RuleCounter>>();
  const elements = new Map<string, Map<string, RuleCounter>>();
  for (const obj of readObjects(text)) {
    const set = obj['set'];
    if (isObject(set) && ours(set) && Array.isArray(set['elem'])) {
      const counts = new Map<string, RuleCounter>();
      for (const elem of set['elem']) {
        const body = isObject(elem) ? elem['elem'] : undefined;
        if (isObject(body) && isObject(body['counter'])) counts.set(elementText(elem), counterOf(body['counter']));
      }
      if (counts.size > 0) elements.set(String(set['name'] ?? ''), counts);
      continue;
    }
    const rule = obj['rule'];
    if (!isObject(rule) || !ours(rule)) continue;
    const hash = tagOf(rule['comment']);
    const exprs = Array.isArray(rule['expr']) ? rule['expr'] : [];
    const counter = exprs.find((e): e is Json => isObject(e) && isObject(e['counter']));
    if (hash === undefined || counter === undefined) continue;
    const chain = String(rule['chain'] ?? '');
    if (!rules.has(chain)) rules.set(chain, new Map());
    rules.get(chain)?.set(hash, counterOf(counter['counter']));
  }
  return { rules, elements };
}
