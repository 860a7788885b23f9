// `dockfence apply -f FILE|DIR|- [-R]`: server-side apply of every document, printing
// `isolationpolicy.dockfence.io/lockdown created|configured|unchanged` per object like kubectl.
// A refused object is reported on one line and the rest still applied; the exit code is then 1.

import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { CliError, ConnectionError, ServerError } from './errors.js';
import { qualifiedSingular } from './kinds.js';
import { loadManifests } from './manifests.js';
import { applyObject, type FieldValidation, type KubeObject } from './resources-api.js';

/** Collect a repeatable option (`-f a -f b`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--validate=strict|warn|ignore` (kubectl's values; `true`/`false` mean strict/ignore). */
export function parseValidate(value: string | undefined): FieldValidation {
  switch ((value ?? 'strict').toLowerCase()) {
    case 'strict':
    case 'true':
      return 'Strict';
    case 'warn':
      return 'Warn';
    case 'ignore':
    case 'false':
      return 'Ignore';
    default:
      throw new CliError(`invalid --validate value "${value}": must be strict, warn or ignore`);
  }
}

/** `--dry-run=none|server` (client is accepted as server: the server validates either way). */
export function parseDryRun(value: string | undefined): boolean {
  if (value === undefined || value === 'none') return false;
  if (value === 'server' || value === 'client' || value === 'true') return true;
  throw new CliError(`invalid --dry-run value "${value}": must be none or server`);
}

export function registerApply(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description('create or update resources from YAML/JSON manifests (server-side apply)')
    .option('-f, --filename <path>', 'manifest file, directory, or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'also read manifests in subdirectories of a -f directory', false)
    .option('--dry-run <mode>', 'none or server: validate on the server, store nothing')
    .option('--force-conflicts', 'take ownership of fields another field manager owns', false)
    .option('--validate <mode>', 'unknown fields: strict (refuse, default), warn or ignore')
    .action(async (opts: { filename: string[]; recursive: boolean; dryRun?: string; forceConflicts: boolean; validate?: string }) => {
      const dryRun = parseDryRun(opts.dryRun);
      const fieldValidation = parseValidate(opts.validate);
      const manifests = await loadManifests(opts.filename, {
        recursive: opts.recursive,
        stdin: () => ctx.io.readStdin(),
      });
      let failed = false;
      for (const manifest of manifests) {
        try {
          const { outcome } = await applyObject(ctx.client(), manifest.info, manifest.object as KubeObject, {
            dryRun,
            force: opts.forceConflicts,
            fieldValidation,
          });
          const suffix = dryRun ? ' (server dry run)' : '';
          ctx.out(`${qualifiedSingular(manifest.info)}/${manifest.object.metadata.name} ${outcome}${suffix}`);
        } catch (err) {
          if (err instanceof ConnectionError || !(err instanceof CliError)) throw err;
          const hint =
            err instanceof ServerError && err.httpStatus === 409 && /^Apply failed/.test(err.status?.message ?? '')
              ? ' (another field manager owns these fields: change them with it, or take them over with --force-conflicts)'
              : '';
          ctx.err(lineWithSource(err, 'applying', manifest.where) + hint);
          failed = true;
        }
      }
      if (failed) ctx.exitCode = 1;
    });
}

/** `Error from server (Invalid): error when applying "file:line": ...`, kubectl's wording. */
export function lineWithSource(err: CliError, action: string, where: string): string {
  const line = err.line();
  if (!(err instanceof ServerError)) return line;
  return line.replace(/^(Error from server(?: \([^)]*\))?: )/, `$1error when ${action} "${where}": `);
}
