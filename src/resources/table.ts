// Server-side printing for `kubectl get`: a meta.k8s.io/v1 Table whose columns are the CRD's
// additionalPrinterColumns (Name first), with dates shown as ages the way kubectl shows them.
// Pure: the caller passes `now`.

import type { CrdInfo } from './crd.js';
import { evaluateJsonPath } from './json-path.js';
import type { Resource } from './types.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** What each row carries: nothing, PartialObjectMetadata (the default) or the whole object. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Name, then the CRD's printer columns; Name and Age when the CRD declares none. */
export function tableColumns(crd: CrdInfo): TableColumnDefinition[] {
  const name: TableColumnDefinition = {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace. It is required when creating resources.',
    priority: 0,
  };
  const columns = crd.printerColumns.length > 0
    ? crd.printerColumns
    : [{ name: 'Age', type: 'date' as const, jsonPath: '.metadata.creationTimestamp' }];
  return [
    name,
    ...columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
}

/** One row: the cells of every column (priority > 0 included; kubectl hides them unless -o wide). */
export function tableRow(crd: CrdInfo, obj: Resource, now: Date, include: IncludeObject): TableRow {
  const columns = crd.printerColumns.length > 0
    ? crd.printerColumns
    : [{ name: 'Age', type: 'date' as const, jsonPath: '.metadata.creationTimestamp' }];
  const cells: unknown[] = [obj.metadata.name];
  for (const column of columns) {
    const values = safeEvaluate(obj, column.jsonPath);
    cells.push(values.length === 0 ? null : cellValue(column.type, values[0], now));
  }
  const row: TableRow = { cells };
  if (include === 'Object') row.object = obj;
  if (include === 'Metadata') {
    row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
  return row;
}

/** A Table of `objects` (sorted as given). */
export function buildTable(crd: CrdInfo, objects: Resource[], options: { now: Date; include: IncludeObject; resourceVersion?: string; noHeaders?: boolean }): Table {
  const table: Table = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: options.resourceVersion ? { resourceVersion: options.resourceVersion } : {},
    columnDefinitions: options.noHeaders ? [] : tableColumns(crd),
    rows: objects.map((o) => tableRow(crd, o, options.now, options.include)),
  };
  return table;
}

function safeEvaluate(obj: unknown, path: string): unknown[] {
  try {
    return evaluateJsonPath(obj, path);
  } catch {
    return [];
  }
}

function cellValue(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now.getTime() - t);
    }
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/** kubectl's age format (apimachinery duration.HumanDuration): 45s, 3m20s, 5h, 12d, 2y30d. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}
