// Structural pruning as the Kubernetes API server does it for CRDs: fields a structural schema does
// not declare are dropped (and reported, for fieldValidation Strict/Warn). Pure.

import type { JsonSchema } from './crd.js';
import { isObject } from './json-value.js';

/**
 * Remove undeclared fields from `value` in place, following `schema`. Returns the dotted paths
 * (`spec.foo`, `spec.ports[0].bar`) of what was removed, in document order. `metadata` at the
 * root is left to the ObjectMeta rules.
 */
export function pruneUnknownFields(value: unknown, schema: JsonSchema, path = ''): string[] {
  const removed: string[] = [];
  walk(value, schema, path, removed, path === '');
  return removed;
}

function walk(value: unknown, schema: JsonSchema | undefined, path: string, removed: string[], root: boolean): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, schema.items, `${path}[${i}]`, removed, false));
    return;
  }
  if (!isObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    const child = join(path, key);
    if (root && key === 'metadata') continue;
    const declared = schema.properties?.[key];
    if (declared) walk(value[key], declared, child, removed, false);
    else if (isObject(schema.additionalProperties)) walk(value[key], schema.additionalProperties, child, removed, false);
    else if (schema.additionalProperties === true || preserve) continue;
    else {
      removed.push(child);
      delete value[key];
    }
  }
}

function join(path: string, key: string): string {
  const safe = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (safe.startsWith('[')) return `${path}${safe}`;
  return path === '' ? safe : `${path}.${safe}`;
}
