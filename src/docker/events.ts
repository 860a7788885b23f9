// Follows dockerd's event stream for what changes the inventory (container start/die/destroy/
// rename, network create/destroy/connect/disconnect) and keeps following it across stream ends
// and dockerd restarts. Events only tell the controller to look again; they carry no state.

import type Dockerode from 'dockerode';

export type DockerEventType = 'container' | 'network';

export interface DockerEvent {
  type: DockerEventType;
  action: string; // start, die, destroy, rename, create, connect, disconnect
  id: string; // container or network id
  name: string; // container name (new name after rename) or network name
}

export interface WatchOptions {
  signal: AbortSignal;
  /** Called each time the stream is established again after it was lost (not the first time). */
  onReconnect: () => void;
  /** Stream failures and unparsable lines, for logs; watching continues regardless. */
  onError?: (error: unknown) => void;
  /** Reconnect delay: initialMs doubled per failed attempt up to maxMs (default 100 ms .. 5 s). */
  backoff?: { initialMs: number; maxMs: number };
}

export const WATCHED_ACTIONS: Record<DockerEventType, readonly string[]> = {
  container: ['start', 'die', 'destroy', 'rename'],
  network: ['create', 'destroy', 'connect', 'disconnect'],
};

/** The part of Dockerode the watcher uses. */
export interface DockerEventSource {
  getEvents(options: { filters: Record<string, string[]>; since?: number; abortSignal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
}

/**
 * Streams events to `onEvent` until `signal` aborts, then resolves. Whenever the stream ends or
 * fails (dockerd stopped, restarted, socket gone) it reconnects with backoff and calls
 * `onReconnect` once the new stream is up, so the caller relists: events during the gap are lost.
 * The first stream asks for events since this call's second, so a caller that lists right
 * after calling misses nothing. Rejects only when a callback throws (the watch then stops).
 */
export async function watchDockerEvents(
  docker: DockerEventSource | Dockerode,
  onEvent: (event: DockerEvent) => void,
  options: WatchOptions,
): Promise<void> {
  const source = docker as DockerEventSource;
  const { signal } = options;
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5_000 };
  const filters = {
    type: Object.keys(WATCHED_ACTIONS),
    event: [...new Set(Object.values(WATCHED_ACTIONS).flat())],
  };
  let since: number | undefined = Math.floor(Date.now() / 1000);
  let connectedBefore = false;
  let failures = 0;
  while (!signal.aborted) {
    let stream: NodeJS.ReadableStream | undefined;
    try {
      stream = await source.getEvents({ filters, since, abortSignal: signal });
    } catch (error) {
      if (signal.aborted) break;
      options.onError?.(error);
    }
    if (stream) {
      since = undefined;
      failures = 0;
      if (connectedBefore) options.onReconnect();
      connectedBefore = true;
      const error = await consume(stream, onEvent, options);
      if (signal.aborted) break;
      if (error) options.onError?.(error);
    }
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures, 20));
    failures += 1;
    await sleep(delay, signal);
  }
}

/** Parses one line of the stream; undefined for actions and types we do not watch. */
export function parseDockerEvent(line: string): DockerEvent | undefined {
  const raw = JSON.parse(line) as {
    Type?: string;
    Action?: string;
    status?: string;
    id?: string;
    Actor?: { ID?: string; Attributes?: Record<string, string> };
  };
  const type = raw.Type as DockerEventType | undefined;
  const action = raw.Action ?? raw.status ?? '';
  if (type !== 'container' && type !== 'network') return undefined;
  if (!WATCHED_ACTIONS[type].includes(action)) return undefined;
  const id = raw.Actor?.ID ?? raw.id ?? '';
  return { type, action, id, name: raw.Actor?.Attributes?.name ?? '' };
}

/** Reads newline-delimited JSON until the stream ends; resolves with the error that ended it. */
function consume(
  stream: NodeJS.ReadableStream,
  onEvent: (event: DockerEvent) => void,
  options: WatchOptions,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const finish = (error?: unknown): void => {
      stream.removeAllListeners('data');
      options.signal.removeEventListener('abort', abort);
      resolve(error);
    };
    const abort = (): void => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      finish();
    };
    options.signal.addEventListener('abort', abort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (!line) continue;
        let event: DockerEvent | undefined;
        try {
          event = parseDockerEvent(line);
        } catch (error) {
          options.onError?.(new Error(`unparsable Docker event: ${line.slice(0, 200)}`, { cause: error }));
          continue;
        }
        try {
          if (event) onEvent(event);
        } catch (error) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          reject(error);
          return;
        }
      }
    });
    stream.once('end', () => finish());
    stream.once('close', () => finish());
    stream.on('error', (error: unknown) => finish(error));
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
