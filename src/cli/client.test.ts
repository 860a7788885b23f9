import { describe, expect, it } from 'vitest';
import { ApiClient, normalizeServer, splitWarnings } from './client.js';
import { ConnectionError, ServerError, describeServerError } from './errors.js';

function fakeFetch(status: number, body: string, headers: Record<string, string> = {}): { fetch: typeof fetch; calls: Request[] } {
  const calls: Request[] = [];
  const impl = (async (url: URL, init: RequestInit) => {
    calls.push(new Request(url, init));
    return new Response(body, { status, headers });
  }) as unknown as typeof fetch;
  return { fetch: impl, calls };
}

const notFound = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'NotFound',
  code: 404,
  message: 'isolationpolicies.dockfence.io "x" not found',
  details: { name: 'x', group: 'dockfence.io', kind: 'isolationpolicies' },
};

describe('ApiClient', () => {
  it('sends the token, query and JSON body, and returns the parsed answer', async () => {
    const { fetch, calls } = fakeFetch(200, '{"ok":true}');
    const client = new ApiClient({ server: 'http://127.0.0.1:9', token: 'secret', fetch });
    const answer = await client.request('POST', '/apis/x', { query: { dryRun: 'All', skip: undefined }, body: { a: 1 } });
    expect(answer).toEqual({ ok: true });
    expect(calls[0]!.url).toBe('http://127.0.0.1:9/apis/x?dryRun=All');
    expect(calls[0]!.headers.get('authorization')).toBe('Bearer secret');
    expect(calls[0]!.headers.get('content-type')).toBe('application/json');
    expect(await calls[0]!.text()).toBe('{"a":1}');
  });

  it('keeps a path prefix of the server URL', async () => {
    const { fetch, calls } = fakeFetch(200, '{}');
    await new ApiClient({ server: 'https://proxy.example/dockfence/', fetch }).request('GET', '/apis');
    expect(calls[0]!.url).toBe('https://proxy.example/dockfence/apis');
  });

  it('turns a Status into one kubectl-style line', async () => {
    const { fetch } = fakeFetch(404, JSON.stringify(notFound));
    const client = new ApiClient({ server: 'http://127.0.0.1:9', fetch });
    const err = await client.request('GET', '/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).line()).toBe('Error from server (NotFound): isolationpolicies.dockfence.io "x" not found');
  });

  it('reports a non-Status error body with its HTTP code', async () => {
    const { fetch } = fakeFetch(502, '<html>\nbad gateway</html>');
    const client = new ApiClient({ server: 'http://127.0.0.1:9', fetch });
    const err = (await client.request('GET', '/x').catch((e: unknown) => e)) as ServerError;
    expect(err.line()).toBe('Error from server (HTTP 502): <html> bad gateway</html>');
  });

  it('names the server when it cannot be reached', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const client = new ApiClient({ server: 'http://127.0.0.1:9', fetch: (async () => { throw refused; }) as unknown as typeof fetch });
    const err = (await client.request('GET', '/x').catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.line()).toMatch(/^error: cannot reach the dockfence server at http:\/\/127\.0\.0\.1:9: connection refused/);
  });

  it('passes Warning headers to the callback', async () => {
    const warnings: string[] = [];
    const { fetch } = fakeFetch(200, '{}', { warning: '299 - "unknown field \\"spec.foo\\""' });
    await new ApiClient({ server: 'http://h:1', fetch, onWarning: (w) => warnings.push(w) }).request('GET', '/');
    expect(warnings).toEqual(['unknown field "spec.foo"']);
  });

  it('streams watch events and throws ERROR events', async () => {
    const lines = [
      JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } }),
      JSON.stringify({ type: 'DELETED', object: { metadata: { name: 'a' } } }),
      JSON.stringify({ type: 'ERROR', object: { ...notFound, reason: 'Expired', code: 410, message: 'too old resource version' } }),
    ].join('\n');
    const { fetch, calls } = fakeFetch(200, `${lines}\n`);
    const client = new ApiClient({ server: 'http://h:1', fetch });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const event of client.watch('/w', { query: { resourceVersion: '5' } })) seen.push(event.type);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['ADDED', 'DELETED']);
    expect((err as ServerError).line()).toBe('Error from server (Expired): too old resource version');
    expect(calls[0]!.url).toBe('http://h:1/w?resourceVersion=5&watch=true');
  });
});

describe('client helpers', () => {
  it('normalizes server URLs', () => {
    expect(normalizeServer('127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(normalizeServer('https://h:6443/')).toBe('https://h:6443');
    expect(() => normalizeServer('ftp://h')).toThrow(ConnectionError);
  });

  it('splits several warnings', () => {
    expect(splitWarnings('299 - "a", 299 - "b"')).toEqual(['a', 'b']);
    expect(splitWarnings(null)).toEqual([]);
  });

  it('lists field causes that the message does not already name', () => {
    const status = {
      kind: 'Status' as const,
      reason: 'Invalid',
      message: 'IsolationPolicy "x" is invalid',
      details: { causes: [{ field: 'spec.sameNetwork', message: 'Unsupported value: "Maybe"' }, { field: 'spec.networks', message: 'Required value' }] },
    };
    expect(describeServerError(422, status, '')).toBe(
      'Error from server (Invalid): IsolationPolicy "x" is invalid [spec.sameNetwork: Unsupported value: "Maybe"; spec.networks: Required value]',
    );
    const named = { ...status, message: 'IsolationPolicy "x" is invalid: spec.networks: Required value', details: { causes: [status.details.causes[1]!] } };
    expect(describeServerError(422, named, '')).toBe('Error from server (Invalid): IsolationPolicy "x" is invalid: spec.networks: Required value');
  });
});
