// `dockfence delete KIND NAME... | KIND -l SEL | -f FILE|DIR|- [-R]`: deletes each object and
// prints `isolationpolicy.dockfence.io "lockdown" deleted` like kubectl. A failure for one object is
// reported on one line and the rest still deleted; the exit code is then 1.

import type { Command } from 'commander';
import { collect, lineWithSource, parseDryRun } from './apply.js';
import type { CliContext } from './context.js';
import { CliError, ConnectionError, ServerError } from './errors.js';
import { qualifiedSingular, resolveKind, resourcePath, splitKindName, type KindInfo } from './kinds.js';
import { loadManifests } from './manifests.js';
import { listObjects } from './resources-api.js';

interface DeleteOptions {
  filename: string[];
  recursive: boolean;
  selector?: string;
  ignoreNotFound: boolean;
  dryRun?: string;
}

interface DeleteTarget {
  info: KindInfo;
  name: string;
  where?: string;
}

export function registerDelete(program: Command, ctx: CliContext): void {
  program
    .command('delete')
    .description('delete resources by name, by label selector, or as listed in manifests')
    .argument('[kind]', 'resource kind, or KIND/NAME')
    .argument('[names...]', 'resource names')
    .option('-f, --filename <path>', 'delete the resources in this file, directory or - (repeatable)', collect, [])
    .option('-R, --recursive', 'also read manifests in subdirectories of a -f directory', false)
    .option('-l, --selector <selector>', 'delete every resource of KIND matching this label selector')
    .option('--ignore-not-found', 'treat a resource that is already gone as success', false)
    .option('--dry-run <mode>', 'none or server: check on the server, delete nothing')
    .action(async (kindArg: string | undefined, names: string[], opts: DeleteOptions) => {
      const dryRun = parseDryRun(opts.dryRun);
      const targets = await deleteTargets(ctx, kindArg, names, opts);
      let failed = false;
      for (const target of targets) {
        try {
          await ctx.client().request('DELETE', resourcePath(target.info, target.name), {
            query: { dryRun: dryRun ? 'All' : undefined },
          });
          ctx.out(`${qualifiedSingular(target.info)} "${target.name}" deleted${dryRun ? ' (server dry run)' : ''}`);
        } catch (err) {
          if (err instanceof ConnectionError || !(err instanceof CliError)) throw err;
          if (opts.ignoreNotFound && err instanceof ServerError && err.httpStatus === 404) continue;
          ctx.err(target.where ? lineWithSource(err, 'deleting', target.where) : err.line());
          failed = true;
        }
      }
      if (failed) ctx.exitCode = 1;
    });
}

async function deleteTargets(
  ctx: CliContext,
  kindArg: string | undefined,
  names: string[],
  opts: DeleteOptions,
): Promise<DeleteTarget[]> {
  if (opts.filename.length > 0) {
    if (kindArg !== undefined) throw new CliError('give either -f or KIND NAME, not both');
    const manifests = await loadManifests(opts.filename, { recursive: opts.recursive, stdin: () => ctx.io.readStdin() });
    return manifests.map((m) => ({ info: m.info, name: m.object.metadata.name, where: m.where }));
  }
  if (kindArg === undefined) throw new CliError('must specify KIND NAME, KIND -l SELECTOR, or -f FILE');
  const { kind, name } = splitKindName(kindArg);
  const info = resolveKind(kind);
  const wanted = name !== undefined ? [name, ...names] : names;
  if (opts.selector !== undefined) {
    if (wanted.length > 0) throw new CliError('names cannot be combined with a label selector');
    const { items } = await listObjects(ctx.client(), info, opts.selector);
    if (items.length === 0) ctx.err('No resources found');
    return items.map((item) => ({ info, name: item.metadata.name }));
  }
  if (wanted.length === 0) throw new CliError(`must specify a name: dockfence delete ${info.plural} NAME (or -l SELECTOR)`);
  return wanted.map((n) => ({ info, name: n }));
}
