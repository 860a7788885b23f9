// Resource operations several verbs share, on top of ApiClient: get-or-undefined, list, apply
// (server-side apply, or create-or-replace when the server has no apply), history and rollback.

import { API_VERSION } from '../resources/types.js';
import type { ApiClient } from './client.js';
import { CliError, ServerError } from './errors.js';
import { resourcePath, type KindInfo } from './kinds.js';
import { sortKeys } from './output.js';

export const FIELD_MANAGER = 'dockfence-cli';

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: unknown;
  status?: Record<string, unknown>;
  [k: string]: unknown;
};

/** One stored generation of a resource, as `history` shows it. */
export interface HistoryEntry {
  generation: number;
  resourceVersion?: string;
  timestamp?: string;
  spec: unknown;
  [k: string]: unknown;
}

/** GET one object; undefined when the server says NotFound (other errors are thrown). */
export async function getObject(client: ApiClient, info: KindInfo, name: string): Promise<KubeObject | undefined> {
  try {
    return withKind(info, await client.request<KubeObject>('GET', resourcePath(info, name)));
  } catch (err) {
    if (err instanceof ServerError && err.httpStatus === 404) return undefined;
    throw err;
  }
}

/** GET one object or throw the server's NotFound as a ServerError. */
export async function requireObject(client: ApiClient, info: KindInfo, name: string): Promise<KubeObject> {
  return withKind(info, await client.request<KubeObject>('GET', resourcePath(info, name)));
}

/** List a kind, optionally by label selector; items carry apiVersion and kind. */
export async function listObjects(
  client: ApiClient,
  info: KindInfo,
  labelSelector?: string,
): Promise<{ items: KubeObject[]; resourceVersion?: string }> {
  const list = await client.request<{ items?: KubeObject[]; metadata?: { resourceVersion?: string } }>(
    'GET',
    resourcePath(info),
    { query: { labelSelector } },
  );
  return { items: (list.items ?? []).map((item) => withKind(info, item)), resourceVersion: list.metadata?.resourceVersion };
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface ApplyOptions {
  dryRun?: boolean;
  force?: boolean;
  /** Unknown or duplicate fields: Strict (default, refused), Warn (a warning) or Ignore (dropped). */
  fieldValidation?: FieldValidation;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/**
 * Apply a manifest: server-side apply (fieldManager dockfence-cli), or, when the server answers
 * 415 to apply-patch, create-or-replace. Returns what changed by comparing spec, labels and
 * annotations before and after. Throws ServerError for refused writes.
 */
export async function applyObject(
  client: ApiClient,
  info: KindInfo,
  manifest: KubeObject,
  options: ApplyOptions = {},
): Promise<{ outcome: ApplyOutcome; object: KubeObject }> {
  const name = manifest.metadata.name;
  const before = await getObject(client, info, name);
  const query = {
    fieldManager: FIELD_MANAGER,
    fieldValidation: options.fieldValidation ?? 'Strict',
    dryRun: options.dryRun ? 'All' : undefined,
  };
  let after: KubeObject;
  try {
    after = await client.request<KubeObject>('PATCH', resourcePath(info, name), {
      query: { ...query, force: options.force ? 'true' : undefined },
      contentType: 'application/apply-patch+yaml',
      body: JSON.stringify(manifest),
    });
  } catch (err) {
    if (!(err instanceof ServerError && err.httpStatus === 415)) throw err;
    after = await createOrReplace(client, info, manifest, before, query);
  }
  after = withKind(info, after);
  if (!before) return { outcome: 'created', object: after };
  return { outcome: sameContent(before, after) ? 'unchanged' : 'configured', object: after };
}

async function createOrReplace(
  client: ApiClient,
  info: KindInfo,
  manifest: KubeObject,
  before: KubeObject | undefined,
  query: Record<string, string | undefined>,
): Promise<KubeObject> {
  if (!before) return client.request('POST', resourcePath(info), { query, body: manifest });
  const body = { ...manifest, metadata: { ...manifest.metadata, resourceVersion: before.metadata.resourceVersion } };
  return client.request('PUT', resourcePath(info, manifest.metadata.name), { query, body });
}

/** True when spec, labels and annotations are equal (what a user's apply can change). */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  const pick = (o: KubeObject): string =>
    JSON.stringify(sortKeys({ spec: o.spec ?? null, labels: o.metadata.labels ?? {}, annotations: o.metadata.annotations ?? {} }));
  return pick(a) === pick(b);
}

/**
 * The stored generations of one object, oldest first, from `GET .../<name>/history`.
 * Throws CliError when the server has no history endpoint.
 */
export async function getHistory(client: ApiClient, info: KindInfo, name: string): Promise<HistoryEntry[]> {
  let body: unknown;
  try {
    body = await client.request('GET', resourcePath(info, name, 'history'));
  } catch (err) {
    if (err instanceof ServerError && (err.httpStatus === 404 || err.httpStatus === 405)) {
      await requireObject(client, info, name); // a missing object is reported as such
      throw new CliError(`the server at ${client.server} does not serve resource history (${err.line()})`);
    }
    throw err;
  }
  const items = Array.isArray(body) ? body : ((body as { items?: unknown[] } | undefined)?.items ?? []);
  return (items as HistoryEntry[])
    .filter((e) => typeof e?.generation === 'number')
    .sort((a, b) => a.generation - b.generation);
}

/**
 * Make generation `generation`'s spec current again: `POST .../<name>/rollback` when the server
 * has it, else fetch that history entry and PUT its spec over the live object (a new generation).
 * Throws CliError when the generation is not in the history.
 */
export async function rollbackObject(
  client: ApiClient,
  info: KindInfo,
  name: string,
  generation: number,
): Promise<KubeObject> {
  const live = await requireObject(client, info, name);
  try {
    return withKind(
      info,
      await client.request<KubeObject>('POST', resourcePath(info, name, 'rollback'), { body: { generation } }),
    );
  } catch (err) {
    // The object exists, so 404/405 means no rollback endpoint (or no such generation: the
    // history lookup below reports that in its own words).
    if (!(err instanceof ServerError && (err.httpStatus === 404 || err.httpStatus === 405))) throw err;
  }
  const history = await getHistory(client, info, name);
  const entry = history.find((e) => e.generation === generation);
  if (!entry) {
    const known = history.map((e) => e.generation).join(', ') || 'none';
    throw new CliError(`${info.singular} "${name}" has no generation ${generation} (stored generations: ${known})`);
  }
  const body = { ...live, spec: entry.spec, metadata: { ...live.metadata } };
  delete body.status;
  return withKind(info, await client.request<KubeObject>('PUT', resourcePath(info, name), { body }));
}

/** Fill apiVersion and kind, which list items may omit. */
export function withKind(info: KindInfo, object: KubeObject): KubeObject {
  return { ...object, apiVersion: object.apiVersion ?? API_VERSION, kind: object.kind ?? info.kind };
}
