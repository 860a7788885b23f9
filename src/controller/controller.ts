// The control loop: store changes, Docker events and a resync timer all enqueue the one key
// "host"; the queue merges bursts and runs the Reconciler. The resync timer is what heals drift
// without any event (someone flushing our table, dockerd restarting).

import type { AnyResource, Kind } from '../resources/types.js';
import { WorkQueue } from './queue.js';
import type { Reconciler } from './reconcile.js';

export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: AnyResource;
}

export interface ControllerOptions {
  reconciler: Reconciler;
  /** Subscribe to store changes; returns an unsubscribe function. */
  subscribeStore: (listener: (event: StoreEvent) => void) => () => void;
  /** Subscribe to Docker changes (events, reconnects); returns an unsubscribe function. */
  subscribeDocker: (listener: () => void) => () => void;
  resyncMs: number;
  debounceMs?: number;
  log: (message: string) => void;
}

export class Controller {
  private readonly queue: WorkQueue<'host'>;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly generations = new Map<string, number>();
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ControllerOptions) {
    this.queue = new WorkQueue<'host'>(
      () => options.reconciler.reconcile(),
      { debounceMs: options.debounceMs ?? 50, baseBackoffMs: 500, maxBackoffMs: 30_000 },
      (_key, error) => options.log(`reconcile failed: ${(error as Error).message}`),
    );
  }

  start(): void {
    const { options } = this;
    this.unsubscribe.push(options.subscribeStore((event) => this.onStoreEvent(event)));
    this.unsubscribe.push(options.subscribeDocker(() => this.queue.add('host')));
    this.resyncTimer = setInterval(() => this.queue.add('host', 0), options.resyncMs);
    this.queue.add('host', 0);
  }

  /** Status-only writes (ours) do not change what to enforce: only spec, labels of selection, add, delete. */
  private onStoreEvent(event: StoreEvent): void {
    const key = `${event.object.kind as Kind}/${event.object.metadata.name}`;
    const generation = event.object.metadata.generation ?? 0;
    if (event.type === 'MODIFIED' && this.generations.get(key) === generation) return;
    if (event.type === 'DELETED') this.generations.delete(key);
    else this.generations.set(key, generation);
    this.queue.add('host');
  }

  /** Resolves when no reconcile is pending or running. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stop reacting; resolves when a reconcile in flight has finished, so nothing applies after. */
  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.queue.stop();
  }
}
