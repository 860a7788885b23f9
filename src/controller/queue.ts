// A work queue that merges duplicate keys: events only say WHAT to reconcile, and a burst of
// them becomes one run after a short debounce. One worker; a key added while its run is in
// flight runs once more afterwards. Failed runs are retried with capped exponential backoff.

export interface QueueOptions {
  debounceMs: number;
  /** Backoff after the n-th consecutive failure: min(maxBackoffMs, baseBackoffMs * 2^(n-1)). */
  baseBackoffMs: number;
  maxBackoffMs: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Result of one run: ask to run again after a while, or nothing. */
export interface RunResult {
  requeueAfterMs?: number;
}

export class WorkQueue<K extends string> {
  private readonly pending = new Set<K>();
  private readonly failures = new Map<K, number>();
  private timer: unknown;
  private running = false;
  private current: Promise<void> | undefined;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly run: (key: K) => Promise<RunResult>,
    private readonly options: QueueOptions,
    private readonly onError: (key: K, error: unknown) => void = () => undefined,
  ) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  /** Ask for `key` to be reconciled soon; duplicates merge. */
  add(key: K, delayMs = this.options.debounceMs): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.schedule(delayMs);
  }

  private schedule(delayMs: number): void {
    if (this.running || this.timer !== undefined) return;
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      this.current = this.drain();
    }, delayMs);
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      while (this.pending.size > 0 && !this.stopped) {
        const key = this.pending.values().next().value as K;
        this.pending.delete(key);
        try {
          const result = await this.run(key);
          this.failures.delete(key);
          if (result.requeueAfterMs !== undefined) this.later(key, result.requeueAfterMs);
        } catch (error) {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          this.onError(key, error);
          this.later(key, Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (n - 1)));
        }
      }
    } finally {
      this.running = false;
      if (this.pending.size > 0) this.schedule(this.options.debounceMs);
      else for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private later(key: K, ms: number): void {
    this.setTimer(() => this.add(key, 0), ms);
  }

  /** Resolves when nothing is pending or running. */
  idle(): Promise<void> {
    if (!this.running && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking work; resolves once a run in flight has finished (nothing runs after that). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await this.current;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
