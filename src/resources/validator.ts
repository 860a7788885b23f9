// Validation of client-supplied objects against the CRD schemas (the only schema there is):
// fieldValidation Strict/Warn/Ignore for unknown fields, structural pruning, schema defaults,
// ObjectMeta rules, and Kubernetes-style field causes. Pure (ajv compiles in memory).

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { BadRequestError, InvalidError, type FieldCause } from '../lib/errors.js';
import { checkCidr, isCidr } from './cidr.js';
import type { CrdInfo, CrdRegistry, JsonSchema } from './crd.js';
import { isObject, jsonClone, type JsonObject } from './json-value.js';
import { clientMetadata, validateObjectMeta } from './object-meta.js';
import { pruneUnknownFields } from './prune.js';
import type { Kind, Resource, ResourceStatus } from './types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** A validated object (pruned, defaulted) and the warnings a Warn-mode client should see. */
export interface Validated<T> {
  value: T;
  warnings: string[];
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Compiled {
  main: ValidateFunction;
  status?: ValidateFunction;
}

/** Validates objects of every kind in a CrdRegistry. Compiles each schema once. */
export class ResourceValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<Kind, Compiled>();

  constructor(private readonly registry: CrdRegistry) {
    this.ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    addFormats(this.ajv);
    this.ajv.addFormat('cidr', { type: 'string', validate: isCidr });
  }

  /**
   * Check a whole object sent to the main endpoint. `.status` is dropped (the status subresource
   * owns it). Returns the pruned and defaulted object with client metadata only. Throws
   * BadRequestError (not an object, wrong apiVersion/kind, unknown fields under Strict) or
   * InvalidError with one cause per failing field.
   */
  validateObject(input: unknown, kind: Kind, mode: FieldValidation): Validated<Resource> {
    const crd = this.registry.byKind(kind);
    const obj = checkTypeMeta(input, crd);
    const { meta, unknown: unknownMeta } = clientMetadata(obj.metadata);
    const doc: JsonObject = { ...jsonClone(obj), metadata: meta };
    delete doc.status;
    const unknown = [...unknownMeta, ...pruneUnknownFields(doc, crd.schema)];
    rejectUnknown(unknown, mode);
    const causes = [...validateObjectMeta(meta), ...this.schemaCauses(crd, 'main', doc)];
    if (causes.length > 0) throw invalid(crd, meta.name, causes);
    return { value: doc as unknown as Resource, warnings: warningsFor(unknown, mode) };
  }

  /** Check a status written through the /status subresource. Same errors as validateObject. */
  validateStatus(status: unknown, kind: Kind, name: string, mode: FieldValidation): Validated<ResourceStatus | undefined> {
    const crd = this.registry.byKind(kind);
    if (status === undefined || status === null) return { value: undefined, warnings: [] };
    const statusSchema = crd.schema.properties?.status;
    const doc = { status: jsonClone(status) };
    const unknown = statusSchema ? pruneUnknownFields(doc.status, statusSchema, 'status') : [];
    rejectUnknown(unknown, mode);
    const causes = this.schemaCauses(crd, 'status', doc);
    if (causes.length > 0) throw invalid(crd, name, causes);
    return { value: doc.status as ResourceStatus, warnings: warningsFor(unknown, mode) };
  }

  private schemaCauses(crd: CrdInfo, part: 'main' | 'status', doc: JsonObject): FieldCause[] {
    const fn = part === 'main' ? this.compile(crd).main : this.compile(crd).status;
    if (!fn || fn(doc)) return [];
    return toCauses(fn.errors ?? [], doc);
  }

  private compile(crd: CrdInfo): Compiled {
    let compiled = this.compiled.get(crd.kind);
    if (!compiled) {
      const main = jsonClone(crd.schema);
      delete main.properties?.status;
      const statusSchema = crd.schema.properties?.status;
      compiled = {
        main: this.ajv.compile(main),
        status: statusSchema ? this.ajv.compile({ type: 'object', properties: { status: statusSchema } }) : undefined,
      };
      this.compiled.set(crd.kind, compiled);
    }
    return compiled;
  }
}

