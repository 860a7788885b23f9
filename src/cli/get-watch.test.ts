import { describe, expect, it } from 'vitest';
import { runCli } from './main.js';

const now = new Date('2025-01-01T00:10:00Z');
const columns = [
  { name: 'Name', type: 'string', format: 'name' },
  { name: 'Ready', type: 'string' },
  { name: 'Age', type: 'date' },
];
const obj = (name: string, rv: string) => ({
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'ExposeRule',
  metadata: { name, resourceVersion: rv, creationTimestamp: '2025-01-01T00:00:00Z' },
  spec: {},
});

/**
 * A fake server that answers lists and single GETs as Tables but streams watch events as plain
 * objects (no Table support in watch), the case get -w must handle by fetching rows itself.
 */
function fakeServer(requests: string[]): typeof fetch {
  return (async (input: URL | string) => {
    const url = new URL(String(input));
    requests.push(`${url.pathname}${url.search}`);
    const json = (body: unknown): Response => new Response(JSON.stringify(body), { status: 200 });
    if (url.searchParams.get('watch') === 'true') {
      const events = [
        { type: 'ADDED', object: obj('b', '6') },
        { type: 'MODIFIED', object: obj('a', '7') },
        { type: 'DELETED', object: obj('a', '8') },
      ];
      return new Response(events.map((e) => `${JSON.stringify(e)}\n`).join(''), { status: 200 });
    }
    if (url.pathname.endsWith('/exposerules')) {
      return json({ kind: 'Table', metadata: { resourceVersion: '5' }, columnDefinitions: columns, rows: [{ cells: ['a', 'False', '10m'] }] });
    }
    const name = url.pathname.split('/').pop();
    return json({ kind: 'Table', columnDefinitions: columns, rows: [{ cells: [name, 'True', '10m'] }] });
  }) as unknown as typeof fetch;
}

describe('get -w without Table watch events', () => {
  it('lists, then prints a row per event, reusing the last row for DELETED', async () => {
    const requests: string[] = [];
    let out = '';
    let err = '';
    const code = await runCli(['get', 'er', '-w', '--output-watch-events', '-l', 'app=x'], {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
      env: {},
      readStdin: async () => '',
      now: () => now,
      fetch: fakeServer(requests),
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.split('\n').filter(Boolean)).toEqual([
      'EVENT      NAME   READY   AGE',
      'ADDED      a      False   10m',
      'ADDED      b      True    10m',
      'MODIFIED   a      True    10m',
      'DELETED    a      True    10m',
    ]);
    expect(requests[1]).toBe('/apis/dockfence.io/v1alpha1/exposerules?labelSelector=app%3Dx&resourceVersion=5&watch=true');
  });
});
