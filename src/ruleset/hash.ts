// Stable content hashes for rules: the `dockfence:<hash>` tag a backend writes into each rule's
// comment. Pure JS (no node:crypto) so the compiler stays free of I/O modules.

import type { Rule } from './model.js';

/** Canonical JSON: object keys sorted, so equal values always serialize identically. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * 64-bit FNV-1a over UTF-16 code units, as 16 hex digits. Computed on two 32-bit halves
 * (prime = 2^40 + 0x1b3) because BigInt arithmetic was the compiler's hottest path (bench/).
 */
export function hashString(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ text.charCodeAt(i)) >>> 0;
    const low = lo * 0x1b3; // < 2^41: exact in a double
    hi = (hi * 0x1b3 + Math.floor(low / 0x100000000) + ((lo << 8) >>> 0)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/**
 * The tag of a rule within its chain: content plus position-independent identity. Two rules with
 * equal content in one chain get distinct hashes via `occurrence` (0 for the first).
 */
export function hashRule(chain: string, rule: Rule, occurrence = 0): string {
  return hashString(`${chain}|${occurrence}|${canonicalJson(rule)}`).slice(0, 16);
}