function checkTypeMeta(input: unknown, crd: CrdInfo): JsonObject {
  if (!isObject(input)) throw new BadRequestError('the request body must be a JSON or YAML object');
  const expected = `${crd.group}/${crd.version}`;
  if (input.apiVersion !== expected) {
    throw new BadRequestError(`the API version in the data (${String(input.apiVersion ?? '')}) does not match the expected API version (${expected})`);
  }
  if (input.kind !== crd.kind) {
    throw new BadRequestError(`the kind in the data (${String(input.kind ?? '')}) does not match the expected kind (${crd.kind})`);
  }
  return input;
}

function rejectUnknown(unknown: string[], mode: FieldValidation): void {
  if (mode === 'Strict' && unknown.length > 0) {
    throw new BadRequestError(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  }
}

function warningsFor(unknown: string[], mode: FieldValidation): string[] {
  return mode === 'Warn' ? unknown.map((u) => `unknown field "${u}"`) : [];
}

/** The InvalidError Kubernetes would send: `Kind.group "name" is invalid: field: message, ...`. */
export function invalid(crd: Pick<CrdInfo, 'kind' | 'group'>, name: string, causes: FieldCause[]): InvalidError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new InvalidError(`${crd.kind}.${crd.group} ${JSON.stringify(name)} is invalid: ${list}`, causes);
}

function toCauses(errors: ErrorObject[], doc: JsonObject): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const e of errors) {
    if (e.schemaPath.includes('/oneOf/')) continue; // reported once by the oneOf error itself
    const field = fieldPath(doc, e.instancePath);
    const cause = describe(e, field);
    if (!causes.some((c) => c.field === cause.field && c.message === cause.message)) causes.push(cause);
  }
  return causes;
}

function describe(e: ErrorObject, field: string): FieldCause {
  const p = e.params as Record<string, unknown>;
  const shown = show(e.data);
  switch (e.keyword) {
    case 'required':
      return { field: join(field, String(p.missingProperty)), reason: 'FieldValueRequired', message: 'Required value' };
    case 'enum':
      return {
        field,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${shown}: supported values: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'type':
      return { field, reason: 'FieldValueTypeInvalid', message: `Invalid value: ${shown}: must be of type ${String(p.type)}` };
    case 'format':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown}: ${p.format === 'cidr' ? checkCidr(String(e.data)) : `must be a valid ${String(p.format)}`}`,
      };
    case 'maximum':
    case 'minimum': {
      const words = e.keyword === 'maximum' ? 'less than or equal to' : 'greater than or equal to';
      return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: must be ${words} ${String(p.limit)}` };
    }
    case 'minItems':
      return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: must have at least ${String(p.limit)} items` };
    case 'pattern':
      return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: must match the pattern ${String(p.pattern)}` };
    case 'maxLength':
      return { field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${String(p.limit)} characters` };
    case 'oneOf': {
      const branches = ((e.parentSchema as JsonSchema | undefined)?.oneOf ?? []).flatMap((s) => s.required ?? []);
      return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: exactly one of ${branches.join(', ')} must be set` };
    }
    default:
      return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${e.message ?? 'invalid'}` };
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return '"array"';
  if (value === null) return 'null';
  return '"object"';
}

/** JSON pointer -> Kubernetes field path (`/spec/ports/0/port` -> `spec.ports[0].port`). */
function fieldPath(doc: unknown, pointer: string): string {
  let path = '';
  let node = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = Array.isArray(node) ? `${path}[${key}]` : join(path, key);
    node = Array.isArray(node) ? node[Number(key)] : isObject(node) ? node[key] : undefined;
  }
  return path;
}

function join(path: string, key: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}
