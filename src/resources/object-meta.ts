// ObjectMeta rules of the API: DNS-1123 names, label and annotation syntax, which metadata fields a
// client may set and which the server owns. Pure.

import type { FieldCause } from '../lib/errors.js';
import type { ObjectMeta } from './types.js';
import { isObject, type JsonObject } from './json-value.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** metadata fields a request may carry (others are unknown fields). */
export const KNOWN_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'managedFields',
  'finalizers', 'ownerReferences', 'selfLink',
]);

/** Why `name` is not a DNS-1123 label of at most 63 characters, or undefined when it is one. */
export function checkName(name: string): string | undefined {
  if (name.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(name)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return undefined;
}

/** Why `key` is not a qualified label/annotation key (`[prefix/]name`), or undefined. */
export function checkQualifiedKey(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return 'prefix part must be a lowercase RFC 1123 subdomain';
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', start and end with an alphanumeric character, and be at most 63 characters";
  }
  return undefined;
}

/** Field causes for invalid metadata (name, labels, annotations); empty when all is well. */
export function validateObjectMeta(meta: ObjectMeta): FieldCause[] {
  const causes: FieldCause[] = [];
  if (typeof meta.name !== 'string' || meta.name === '') {
    causes.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' });
  } else {
    const why = checkName(meta.name);
    if (why) causes.push({ field: 'metadata.name', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(meta.name)}: ${why}` });
  }
  for (const [field, map] of [['labels', meta.labels], ['annotations', meta.annotations]] as const) {
    if (map === undefined) continue;
    if (!isObject(map)) {
      causes.push({ field: `metadata.${field}`, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a map of strings' });
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      const why = checkQualifiedKey(key);
      if (why) causes.push({ field: `metadata.${field}`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(key)}: ${why}` });
      if (typeof value !== 'string') {
        causes.push({ field: `metadata.${field}.${key}`, reason: 'FieldValueTypeInvalid', message: 'Invalid value: must be a string' });
      } else if (field === 'labels' && (value.length > 63 || !LABEL_VALUE.test(value))) {
        causes.push({
          field: `metadata.labels`,
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)`,
        });
      }
    }
  }
  const annotationBytes = Object.entries(meta.annotations ?? {}).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  if (annotationBytes > MAX_ANNOTATIONS_BYTES) {
    causes.push({ field: 'metadata.annotations', reason: 'FieldValueTooLong', message: `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes` });
  }
  return causes;
}

/**
 * The metadata a client may set (name, labels, annotations, managedFields kept; server-owned
 * fields dropped; cluster-scoped so namespace is dropped) plus the unknown keys it carried.
 */
export function clientMetadata(meta: unknown): { meta: ObjectMeta; unknown: string[] } {
  const m: JsonObject = isObject(meta) ? meta : {};
  const unknown = Object.keys(m).filter((k) => !KNOWN_META_FIELDS.has(k)).map((k) => `metadata.${k}`);
  const out: ObjectMeta = { name: typeof m.name === 'string' ? m.name : '' };
  if (typeof m.generateName === 'string') (out as ObjectMeta & { generateName?: string }).generateName = m.generateName;
  if (typeof m.resourceVersion === 'string') out.resourceVersion = m.resourceVersion;
  if (typeof m.uid === 'string') out.uid = m.uid;
  if (m.labels !== undefined && m.labels !== null) out.labels = m.labels as Record<string, string>;
  if (m.annotations !== undefined && m.annotations !== null) out.annotations = m.annotations as Record<string, string>;
  if (Array.isArray(m.managedFields)) out.managedFields = m.managedFields;
  return { meta: out, unknown };
}
