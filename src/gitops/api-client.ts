// The sync's only way to the resources: the dockfence HTTP API, like any other client. Server-side
// apply with field manager `gitops` (forced, so git wins over hand edits), list and delete.
// Non-2xx answers become ApiStatusError carrying the Status reason and its field causes.

import { DockfenceError, type FieldCause } from '../lib/errors.js';
import { API_VERSION, type Kind } from '../resources/types.js';
import { PLURALS } from '../resources/kinds.js';
import type { Manifest } from './manifests.js';

export const FIELD_MANAGER = 'gitops';

/** An object as the server returns it. */
export interface LiveObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: unknown;
  [k: string]: unknown;
}

/** What a sync needs from the API; the HTTP implementation is below, tests pass a fake. */
export interface ResourceApi {
  /** Every object of `kind`. */
  list(kind: Kind): Promise<LiveObject[]>;
  /** Server-side apply (forced); with `dryRun` the server validates and answers, storing nothing. */
  apply(manifest: Manifest, options: { dryRun: boolean }): Promise<LiveObject>;
  /** Delete; resolves false when the object was already gone. */
  remove(kind: Kind, name: string): Promise<boolean>;
}

/** The server refused a request: HTTP code, Status reason and message, field causes. */
export class ApiStatusError extends DockfenceError {
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly reason: string | undefined,
    readonly causes: FieldCause[],
  ) {
    super(message);
  }
}

export interface HttpResourceApiOptions {
  /** Base URL of the dockfence API, e.g. http://127.0.0.1:8080. */
  server: string;
  /** Bearer token (needs write access); sent only in the Authorization header. */
  token?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** ResourceApi over HTTP with Kubernetes wire conventions. */
export class HttpResourceApi implements ResourceApi {
  private readonly server: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HttpResourceApiOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  async list(kind: Kind): Promise<LiveObject[]> {
    const body = (await this.request('GET', collectionPath(kind))) as { items?: LiveObject[] } | undefined;
    return body?.items ?? [];
  }

  async apply(manifest: Manifest, options: { dryRun: boolean }): Promise<LiveObject> {
    const query = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: 'true' });
    if (options.dryRun) query.set('dryRun', 'All');
    const path = `${collectionPath(manifest.kind)}/${encodeURIComponent(manifest.metadata.name)}?${query}`;
    return (await this.request('PATCH', path, JSON.stringify(manifest), 'application/apply-patch+yaml')) as LiveObject;
  }

  async remove(kind: Kind, name: string): Promise<boolean> {
    try {
      await this.request('DELETE', `${collectionPath(kind)}/${encodeURIComponent(name)}`);
      return true;
    } catch (err) {
      if (err instanceof ApiStatusError && err.httpStatus === 404) return false;
      throw err;
    }
  }

  /** One request; the parsed body, or ApiStatusError / an Error naming the unreachable server. */
  private async request(method: string, path: string, body?: string, contentType?: string): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (contentType) headers['Content-Type'] = contentType;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.server}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new DockfenceError(`cannot reach the dockfence API at ${this.server} (${method} ${path.split('?')[0]}): ${causeText(err)}`, {
        cause: err,
      });
    }
    const text = await response.text();
    if (!response.ok) throw toStatusError(response.status, text, `${method} ${path.split('?')[0]}`);
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new DockfenceError(`the dockfence API answered ${method} ${path.split('?')[0]} with something that is not JSON`);
    }
  }
}

function collectionPath(kind: Kind): string {
  return `/apis/${API_VERSION}/${PLURALS[kind]}`;
}

function toStatusError(httpStatus: number, text: string, what: string): ApiStatusError {
  let status: { message?: unknown; reason?: unknown; details?: { causes?: unknown } } | undefined;
  try {
    status = JSON.parse(text) as typeof status;
  } catch {
    status = undefined;
  }
  const message = typeof status?.message === 'string' ? status.message : `HTTP ${httpStatus} for ${what}`;
  const reason = typeof status?.reason === 'string' ? status.reason : undefined;
  const causes = Array.isArray(status?.details?.causes)
    ? (status.details.causes as FieldCause[]).filter((c) => typeof c === 'object' && c !== null)
    : [];
  return new ApiStatusError(message, httpStatus, reason, causes);
}

function causeText(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const next = (current as { cause?: unknown }).cause;
    if (!next) break;
    current = next;
  }
  return (current as Error)?.message ?? String(err);
}
