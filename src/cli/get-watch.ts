// `get -w`: list, then follow the server's watch stream from the list's resourceVersion and print
// each change as a table row (or yaml/json/name), until the server ends the stream or the user
// interrupts. Table rows come from Table events, else from a per-object Table GET.

import { TABLE_ACCEPT, type WatchEvent } from './client.js';
import type { CliContext } from './context.js';
import { ServerError } from './errors.js';
import type { GetOptions, GetTarget, OutputFormat } from './get.js';
import { asTable, fetchTable, withoutManagedFields } from './get.js';
import { qualifiedSingular, resourcePath } from './kinds.js';
import { isTable, tableCell, toJson, toYaml, type KubeTable, type TableColumn, type TableRow } from './output.js';
import { listObjects, withKind, type KubeObject } from './resources-api.js';

/** Prints table rows one event at a time, widening columns as needed, header once. */
export class WatchTablePrinter {
  private widths: number[] = [];
  private headerDone = false;
  columns: TableColumn[] = [];

  constructor(
    private readonly print: (line: string) => void,
    private readonly options: { wide: boolean; headers: boolean; events: boolean },
  ) {
    if (options.events) this.widths[0] = 'MODIFIED'.length; // keeps the EVENT column steady
  }

  /** Print `rows` (with `event` in a leading column when --output-watch-events). */
  printRows(rows: TableRow[], event?: string): void {
    const visible = this.columns
      .map((column, index) => ({ column, index }))
      .filter(({ column }) => this.options.wide || !column.priority);
    const lines: string[][] = [];
    if (!this.headerDone && this.options.headers) {
      lines.push([...(this.options.events ? ['EVENT'] : []), ...visible.map(({ column }) => column.name.toUpperCase())]);
    }
    this.headerDone = true;
    for (const row of rows) {
      lines.push([...(this.options.events ? [event ?? ''] : []), ...visible.map(({ index }) => tableCell(row.cells[index]))]);
    }
    for (const cells of lines) cells.forEach((c, i) => (this.widths[i] = Math.max(this.widths[i] ?? 0, c.length)));
    for (const cells of lines) {
      this.print(cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(this.widths[i]! + 3))).join('').trimEnd());
    }
  }
}

/**
 * Watch one target (at most one name). Lists first unless --watch-only; returns when the stream
 * ends or ctx.io.signal aborts. Throws ServerError for a refused watch (e.g. 410 Expired).
 */
export async function watchResources(ctx: CliContext, target: GetTarget, format: OutputFormat, opts: GetOptions): Promise<void> {
  const tableMode = format === 'table' || format === 'wide';
  const name = target.names[0];
  const fieldSelector = name !== undefined ? `metadata.name=${name}` : undefined;
  const printer = new WatchTablePrinter((line) => ctx.out(line), {
    wide: format === 'wide',
    headers: opts.headers,
    events: opts.outputWatchEvents,
  });
  const rowsByName = new Map<string, TableRow>();
  let resourceVersion: string | undefined;

  if (tableMode) {
    const table = await fetchTable(ctx, { info: target.info, names: [] }, { selector: opts.selector, ignoreNotFound: true });
    printer.columns = table.columnDefinitions;
    const rows = table.rows.filter((row) => name === undefined || rowName(table, row) === name);
    for (const row of rows) rowsByName.set(rowName(table, row), row);
    if (!opts.watchOnly && rows.length > 0) printer.printRows(rows, 'ADDED');
    resourceVersion = table.metadata?.resourceVersion;
  } else {
    const list = await listObjects(ctx.client(), target.info, opts.selector);
    resourceVersion = list.resourceVersion;
    if (!opts.watchOnly) {
      for (const object of list.items.filter((o) => name === undefined || o.metadata.name === name)) {
        printObjectEvent(ctx, target, format, opts, { type: 'ADDED', object });
      }
    }
  }

  const events = ctx.client().watch(resourcePath(target.info), {
    accept: tableMode ? TABLE_ACCEPT : 'application/json',
    query: { labelSelector: opts.selector, fieldSelector, resourceVersion },
    signal: ctx.io.signal,
  });
  try {
    for await (const event of events) {
      if (event.type === 'BOOKMARK') continue;
      if (!tableMode) {
        printObjectEvent(ctx, target, format, opts, event);
        continue;
      }
      const rows = await rowsForEvent(ctx, target, event, printer, rowsByName);
      if (rows.length > 0) printer.printRows(rows, event.type);
    }
  } catch (err) {
    if (ctx.io.signal?.aborted) return;
    throw err;
  }
}

function printObjectEvent(ctx: CliContext, target: GetTarget, format: OutputFormat, opts: GetOptions, event: WatchEvent): void {
  const full = withKind(target.info, event.object as KubeObject);
  const object = opts.showManagedFields ? full : withoutManagedFields(full);
  if (format === 'name') {
    const prefix = opts.outputWatchEvents ? `${event.type} ` : '';
    ctx.out(`${prefix}${qualifiedSingular(target.info)}/${object.metadata.name}`);
    return;
  }
  const value = opts.outputWatchEvents ? { type: event.type, object } : object;
  ctx.write(format === 'yaml' ? `---\n${toYaml(value)}` : toJson(value));
}

/**
 * Rows for one watch event: the event's own Table when the server sends one, otherwise the
 * object's row fetched as a Table (DELETED objects reuse the last row seen for that name).
 */
async function rowsForEvent(
  ctx: CliContext,
  target: GetTarget,
  event: WatchEvent,
  printer: WatchTablePrinter,
  rowsByName: Map<string, TableRow>,
): Promise<TableRow[]> {
  if (isTable(event.object)) {
    const table = event.object as KubeTable;
    if ((table.columnDefinitions ?? []).length > 0 && printer.columns.length === 0) printer.columns = table.columnDefinitions;
    for (const row of table.rows ?? []) rowsByName.set(rowName({ ...table, columnDefinitions: printer.columns }, row), row);
    return table.rows ?? [];
  }
  const name = (event.object as KubeObject).metadata?.name ?? '';
  if (event.type === 'DELETED') {
    const last = rowsByName.get(name);
    rowsByName.delete(name);
    return last ? [last] : [fallbackRow(printer, name)];
  }
  try {
    const body = await ctx.client().request<unknown>('GET', resourcePath(target.info, name), { accept: TABLE_ACCEPT });
    const table = asTable(ctx, body);
    if (printer.columns.length === 0) printer.columns = table.columnDefinitions;
    const row = table.rows[0];
    if (!row) return [];
    rowsByName.set(name, row);
    return [row];
  } catch (err) {
    if (err instanceof ServerError && err.httpStatus === 404) return []; // deleted meanwhile: its DELETED follows
    throw err;
  }
}

function rowName(table: KubeTable, row: TableRow): string {
  const index = table.columnDefinitions.findIndex((c) => c.format === 'name' || c.name.toLowerCase() === 'name');
  const cell = index >= 0 ? row.cells[index] : undefined;
  return typeof cell === 'string' ? cell : (row.object?.metadata?.name ?? '');
}

function fallbackRow(printer: WatchTablePrinter, name: string): TableRow {
  if (printer.columns.length === 0) printer.columns = [{ name: 'Name', format: 'name' }];
  return { cells: printer.columns.map((c) => (c.format === 'name' || c.name.toLowerCase() === 'name' ? name : '')) };
}
