// Small numeric helpers for the benchmarks: repeated timing with a time budget, percentiles,
// medians and the number formats the result tables use. No I/O beyond the clock.

export interface Samples {
  /** Milliseconds per run, in the order they were taken. */
  ms: number[];
}

export interface SampleOptions {
  /** Always take at least this many samples (default 3). */
  minReps?: number;
  /** Never take more than this many (default 20). */
  maxReps?: number;
  /** Stop once this much time was spent and minReps are done (default 2000 ms). */
  budgetMs?: number;
  /** Runs before timing starts, not recorded (default 1: loads code paths and caches). */
  warmup?: number;
}

/**
 * Times `fn` repeatedly: `warmup` untimed runs, then at least `minReps` and at most `maxReps`
 * timed runs, stopping early once `budgetMs` of timed work has elapsed. Rejects with fn's error.
 */
export async function sample(fn: () => unknown, options: SampleOptions = {}): Promise<Samples> {
  const minReps = options.minReps ?? 3;
  const maxReps = Math.max(minReps, options.maxReps ?? 20);
  const budgetMs = options.budgetMs ?? 2000;
  for (let i = 0; i < (options.warmup ?? 1); i++) await fn();
  const ms: number[] = [];
  let spent = 0;
  while (ms.length < maxReps && (ms.length < minReps || spent < budgetMs)) {
    const started = performance.now();
    await fn();
    const elapsed = performance.now() - started;
    ms.push(elapsed);
    spent += elapsed;
  }
  return { ms };
}

/** The q-quantile (0..1) by linear interpolation between closest ranks; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** "p50 / p95" of samples in ms, e.g. `12.3 / 15.0`. */
export function p50p95(samples: Samples): string {
  return `${fmtMs(quantile(samples.ms, 0.5))} / ${fmtMs(quantile(samples.ms, 0.95))}`;
}

/** Milliseconds with precision that suits their size: 0.42, 12.3, 1234. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** An integer with thousands separators: 80 605 -> "80,605". */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** Bytes as KiB or MiB. */
export function fmtBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

/** A markdown table from a header row and body rows (cells already formatted). */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
