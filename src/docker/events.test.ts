import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseDockerEvent, watchDockerEvents, type DockerEvent, type DockerEventSource } from './events.js';

const line = (type: string, action: string, id: string, name: string): string =>
  `${JSON.stringify({ Type: type, Action: action, Actor: { ID: id, Attributes: { name } }, scope: 'local', time: 1 })}\n`;

describe('parseDockerEvent', () => {
  it('maps watched container and network actions', () => {
    expect(parseDockerEvent(line('container', 'die', 'c1', 'app1-mysql'))).toEqual({ type: 'container', action: 'die', id: 'c1', name: 'app1-mysql' });
    expect(parseDockerEvent(line('network', 'connect', 'n1', 'int-app1'))).toEqual({ type: 'network', action: 'connect', id: 'n1', name: 'int-app1' });
  });

  it('ignores actions and types it does not watch', () => {
    expect(parseDockerEvent(line('container', 'create', 'c1', 'x'))).toBeUndefined();
    expect(parseDockerEvent(line('container', 'exec_start: sh', 'c1', 'x'))).toBeUndefined();
    expect(parseDockerEvent(line('image', 'destroy', 'i1', 'x'))).toBeUndefined();
  });
});

/** A fake event source: each getEvents() hands out the next scripted stream or failure. */
function scriptedSource(script: Array<PassThrough | Error>): DockerEventSource & { calls: Array<{ since?: number; filters: unknown }> } {
  const calls: Array<{ since?: number; filters: unknown }> = [];
  return {
    calls,
    getEvents: async (options) => {
      calls.push({ since: options.since, filters: options.filters });
      const next = script.shift();
      if (next === undefined) return new Promise(() => undefined); // hang: the test aborts
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

describe('watchDockerEvents', () => {
  it('splits the stream into events, reconnects after it ends and after failures, then stops on abort', async () => {
    const first = new PassThrough();
    const second = new PassThrough();
    const source = scriptedSource([first, new Error('connect ENOENT /run/x.sock'), second]);
    const events: DockerEvent[] = [];
    const errors: unknown[] = [];
    let reconnects = 0;
    const controller = new AbortController();
    const done = watchDockerEvents(source, (e) => events.push(e), {
      signal: controller.signal,
      onReconnect: () => (reconnects += 1),
      onError: (e) => errors.push(e),
      backoff: { initialMs: 1, maxMs: 5 },
    });
    const whole = line('container', 'start', 'c1', 'a') + line('network', 'create', 'n1', 'net');
    first.write(whole.slice(0, 30));
    first.write(whole.slice(30) + 'not json\n');
    await until(() => events.length === 2);
    expect(reconnects).toBe(0);
    first.end();
    await until(() => reconnects === 1);
    second.write(line('container', 'destroy', 'c1', 'a'));
    await until(() => events.length === 3);
    controller.abort();
    await done;
    expect(events.map((e) => `${e.type}/${e.action}/${e.name}`)).toEqual(['container/start/a', 'network/create/net', 'container/destroy/a']);
    expect(errors.map(String).join('\n')).toMatch(/unparsable Docker event[\s\S]*ENOENT/);
    expect(source.calls[0].since).toBeTypeOf('number');
    expect(source.calls[2].since).toBeUndefined();
    expect(source.calls[0].filters).toEqual({
      type: ['container', 'network'],
      event: ['start', 'die', 'destroy', 'rename', 'create', 'connect', 'disconnect'],
    });
  });

  it('resolves at once when aborted while waiting for a connection', async () => {
    const controller = new AbortController();
    const done = watchDockerEvents(scriptedSource([new Error('down'), new Error('down')]), () => undefined, {
      signal: controller.signal,
      onReconnect: () => undefined,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await expect(done).resolves.toBeUndefined();
  });

  it('rejects when a callback throws', async () => {
    const stream = new PassThrough();
    const done = watchDockerEvents(scriptedSource([stream]), () => {
      throw new Error('boom');
    }, { signal: new AbortController().signal, onReconnect: () => undefined });
    stream.write(line('container', 'start', 'c1', 'a'));
    await expect(done).rejects.toThrow('boom');
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
