// Pure output formatting shared by the verbs: kubectl-style tables (from the server's meta.k8s.io
// Table), YAML/JSON with sorted keys, `kind.group/name` lines and human ages. No I/O.

import { stringify } from 'yaml';
import { humanDuration as humanDurationMs } from '../resources/table.js';

export interface TableColumn {
  name: string;
  type?: string;
  format?: string;
  description?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; [k: string]: unknown }; [k: string]: unknown };
}

/** meta.k8s.io/v1 Table, as the server returns for `Accept: ...;as=Table`. */
export interface KubeTable {
  kind: 'Table';
  apiVersion?: string;
  metadata?: { resourceVersion?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

export interface TableOptions {
  wide?: boolean;
  noHeaders?: boolean;
  /** Prefix the name column with this (e.g. `isolationpolicy.dockfence.io/`), as for multi-kind gets. */
  namePrefix?: string;
  /** Add a leading EVENT column with these values, one per row (watch --output-watch-events). */
  events?: string[];
}

/** True when `value` is a meta.k8s.io Table. */
export function isTable(value: unknown): value is KubeTable {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Table';
}

/**
 * Render a Table as kubectl does: headers upper-cased, columns padded by three spaces,
 * `priority > 0` columns only when `wide`. Returns lines without trailing newline.
 */
export function renderTable(table: KubeTable, options: TableOptions = {}): string[] {
  const visible = table.columnDefinitions
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => options.wide || !column.priority);
  const nameIndex = table.columnDefinitions.findIndex((c) => c.format === 'name' || c.name.toLowerCase() === 'name');
  const header = visible.map(({ column }) => column.name.toUpperCase());
  const rows = table.rows.map((row) =>
    visible.map(({ index }) => {
      const text = tableCell(row.cells[index]);
      return index === nameIndex && options.namePrefix ? options.namePrefix + text : text;
    }),
  );
  if (options.events) {
    header.unshift('EVENT');
    rows.forEach((row, i) => row.unshift(options.events![i] ?? ''));
  }
  return alignColumns(options.noHeaders ? rows : [header, ...rows]);
}

/** Pad every column but the last to its widest cell plus three spaces (kubectl's tabwriter). */
export function alignColumns(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd(),
  );
}

/** A server Table cell as kubectl prints it: empty for null (a printer column with no value). */
export function tableCell(value: unknown): string {
  return value === null || value === undefined ? '' : formatCell(value);
}

/** A value in describe output: `<none>` for null, lists comma-joined. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (Array.isArray(value)) return value.length === 0 ? '<none>' : value.map(formatCell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A NAME/AGE table built from plain objects, for servers (or watch events) that give no Table.
 * `now` is passed in so output is deterministic in tests.
 */
export function tableFromObjects(objects: Array<Record<string, unknown>>, now: Date): KubeTable {
  return {
    kind: 'Table',
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name' },
      { name: 'Age', type: 'date' },
    ],
    rows: objects.map((object) => {
      const metadata = (object.metadata ?? {}) as { name?: string; creationTimestamp?: string };
      return { cells: [metadata.name ?? '', age(metadata.creationTimestamp, now)], object };
    }),
  };
}

/** kubectl's age of a timestamp (`45s`, `5m30s`, `3h`, `2d4h`, ...); `<unknown>` if absent. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '<unknown>';
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) return '<unknown>';
  return humanDuration((now.getTime() - then) / 1000);
}

/** Kubernetes' duration.HumanDuration, from seconds (the server's Table uses the same code). */
export function humanDuration(totalSeconds: number): string {
  return humanDurationMs(Math.floor(totalSeconds) * 1000);
}

/** YAML with recursively sorted keys and no line folding, as `kubectl -o yaml` prints. */
export function toYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, lineWidth: 0, minContentWidth: 0 });
}

/** JSON with recursively sorted keys and four-space indent, as `kubectl -o json` prints. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 4)}\n`;
}

/** The `kubectl -o yaml|json` wrapper for several objects. */
export function asList(items: unknown[], resourceVersion = ''): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion } };
}

/** A deep copy of `value` with every object's keys in sorted order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
