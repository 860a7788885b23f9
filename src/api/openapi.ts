// OpenAPI documents generated from the CRDs: v3 per group-version (what kubectl 1.32 reads for
// explain, apply and fieldValidation support) and v2 (for older clients). PATCH operations list
// exactly the patch types and query parameters the server implements. Pure.

import { createHash } from 'node:crypto';
import type { CrdInfo, CrdRegistry, JsonSchema } from '../resources/crd.js';
import { jsonClone } from '../resources/json-value.js';
import { META, metaSchemas } from './openapi-meta.js';
import { PATCH_TYPES } from './request.js';

type Doc = Record<string, unknown>;

interface Param {
  name: string;
  in: 'query' | 'path';
  description: string;
  type: 'string' | 'boolean' | 'integer';
  required?: boolean;
}

const P: Record<string, Param> = {
  name: { name: 'name', in: 'path', required: true, type: 'string', description: 'name of the object' },
  pretty: { name: 'pretty', in: 'query', type: 'string', description: "If 'true', then the output is pretty printed." },
  dryRun: { name: 'dryRun', in: 'query', type: 'string', description: 'When present, indicates that modifications should not be persisted. Valid value: All' },
  fieldManager: { name: 'fieldManager', in: 'query', type: 'string', description: 'A name associated with the actor making these changes. Required for apply requests (application/apply-patch+yaml).' },
  fieldValidation: { name: 'fieldValidation', in: 'query', type: 'string', description: 'How to handle unknown fields: Ignore, Warn (default) or Strict.' },
  force: { name: 'force', in: 'query', type: 'boolean', description: 'Force an apply request to take fields owned by other managers.' },
  labelSelector: { name: 'labelSelector', in: 'query', type: 'string', description: 'A selector to restrict the list of returned objects by their labels.' },
  fieldSelector: { name: 'fieldSelector', in: 'query', type: 'string', description: 'A selector on metadata.name to restrict the list of returned objects.' },
  resourceVersion: { name: 'resourceVersion', in: 'query', type: 'string', description: 'Watch changes after this version.' },
  resourceVersionMatch: { name: 'resourceVersionMatch', in: 'query', type: 'string', description: 'Ignored: lists are always the latest.' },
  timeoutSeconds: { name: 'timeoutSeconds', in: 'query', type: 'integer', description: 'Timeout for the list/watch call.' },
  watch: { name: 'watch', in: 'query', type: 'boolean', description: 'Watch for changes and return them as a stream of events.' },
  allowWatchBookmarks: { name: 'allowWatchBookmarks', in: 'query', type: 'boolean', description: 'Request BOOKMARK watch events.' },
  sendInitialEvents: { name: 'sendInitialEvents', in: 'query', type: 'boolean', description: 'Start a watch with synthetic ADDED events for the current state.' },
  limit: { name: 'limit', in: 'query', type: 'integer', description: 'Accepted and ignored: lists are never paginated.' },
  continue: { name: 'continue', in: 'query', type: 'string', description: 'Accepted and ignored: lists are never paginated.' },
  propagationPolicy: { name: 'propagationPolicy', in: 'query', type: 'string', description: 'Accepted for compatibility; dockfence objects have no dependents.' },
  gracePeriodSeconds: { name: 'gracePeriodSeconds', in: 'query', type: 'integer', description: 'Accepted and ignored: deletion is immediate.' },
};

const LIST_PARAMS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];
const DELETE_PARAMS = ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'];

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  action: string;
  id: string;
  params: string[];
  body?: 'object' | 'patch' | 'delete';
  response: string; // component name
  kind: string;
}

