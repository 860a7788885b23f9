// Kubernetes label selector semantics, shared by the API (`?labelSelector=`) and the compiler
// (matchLabels/matchExpressions on Docker labels). Pure.

import { InvalidError } from '../lib/errors.js';
import type { LabelSelectorRequirement } from './types.js';

/** matchLabels + matchExpressions as one list of requirements (all must hold). */
export function toRequirements(
  matchLabels: Record<string, string> | undefined,
  matchExpressions: LabelSelectorRequirement[] | undefined,
): LabelSelectorRequirement[] {
  const fromLabels = Object.entries(matchLabels ?? {}).map(
    ([key, value]): LabelSelectorRequirement => ({ key, operator: 'In', values: [value] }),
  );
  return [...fromLabels, ...(matchExpressions ?? [])];
}

/** True when `labels` satisfy every requirement (Kubernetes semantics: NotIn holds when absent). */
export function matchesRequirements(labels: Record<string, string>, requirements: LabelSelectorRequirement[]): boolean {
  return requirements.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    switch (req.operator) {
      case 'In':
        return has && (req.values ?? []).includes(labels[req.key]!);
      case 'NotIn':
        return !has || !(req.values ?? []).includes(labels[req.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

const KEY = String.raw`(?:[a-z0-9A-Z.\-]+/)?[a-zA-Z0-9](?:[a-zA-Z0-9._\-]*[a-zA-Z0-9])?`;
const VALUE = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9._\-]*[a-zA-Z0-9])?)?`;
const SET_RE = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s+\(([^)]*)\)$`);
const EQ_RE = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const EXISTS_RE = new RegExp(String.raw`^(!?)\s*(${KEY})$`);

/**
 * Parse a `labelSelector` query string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`).
 * Throws InvalidError naming the bad term. An empty string selects everything.
 */
export function parseLabelSelector(text: string): LabelSelectorRequirement[] {
  const terms = splitTerms(text.trim());
  return terms.map((term): LabelSelectorRequirement => {
    let m = SET_RE.exec(term);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values };
    }
    m = EQ_RE.exec(term);
    if (m) return { key: m[1]!, operator: m[2] === '!=' ? 'NotIn' : 'In', values: [m[3]!] };
    m = EXISTS_RE.exec(term);
    if (m) return { key: m[2]!, operator: m[1] ? 'DoesNotExist' : 'Exists' };
    throw new InvalidError(`invalid label selector term "${term}"`, [
      { field: 'labelSelector', message: `unable to parse requirement: "${term}"` },
    ]);
  });
}

/** Split on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  terms.push(current.trim());
  return terms;
}
