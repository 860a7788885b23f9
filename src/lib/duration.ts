// Durations as users write them on the command line (`500ms`, `2s`, `1m`, `1h`, `1m30s`).

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration string. Throws an Error naming the value when it does not parse. */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) {
    throw new Error(`invalid duration "${text}": use a number with ms, s, m or h (e.g. 2s, 500ms, 1m30s)`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
}
