// The CLI's only way to the server: Kubernetes-style HTTP calls with fetch (Node 20 built-in).
// Non-2xx answers become ServerError (from the Status body), unreachable servers ConnectionError;
// `Warning` headers are passed to a callback as kubectl prints them.

import { ConnectionError, ServerError, isStatus } from './errors.js';

export const TABLE_ACCEPT = 'application/json;as=Table;g=meta.k8s.io;v=v1, application/json';

export interface ClientOptions {
  server: string;
  token?: string;
  /** Called with each `Warning` header value, already stripped of its `299 - "..."` framing. */
  onWarning?: (text: string) => void;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export class ApiClient {
  readonly server: string;
  private readonly token?: string;
  private readonly onWarning: (text: string) => void;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions) {
    this.server = normalizeServer(options.server);
    this.token = options.token;
    this.onWarning = options.onWarning ?? (() => {});
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * Send one request and return the parsed JSON body (undefined when empty).
   * Throws ServerError for any non-2xx answer and ConnectionError when the server is unreachable.
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    if (!response.ok) throw serverError(response.status, text);
    return (text === '' ? undefined : parseJson(text, method, path)) as T;
  }

  /**
   * Open a watch (`?watch=true`) and yield its newline-delimited events until the server closes
   * the stream or `signal` aborts. An ERROR event carrying a Status is thrown as ServerError.
   */
  async *watch(path: string, options: RequestOptions = {}): AsyncGenerator<WatchEvent> {
    const query = { ...options.query, watch: 'true' };
    const response = await this.send('GET', path, { ...options, query });
    if (!response.ok) throw serverError(response.status, await response.text());
    if (!response.body) return;
    const lines = readLines(response.body as unknown as AsyncIterable<Uint8Array>, () =>
      options.signal?.aborted ? undefined : `lost the watch stream from the dockfence server at ${this.server}`,
    );
    for await (const line of lines) yield toEvent(line, path);
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(`${this.server}${path}`); // keeps a path prefix of --server (a proxy)
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new ConnectionError(`cannot reach the dockfence server at ${this.server}: ${causeText(err)}`, 1, {
        cause: err,
      });
    }
    for (const warning of splitWarnings(response.headers.get('warning'))) this.onWarning(warning);
    return response;
  }
}

/** Accept `host:port` as `http://host:port`; reject anything that is not an http(s) URL. */
export function normalizeServer(server: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConnectionError(`invalid server URL "${server}" (expected http://HOST:PORT or https://HOST:PORT)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectionError(`invalid server URL "${server}" (expected http:// or https://)`);
  }
  return url.toString().replace(/\/$/, '');
}

/** Split a `Warning` header (`299 - "text", 299 - "other"`) into its texts. */
export function splitWarnings(header: string | null): string[] {
  if (!header) return [];
  const quoted = [...header.matchAll(/\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return quoted.length > 0 ? quoted : [header];
}

/**
 * Non-empty lines of a byte stream. A read failure ends the lines quietly when `failure()` gives
 * undefined (the caller aborted), else throws ConnectionError with that text. Stopping early
 * closes the stream.
 */
async function* readLines(body: AsyncIterable<Uint8Array>, failure: () => string | undefined): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body[Symbol.asyncIterator]();
  let buffered = '';
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await reader.next();
      } catch (err) {
        const text = failure();
        if (text === undefined) return;
        throw new ConnectionError(`${text}: ${causeText(err)}`);
      }
      if (next.done) break;
      buffered += decoder.decode(next.value, { stream: true });
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const part of parts) if (part.trim() !== '') yield part.trim();
    }
    if (buffered.trim() !== '') yield buffered.trim();
  } finally {
    await reader.return?.().catch(() => undefined);
  }
}

function serverError(httpStatus: number, text: string): ServerError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return new ServerError(httpStatus, isStatus(parsed) ? parsed : undefined, text);
}

function toEvent(line: string, path: string): WatchEvent {
  const event = parseJson(line, 'WATCH', path) as WatchEvent;
  if (event.type === 'ERROR') {
    const status = isStatus(event.object) ? event.object : undefined;
    throw new ServerError(status?.code ?? 500, status, line);
  }
  return event;
}

function parseJson(text: string, method: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConnectionError(`the server answered ${method} ${path} with something that is not JSON: ${text.slice(0, 80)}`);
  }
}

/** "connection refused", "host not found", ... from fetch's nested cause chain. */
function causeText(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return 'connection refused; is "dockfence serve" running there? (--server or DOCKFENCE_SERVER)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
    if (code === 'ECONNRESET') return 'connection reset';
    if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
    const next = (current as { cause?: unknown }).cause;
    if (!next) return (current as Error).message ?? String(current);
    current = next;
  }
  return String(err);
}
