// The JSONPath subset printer columns use: `.a.b`, `['a.b']`, `[0]`, `[*]`, `.*` and filters
// `[?(@.type=="Ready")]` (==, !=, or existence). Pure.

import { isObject } from './json-value.js';

type Step =
  | { op: 'key'; key: string }
  | { op: 'index'; index: number }
  | { op: 'all' }
  | { op: 'filter'; path: string[]; cmp?: '==' | '!='; value?: string };

/** Parse `path`; throws Error with the offending position when it is not in the subset. */
export function parseJsonPath(path: string): Step[] {
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
  const steps: Step[] = [];
  let i = 0;
  const fail = (): never => {
    throw new Error(`unsupported JSONPath ${JSON.stringify(path)} at offset ${i}`);
  };
  while (i < text.length) {
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\.\*/.exec(rest))) steps.push({ op: 'all' });
    else if ((m = /^\.([A-Za-z0-9_-]+)/.exec(rest))) steps.push({ op: 'key', key: m[1]! });
    else if ((m = /^\[\s*(['"])(.*?)\1\s*\]/.exec(rest))) steps.push({ op: 'key', key: m[2]! });
    else if ((m = /^\[\s*(-?\d+)\s*\]/.exec(rest))) steps.push({ op: 'index', index: Number(m[1]) });
    else if ((m = /^\[\s*\*\s*\]/.exec(rest))) steps.push({ op: 'all' });
    else if ((m = /^\[\?\(\s*@((?:\.[A-Za-z0-9_-]+)+)\s*(?:(==|!=)\s*(['"])(.*?)\3)?\s*\)\]/.exec(rest))) {
      const filter: Step = { op: 'filter', path: m[1]!.slice(1).split('.') };
      if (m[2]) Object.assign(filter, { cmp: m[2], value: m[4] });
      steps.push(filter);
    } else fail();
    i += m![0].length;
  }
  return steps;
}

/** Every value `path` selects in `root`, in document order (empty when nothing matches). */
export function evaluateJsonPath(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  for (const step of parseJsonPath(path)) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step.op === 'key') {
        if (isObject(node) && node[step.key] !== undefined) next.push(node[step.key]);
      } else if (step.op === 'index') {
        if (Array.isArray(node)) {
          const item = node[step.index < 0 ? node.length + step.index : step.index];
          if (item !== undefined) next.push(item);
        }
      } else if (step.op === 'all') {
        if (Array.isArray(node)) next.push(...node);
        else if (isObject(node)) next.push(...Object.values(node));
      } else {
        const items = Array.isArray(node) ? node : [node];
        next.push(...items.filter((item) => matchesFilter(item, step)));
      }
    }
    current = next;
  }
  return current;
}

function matchesFilter(item: unknown, step: Extract<Step, { op: 'filter' }>): boolean {
  let value: unknown = item;
  for (const key of step.path) value = isObject(value) ? value[key] : undefined;
  if (!step.cmp) return value !== undefined;
  const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  return step.cmp === '==' ? text === step.value : text !== step.value;
}
