// `dockfence get KIND [NAME...] [-o yaml|json|wide|name] [-l SEL] [-w]`: tables come from the
// server's meta.k8s.io Table (columns from the CRDs' printer columns); yaml/json/name from the
// objects. KIND may be `ip`, `ip,er`, `ip/lockdown` or `dockfence` (every kind) as in kubectl.

import type { Command } from 'commander';
import { TABLE_ACCEPT } from './client.js';
import type { CliContext } from './context.js';
import { CliError, ConnectionError, ServerError } from './errors.js';
import { watchResources } from './get-watch.js';
import { KIND_INFOS, qualifiedSingular, resolveKind, resourcePath, splitKindName, type KindInfo } from './kinds.js';
import { asList, isTable, renderTable, tableFromObjects, toJson, toYaml, type KubeTable } from './output.js';
import { listObjects, requireObject, type KubeObject } from './resources-api.js';

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

export interface GetOptions {
  output?: string;
  selector?: string;
  watch: boolean;
  watchOnly: boolean;
  outputWatchEvents: boolean;
  headers: boolean;
  ignoreNotFound: boolean;
  showManagedFields: boolean;
}

/** One kind and the names asked for (none = list). */
export interface GetTarget {
  info: KindInfo;
  names: string[];
}

/** Validate `-o`; throws CliError with kubectl's list of formats. */
export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (['wide', 'yaml', 'json', 'name'].includes(value)) return value as OutputFormat;
  throw new CliError(
    `unable to match a printer suitable for the output format "${value}", allowed formats are: json,name,wide,yaml`,
  );
}

/**
 * Turn `get`'s arguments into targets: `KIND [NAME...]`, `KIND1,KIND2`, `KIND/NAME ...`, or the
 * category `dockfence` / `all`. Throws CliError for unknown kinds or mixed forms.
 */
