// `dockfence sync [--dry-run]` asks the server to run its GitOps sync now and prints what was (or
// would be) created, changed and pruned; `dockfence sync status` prints revisions, Ready, the
// inventory and the last error. Exit 1 when the sync failed. Server: src/gitops/router.ts.

import type { Command } from 'commander';
import { GITOPS_STATUS_PATH, GITOPS_SYNC_PATH } from '../gitops/paths.js';
import type { GitopsSyncDocument } from '../gitops/router.js';
import type { SyncChange, SyncResult } from '../gitops/sync.js';
import type { CliContext } from './context.js';
import { CliError, ServerError } from './errors.js';
import { kindInfoOf, qualifiedSingular } from './kinds.js';
import { age, toJson, toYaml } from './output.js';

/** `isolationpolicy.dockfence.io/name`, or `Kind/name` for a kind the CLI does not know. */
function objectRef(kind: string, name: string): string {
  const info = kindInfoOf(kind);
  return `${info ? qualifiedSingular(info) : kind}/${name}`;
}

/** One line per change, kubectl-apply style, then the revision line. */
export function renderSyncResult(result: SyncResult): string[] {
  const suffix = result.dryRun ? ' (server dry run)' : '';
  const lines = result.changes.map((c: SyncChange) => {
    const note = c.drift ? ' (drift restored)' : c.reason ? ` (${c.reason})` : '';
    return `${objectRef(c.kind, c.name)} ${c.action}${note}${suffix}`;
  });
  if (result.revision && result.result !== 'error') {
    const what = result.dryRun ? 'dry run, nothing written' : result.result === 'applied' ? 'applied' : 'in sync, nothing to change';
    lines.push(`revision ${result.revision}: ${what}`);
  }
  return lines;
}

/** The error lines of a failed sync: the message, then one indented line per failure. */
export function renderSyncError(result: SyncResult): string[] {
  if (!result.error) return [];
  const lines = [`error: sync failed (${result.error.reason}): ${result.error.message}`];
  for (const f of result.error.failures) {
    const parts = [f.where, f.kind && f.name ? `${f.kind} "${f.name}"` : f.kind, f.field, f.message].filter((p) => p);
    lines.push(`  ${parts.join(': ')}`);
  }
  return lines;
}

/** `dockfence sync status` as text: configuration, Ready, revisions, counters, error, inventory. */
export function renderSyncStatus(doc: GitopsSyncDocument, now: Date): string[] {
  const s = doc.status;
  const ready = s.conditions.find((c) => c.type === 'Ready');
  const when = (t: string | undefined): string => (t ? `${t} (${age(t, now)} ago)` : '<never>');
  const rows: Array<[string, string]> = [
    ['Name', doc.metadata.name],
    ['Repository', doc.spec.repo],
    ['Branch', doc.spec.branch],
    ['Path', doc.spec.path || '/'],
    ['Interval', `${doc.spec.intervalSeconds}s`],
    ['Prune', String(doc.spec.prune)],
    ['Ready', ready ? `${ready.status} (${ready.reason}): ${ready.message}` : 'Unknown'],
    ['Last attempted', s.lastAttemptedRevision ?? '<none>'],
    ['Last applied', s.lastAppliedRevision ?? '<none>'],
    ['Last attempt', when(s.lastAttemptTime)],
    ['Last sync', when(s.lastSyncTime)],
    ['Drift healed', String(s.driftHealedTotal)],
    ['Pruned', String(s.prunedTotal)],
    ['Last error', s.lastError ? s.lastError.message : '<none>'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`);
  for (const f of s.lastError?.failures ?? []) {
    lines.push(`  ${[f.where, f.kind && f.name ? `${f.kind} "${f.name}"` : f.kind, f.field, f.message].filter((p) => p).join(': ')}`);
  }
  lines.push(`Inventory (${s.inventory.length}):`);
  for (const e of s.inventory) lines.push(`  ${objectRef(e.kind, e.name)}`);
  return lines;
}

async function gitopsRequest<T>(ctx: CliContext, method: string, path: string, query?: Record<string, string | undefined>): Promise<T> {
  try {
    return await ctx.client().request<T>(method, path, { query });
  } catch (err) {
    if (err instanceof ServerError && err.httpStatus === 404) {
      throw new CliError(`the server at ${ctx.client().server} runs no GitOps sync (start it with dockfence serve --sync-repo URL ...)`);
    }
    throw err;
  }
}

function printAs(ctx: CliContext, format: string | undefined, value: unknown): boolean {
  if (format === undefined) return false;
  if (format === 'json') ctx.write(toJson(value));
  else if (format === 'yaml') ctx.write(toYaml(value));
  else throw new CliError(`invalid -o "${format}": must be json or yaml`);
  return true;
}

export function registerSync(program: Command, ctx: CliContext): void {
  const sync = program
    .command('sync')
    .description('run the server\'s GitOps sync now and print what changed (exit 1 if it failed)')
    .option('--dry-run', 'only print what would be created, changed and pruned', false)
    .option('-o, --output <format>', 'json or yaml')
    .action(async (opts: { dryRun: boolean; output?: string }) => {
      const result = await gitopsRequest<SyncResult>(ctx, 'POST', GITOPS_SYNC_PATH, { dryRun: opts.dryRun ? 'All' : undefined });
      if (!printAs(ctx, opts.output, result)) {
        const lines = renderSyncResult(result);
        if (lines.length > 0) ctx.out(lines.join('\n'));
        for (const line of renderSyncError(result)) ctx.err(line);
      }
      if (result.result === 'error') ctx.exitCode = 1;
    });
  sync
    .command('status')
    .description('print the GitOps sync status: revisions, Ready, inventory, last error')
    .option('-o, --output <format>', 'json or yaml')
    .action(async (opts: { output?: string }) => {
      // commander gives `sync status -o json` to the parent's -o; accept it from either.
      const format = opts.output ?? sync.opts<{ output?: string }>().output;
      const doc = await gitopsRequest<GitopsSyncDocument>(ctx, 'GET', GITOPS_STATUS_PATH);
      if (!printAs(ctx, format, doc)) ctx.out(renderSyncStatus(doc, ctx.now()).join('\n'));
    });
}