function pathsFor(crd: CrdInfo): Array<{ path: string; pathParams: string[]; ops: Operation[] }> {
  const base = `/apis/${crd.group}/${crd.version}/${crd.plural}`;
  const id = (verb: string, suffix = ''): string => `${verb}${groupCamel(crd)}${crd.kind}${suffix}`;
  const obj = schemaName(crd, crd.kind);
  const list = schemaName(crd, crd.listKind);
  const op = (o: Omit<Operation, 'kind'>): Operation => ({ ...o, kind: crd.kind });
  const withStatus = crd.hasStatus
    ? [{
        path: `${base}/{name}/status`,
        pathParams: ['name', 'pretty'],
        ops: [
          op({ method: 'get', action: 'get', id: id('read', 'Status'), params: [], response: obj }),
          op({ method: 'put', action: 'put', id: id('replace', 'Status'), params: WRITE_PARAMS, body: 'object', response: obj }),
          op({ method: 'patch', action: 'patch', id: id('patch', 'Status'), params: [...WRITE_PARAMS, 'force'], body: 'patch', response: obj }),
        ],
      }]
    : [];
  return [
    {
      path: base,
      pathParams: ['pretty'],
      ops: [
        op({ method: 'get', action: 'list', id: id('list'), params: LIST_PARAMS, response: list }),
        op({ method: 'post', action: 'post', id: id('create'), params: WRITE_PARAMS, body: 'object', response: obj }),
        op({ method: 'delete', action: 'deletecollection', id: id('deleteCollection'), params: [...DELETE_PARAMS, 'labelSelector', 'fieldSelector'], body: 'delete', response: `${META}.Status` }),
      ],
    },
    {
      path: `${base}/{name}`,
      pathParams: ['name', 'pretty'],
      ops: [
        op({ method: 'get', action: 'get', id: id('read'), params: [], response: obj }),
        op({ method: 'put', action: 'put', id: id('replace'), params: WRITE_PARAMS, body: 'object', response: obj }),
        op({ method: 'patch', action: 'patch', id: id('patch'), params: [...WRITE_PARAMS, 'force'], body: 'patch', response: obj }),
        op({ method: 'delete', action: 'delete', id: id('delete'), params: DELETE_PARAMS, body: 'delete', response: obj }),
      ],
    },
    ...withStatus,
  ];
}

/** `io.dockfence.v1alpha1.IsolationPolicy`: the component name Kubernetes gives a CRD kind. */
export function schemaName(crd: Pick<CrdInfo, 'group' | 'version'>, kind: string): string {
  return `${crd.group.split('.').reverse().join('.')}.${crd.version}.${kind}`;
}