export function parseGetTargets(kindArg: string, names: string[]): GetTarget[] {
  if (kindArg.includes('/')) {
    const targets: GetTarget[] = [];
    for (const arg of [kindArg, ...names]) {
      const { kind, name } = splitKindName(arg);
      if (!name) throw new CliError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got "${arg}")`);
      const info = resolveKind(kind);
      const existing = targets.find((t) => t.info === info);
      if (existing) existing.names.push(name);
      else targets.push({ info, names: [name] });
    }
    return targets;
  }
  const kinds = kindArg.split(',').filter((k) => k !== '');
  const infos = kinds.flatMap((k) => (['dockfence', 'all'].includes(k.toLowerCase()) ? [...KIND_INFOS] : [resolveKind(k)]));
  const unique = [...new Set(infos)];
  if (unique.length > 1 && names.length > 0) {
    throw new CliError('a resource name cannot be combined with several resource types; use KIND/NAME');
  }
  return unique.map((info) => ({ info, names: [...names] }));
}

export function registerGet(program: Command, ctx: CliContext): void {
  program
    .command('get')
    .description('list resources, or show named ones (KIND: isolationpolicies|ip, exposerules|er, egressexceptions|ee)')
    .argument('<kind>', 'resource kind (plural, singular, short name or Kind), KIND/NAME, or dockfence for all')
    .argument('[names...]', 'resource names')
    .option('-o, --output <format>', 'yaml, json, wide or name')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('-w, --watch', 'after listing, watch for changes', false)
    .option('--watch-only', 'watch for changes without listing first', false)
    .option('--output-watch-events', 'print the event type (ADDED, MODIFIED, DELETED) of watched changes', false)
    .option('--no-headers', 'omit table headers')
    .option('--ignore-not-found', 'treat a missing named resource as no error', false)
    .option('--show-managed-fields', 'keep metadata.managedFields in yaml/json output', false)
    .action(async (kindArg: string, names: string[], opts: GetOptions) => {
      const format = parseOutputFormat(opts.output);
      const targets = parseGetTargets(kindArg, names);
      if (opts.watch || opts.watchOnly) {
        if (targets.length !== 1 || targets[0]!.names.length > 1) {
          throw new CliError('watch is only supported on one resource type and at most one name');
        }
        await watchResources(ctx, targets[0]!, format, opts);
        return;
      }
      if (format === 'table' || format === 'wide') await printTables(ctx, targets, format, opts);
      else await printObjects(ctx, targets, format, opts);
    });
}

async function printTables(ctx: CliContext, targets: GetTarget[], format: OutputFormat, opts: GetOptions): Promise<void> {
  let printed = 0;
  for (const target of targets) {
    const table = await fetchTable(ctx, target, opts);
    if (table.rows.length === 0) continue;
    if (printed > 0) ctx.out('');
    const namePrefix = targets.length > 1 ? `${qualifiedSingular(target.info)}/` : undefined;
    ctx.out(renderTable(table, { wide: format === 'wide', noHeaders: !opts.headers, namePrefix }).join('\n'));
    printed++;
  }
  if (printed === 0 && ctx.exitCode === 0 && targets.every((t) => t.names.length === 0)) ctx.err('No resources found');
}

/**
 * The Table for one target: the list (with the label selector), or one row per name; a name the
 * server does not have is reported on stderr and sets exit code 1 (unless --ignore-not-found).
 */
export async function fetchTable(ctx: CliContext, target: GetTarget, opts: Pick<GetOptions, 'selector' | 'ignoreNotFound'>): Promise<KubeTable> {
  const client = ctx.client();
  if (target.names.length === 0) {
    const body = await client.request<unknown>('GET', resourcePath(target.info), {
      accept: TABLE_ACCEPT,
      query: { labelSelector: opts.selector },
    });
    return asTable(ctx, body);
  }
  let combined: KubeTable | undefined;
  for (const name of target.names) {
    const body = await perName(ctx, opts, () =>
      client.request<unknown>('GET', resourcePath(target.info, name), { accept: TABLE_ACCEPT }),
    );
    if (body === undefined) continue;
    const table = asTable(ctx, body);
    if (!combined) combined = table;
    else combined.rows.push(...table.rows);
  }
  return combined ?? { kind: 'Table', columnDefinitions: [], rows: [] };
}

/** A Table answer as is; a plain list or object as a NAME/AGE table. */
export function asTable(ctx: CliContext, body: unknown): KubeTable {
  if (isTable(body)) return { ...body, rows: body.rows ?? [] };
  const record = body as { items?: Array<Record<string, unknown>> };
  const objects = Array.isArray(record.items) ? record.items : [body as Record<string, unknown>];
  return tableFromObjects(objects, ctx.now());
}

async function printObjects(ctx: CliContext, targets: GetTarget[], format: OutputFormat, opts: GetOptions): Promise<void> {
  const objects: Array<{ info: KindInfo; object: KubeObject }> = [];
  for (const target of targets) {
    if (target.names.length === 0) {
      const { items } = await listObjects(ctx.client(), target.info, opts.selector);
      objects.push(...items.map((object) => ({ info: target.info, object })));
      continue;
    }
    for (const name of target.names) {
      const object = await perName(ctx, opts, () => requireObject(ctx.client(), target.info, name));
      if (object) objects.push({ info: target.info, object });
    }
  }
  if (!opts.showManagedFields) for (const o of objects) o.object = withoutManagedFields(o.object);
  const single = targets.length === 1 && targets[0]!.names.length === 1;
  if (format === 'name') {
    for (const { info, object } of objects) ctx.out(`${qualifiedSingular(info)}/${object.metadata.name}`);
    return;
  }
  if (single && objects.length === 0) return;
  const value = single ? objects[0]!.object : asList(objects.map((o) => o.object));
  ctx.write(format === 'yaml' ? toYaml(value) : toJson(value));
}

/** A copy without metadata.managedFields, which kubectl also hides unless asked. */
export function withoutManagedFields(object: KubeObject): KubeObject {
  if (object.metadata?.managedFields === undefined) return object;
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  return { ...object, metadata };
}

/**
 * Run `fn` for one named object: a server error (NotFound, Forbidden, ...) becomes a stderr line
 * and exit code 1 while the other names are still fetched, as kubectl does; NotFound is silent
 * with --ignore-not-found. An unreachable server still aborts the whole command.
 */
async function perName<T>(
  ctx: CliContext,
  opts: Pick<GetOptions, 'ignoreNotFound'>,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConnectionError || !(err instanceof CliError)) throw err;
    const notFound = err instanceof ServerError && err.httpStatus === 404;
    if (notFound && opts.ignoreNotFound) return undefined;
    ctx.err(err.line());
    ctx.exitCode = 1;
    return undefined;
  }
}
