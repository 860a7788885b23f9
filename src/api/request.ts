// Reading a Kubernetes-style request: body media types (JSON, YAML, the three patch types),
// query parameters (dryRun, fieldValidation, fieldManager, selectors) and the Accept header.

import type { Request } from 'express';
import { parse as parseYaml } from 'yaml';
import { BadRequestError, InvalidError, UnsupportedMediaTypeError } from '../lib/errors.js';
import { matchesRequirements, parseLabelSelector } from '../resources/labels.js';
import type { FieldValidation } from '../resources/validator.js';
import type { IncludeObject } from '../resources/table.js';
import type { LabelSelectorRequirement, Resource } from '../resources/types.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'] as const;
export type PatchType = (typeof PATCH_TYPES)[number];
const OBJECT_TYPES = ['application/json', 'application/yaml'];
const YAML_ALIASES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'application/apply-patch+yaml']);

/** The media type of the request body without parameters, lower-cased ('' when absent). */
export function mediaType(req: Request): string {
  return (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The body as a JSON value, from JSON or YAML text. Throws BadRequestError when it does not parse. */
export function parseBody(req: Request): unknown {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  if (raw.trim() === '') throw new BadRequestError('the request body is empty');
  const type = mediaType(req);
  try {
    return YAML_ALIASES.has(type) ? parseYaml(raw) : JSON.parse(raw);
  } catch (err) {
    const what = YAML_ALIASES.has(type) ? 'YAML' : 'JSON';
    throw new BadRequestError(`the request body is not valid ${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** For POST/PUT: the body, which must be JSON or YAML (UnsupportedMediaTypeError otherwise). */
export function readObjectBody(req: Request): unknown {
  const type = mediaType(req);
  if (type !== '' && type !== 'application/json' && !YAML_ALIASES.has(type)) throw unsupported(type, OBJECT_TYPES);
  return parseBody(req);
}

/** For PATCH: the patch type (UnsupportedMediaTypeError for strategic merge or anything else). */
export function patchType(req: Request): PatchType {
  const type = mediaType(req);
  if (!(PATCH_TYPES as readonly string[]).includes(type)) throw unsupported(type, [...PATCH_TYPES]);
  return type as PatchType;
}

function unsupported(type: string, accepted: string[]): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError(
    `the body of the request was in an unknown format (${type || 'none'}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** A single string query parameter (the first when repeated). */
export function queryString(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function queryBool(req: Request, name: string): boolean {
  const value = queryString(req, name);
  return value === 'true' || value === '1';
}

/** True for `?dryRun=All`; BadRequestError for any other value. */
export function dryRunOf(req: Request, bodyDryRun?: unknown): boolean {
  const values = [queryString(req, 'dryRun'), ...(Array.isArray(bodyDryRun) ? bodyDryRun : [])].filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  for (const v of values) if (v !== 'All') throw new BadRequestError(`invalid dryRun value ${JSON.stringify(v)}: supported values: "All"`);
  return values.length > 0;
}

/** `fieldValidation` (default Warn, as Kubernetes); BadRequestError for an unknown mode. */
export function fieldValidationOf(req: Request): FieldValidation {
  const value = queryString(req, 'fieldValidation');
  if (value === undefined || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw new BadRequestError(`fieldValidation ${JSON.stringify(value)} is invalid: supported values: "Ignore", "Warn", "Strict"`);
}

/** `fieldManager`, else the User-Agent's program name (as Kubernetes), else "unknown". */
export function fieldManagerOf(req: Request, required: boolean): string {
  const value = queryString(req, 'fieldManager');
  if (value !== undefined && value !== '') {
    if (value.length > 128 || !/^[\x20-\x7e]+$/.test(value)) {
      throw new BadRequestError('fieldManager must be at most 128 printable characters');
    }
    return value;
  }
  if (required) throw new BadRequestError('fieldManager is required for apply requests (application/apply-patch+yaml)');
  const agent = (req.get('user-agent') ?? '').split('/')[0]!.trim();
  return agent === '' ? 'unknown' : agent.slice(0, 128);
}

/** `force=true` (server-side apply). */
export function forceOf(req: Request): boolean {
  return queryBool(req, 'force');
}

/** `watch=true|1`. */
export function isWatch(req: Request): boolean {
  return queryBool(req, 'watch');
}

export interface Selectors {
  labels: LabelSelectorRequirement[];
  /** metadata.name requirements: [operator, value]. */
  names: Array<{ equal: boolean; value: string }>;
}

/** labelSelector and fieldSelector (metadata.name and metadata.namespace only). BadRequestError when malformed. */
export function selectorsOf(req: Request): Selectors {
  let labels: LabelSelectorRequirement[];
  try {
    labels = parseLabelSelector(queryString(req, 'labelSelector') ?? '');
  } catch (err) {
    if (err instanceof InvalidError) throw new BadRequestError(`unable to parse labelSelector: ${err.message}`);
    throw err;
  }
  const names: Selectors['names'] = [];
  const fieldText = (queryString(req, 'fieldSelector') ?? '').trim();
  for (const term of fieldText === '' ? [] : fieldText.split(',')) {
    const m = /^\s*([A-Za-z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw new BadRequestError(`invalid field selector term ${JSON.stringify(term)}`);
    const [, field, op, value] = m;
    if (field === 'metadata.name') names.push({ equal: op !== '!=', value: value! });
    else if (field === 'metadata.namespace') {
      if ((op !== '!=') !== (value === '')) names.push({ equal: true, value: '\0never' }); // cluster-scoped: namespace is ""
    } else throw new BadRequestError(`field label not supported: ${field}`);
  }
  return { labels, names };
}

/** True when `obj` satisfies both selectors. */
export function matchesSelectors(obj: Resource, selectors: Selectors): boolean {
  const nameOk = selectors.names.every((n) => (obj.metadata.name === n.value) === n.equal);
  return nameOk && matchesRequirements(obj.metadata.labels ?? {}, selectors.labels);
}

/** What the client accepts: a Table (kubectl get), YAML, or JSON. */
export interface Negotiated {
  table: boolean;
  yaml: boolean;
  includeObject: IncludeObject;
}

/** Parse Accept (`application/json;as=Table;v=v1;g=meta.k8s.io, application/json`) and includeObject. */
export function negotiate(req: Request): Negotiated {
  const accept = req.get('accept') ?? '';
  const types = accept.split(',').map((entry) => {
    const [type = '', ...params] = entry.split(';').map((p) => p.trim());
    const map = Object.fromEntries(params.map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
    return { type: type.toLowerCase(), params: map };
  });
  const table = types.some(
    (t) => t.type === 'application/json' && t.params.as === 'Table' && t.params.g === 'meta.k8s.io' && (t.params.v === 'v1' || t.params.v === 'v1beta1'),
  );
  const first = types.find((t) => t.type !== '' && !t.params.as);
  const yaml = !table && first !== undefined && YAML_ALIASES.has(first.type);
  const include = queryString(req, 'includeObject');
  const includeObject: IncludeObject = include === 'Object' || include === 'None' ? include : 'Metadata';
  return { table, yaml, includeObject };
}