function groupCamel(crd: CrdInfo): string {
  const words = [...crd.group.split('.'), crd.version];
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** The component schemas: each kind, its list, and the meta types they reference. */
function componentSchemas(crds: CrdInfo[], ref: (name: string) => string): Record<string, unknown> {
  const schemas: Record<string, unknown> = metaSchemas(ref);
  for (const crd of crds) {
    const schema = jsonClone(crd.schema) as JsonSchema;
    schema.properties = {
      ...schema.properties,
      metadata: { description: 'Standard object metadata.', allOf: [{ $ref: ref(`${META}.ObjectMeta`) }] },
    };
    schemas[schemaName(crd, crd.kind)] = { ...schema, 'x-kubernetes-group-version-kind': [gvk(crd, crd.kind)] };
    schemas[schemaName(crd, crd.listKind)] = {
      type: 'object',
      description: `${crd.listKind} is a list of ${crd.kind}`,
      required: ['items'],
      properties: {
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        items: { type: 'array', description: `List of ${crd.plural}.`, items: { $ref: ref(schemaName(crd, crd.kind)) } },
        metadata: { description: 'Standard list metadata.', allOf: [{ $ref: ref(`${META}.ListMeta`) }] },
      },
      'x-kubernetes-group-version-kind': [gvk(crd, crd.listKind)],
    };
  }
  return schemas;
}

function gvk(crd: CrdInfo, kind: string): { group: string; kind: string; version: string } {
  return { group: crd.group, kind, version: crd.version };
}

function v3Operation(o: Operation, crd: CrdInfo): Doc {
  const ref = (name: string): Doc => ({ $ref: `#/components/schemas/${name}` });
  const bodySchema = o.body === 'patch' ? ref(`${META}.Patch`) : o.body === 'delete' ? ref(`${META}.DeleteOptions`) : ref(o.response);
  const bodyTypes = o.body === 'patch' ? [...PATCH_TYPES] : ['application/json', 'application/yaml'];
  const responseContent = { 'application/json': { schema: ref(o.response) }, 'application/yaml': { schema: ref(o.response) } };
  const doc: Doc = {
    tags: [`${groupCamel(crd)}`],
    description: `${o.action} ${o.method === 'get' && o.action === 'list' ? 'objects of kind' : ''} ${o.kind}`.replace(/\s+/g, ' '),
    operationId: o.id,
    parameters: o.params.map((name) => ({
      name,
      in: P[name]!.in,
      description: P[name]!.description,
      schema: { type: P[name]!.type, uniqueItems: true },
    })),
    responses: {
      '200': { description: 'OK', content: responseContent },
      ...(o.method === 'post' || o.method === 'patch' || o.method === 'put' ? { '201': { description: 'Created', content: responseContent } } : {}),
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': { group: crd.group, version: crd.version, kind: o.kind },
  };
  if (o.body) {
    doc.requestBody = { content: Object.fromEntries(bodyTypes.map((t) => [t, { schema: bodySchema }])), required: o.body !== 'delete' };
  }
  return doc;
}

/** The OpenAPI v3 document of one group-version, or undefined when nothing is served there. */
export function openApiV3(registry: CrdRegistry, group: string, version: string): Doc | undefined {
  const crds = registry.all.filter((c) => c.group === group && c.version === version);
  if (crds.length === 0) return undefined;
  const paths: Doc = {};
  for (const crd of crds) {
    for (const entry of pathsFor(crd)) {
      const item: Doc = {
        parameters: entry.pathParams.map((name) => ({
          name,
          in: P[name]!.in,
          description: P[name]!.description,
          ...(P[name]!.required ? { required: true } : {}),
          schema: { type: P[name]!.type, uniqueItems: true },
        })),
      };
      for (const o of entry.ops) item[o.method] = v3Operation(o, crd);
      paths[entry.path] = item;
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'dockfence', version: version },
    paths,
    components: { schemas: componentSchemas(crds, (n) => `#/components/schemas/${n}`) },
  };
}

/** A stable hash of a document, for /openapi/v3's serverRelativeURL. */
export function documentHash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
}

/** /openapi/v3: the index of group-version documents. */
export function openApiV3Index(registry: CrdRegistry): Doc {
  const gvs = [...new Set(registry.all.map((c) => `${c.group}/${c.version}`))];
  const paths: Doc = {};
  for (const gv of gvs) {
    const [group, version] = gv.split('/') as [string, string];
    const hash = documentHash(openApiV3(registry, group, version));
    paths[`apis/${gv}`] = { serverRelativeURL: `/openapi/v3/apis/${gv}?hash=${hash}` };
  }
  return { paths };
}

/** /openapi/v2: one Swagger 2.0 document covering every served kind. */
export function openApiV2(registry: CrdRegistry): Doc {
  const ref = (name: string): string => `#/definitions/${name}`;
  const paths: Doc = {};
  for (const crd of registry.all) {
    for (const entry of pathsFor(crd)) {
      const item: Doc = { parameters: entry.pathParams.map((name) => v2Param(name)) };
      for (const o of entry.ops) {
        const params: unknown[] = o.params.map((name) => v2Param(name));
        if (o.body) {
          const schema = o.body === 'patch' ? `${META}.Patch` : o.body === 'delete' ? `${META}.DeleteOptions` : o.response;
          params.unshift({ name: 'body', in: 'body', required: o.body !== 'delete', schema: { $ref: ref(schema) } });
        }
        item[o.method] = {
          description: `${o.action} ${o.kind}`,
          operationId: o.id,
          consumes: o.body === 'patch' ? [...PATCH_TYPES] : ['application/json', 'application/yaml'],
          produces: ['application/json', 'application/yaml'],
          schemes: ['https', 'http'],
          tags: [groupCamel(crd)],
          parameters: params,
          responses: { '200': { description: 'OK', schema: { $ref: ref(o.response) } }, '401': { description: 'Unauthorized' } },
          'x-kubernetes-action': o.action,
          'x-kubernetes-group-version-kind': { group: crd.group, version: crd.version, kind: o.kind },
        };
      }
      paths[entry.path] = item;
    }
  }
  return {
    swagger: '2.0',
    info: { title: 'dockfence', version: 'v1alpha1' },
    paths,
    definitions: swagger2Schemas(componentSchemas([...registry.all], ref)),
  };
}

/** Swagger 2.0 has no oneOf/anyOf/not/nullable: drop them, as Kubernetes does when publishing v2. */
function swagger2Schemas(value: unknown): Record<string, unknown> {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (!['oneOf', 'anyOf', 'not', 'nullable'].includes(k)) out[k] = strip(v);
    return out;
  };
  return strip(value) as Record<string, unknown>;
}

function v2Param(name: string): Doc {
  const p = P[name]!;
  return { name, in: p.in, description: p.description, type: p.type, uniqueItems: true, ...(p.required ? { required: true } : {}) };
}
