// `dockfence diff -f FILE|DIR|-`: what `apply` would change, as a unified diff of the live object
// against the server's dry-run apply result, YAML with sorted keys. Exit codes follow kubectl:
// 0 no differences, 1 differences, 2 an error (bad manifest, refused object, unreachable server).

import type { Command } from 'commander';
import { collect, lineWithSource } from './apply.js';
import type { CliContext } from './context.js';
import { CliError, ConnectionError } from './errors.js';
import { qualifiedSingular } from './kinds.js';
import { loadManifests } from './manifests.js';
import { toYaml } from './output.js';
import { applyObject, getObject, type KubeObject } from './resources-api.js';
import { unifiedDiff } from './unified-diff.js';

export const DIFF_ERROR_EXIT = 2;

/** The object as diffed: without fields that change on every write or belong to the controller. */
export function comparable(object: KubeObject): Record<string, unknown> {
  const { status: _status, ...rest } = object;
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  delete metadata.resourceVersion;
  return { ...rest, metadata };
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description('show what apply -f would change (exit 0: no change, 1: changes, 2: error)')
    .option('-f, --filename <path>', 'manifest file, directory, or - for stdin (repeatable)', collect, [])
    .option('-R, --recursive', 'also read manifests in subdirectories of a -f directory', false)
    .action(async (opts: { filename: string[]; recursive: boolean }) => {
      let different = false;
      let failed = false;
      try {
        const manifests = await loadManifests(opts.filename, { recursive: opts.recursive, stdin: () => ctx.io.readStdin() });
        for (const manifest of manifests) {
          const id = `${qualifiedSingular(manifest.info)}/${manifest.object.metadata.name}`;
          try {
            const live = await getObject(ctx.client(), manifest.info, manifest.object.metadata.name);
            const { object: merged } = await applyObject(ctx.client(), manifest.info, manifest.object as KubeObject, {
              dryRun: true,
            });
            const before = live ? toYaml(comparable(live)) : '';
            const after = toYaml(comparable(merged));
            const text = unifiedDiff(before, after, { from: `live/${id}`, to: `merged/${id}` });
            if (text !== '') {
              different = true;
              ctx.write(text);
            }
          } catch (err) {
            if (err instanceof ConnectionError || !(err instanceof CliError)) throw err;
            ctx.err(lineWithSource(err, 'diffing', manifest.where));
            failed = true;
          }
        }
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        ctx.err(err.line());
        failed = true;
      }
      ctx.exitCode = failed ? DIFF_ERROR_EXIT : different ? 1 : 0;
    });
}
