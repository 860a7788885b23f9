// `dockfence history KIND NAME [--generation N] [-o yaml|json]`: the stored generations of one
// resource (the server keeps the last 10), oldest first; with --generation, that generation's spec.

import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { resolveKind, splitKindName } from './kinds.js';
import { age, alignColumns, toJson, toYaml } from './output.js';
import { getHistory, requireObject, type HistoryEntry } from './resources-api.js';

/** Parse a positive integer option value; throws CliError naming the option. */
export function parseGeneration(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`${option} must be a positive integer, got "${value}"`);
  return Number(value);
}

/** The history table: one row per generation, the live one marked `(current)`. */
export function historyTable(entries: HistoryEntry[], current: number | undefined, now: Date): string[] {
  const rows = entries.map((e) => [
    `${e.generation}${e.generation === current ? ' (current)' : ''}`,
    e.resourceVersion ?? '',
    e.timestamp ? `${e.timestamp} (${age(e.timestamp, now)} ago)` : '<unknown>',
  ]);
  return alignColumns([['GENERATION', 'RESOURCE VERSION', 'CHANGED'], ...rows]);
}

export function registerHistory(program: Command, ctx: CliContext): void {
  program
    .command('history')
    .description("list a resource's stored generations (see rollback)")
    .argument('<kind>', 'resource kind, or KIND/NAME')
    .argument('[name]', 'resource name')
    .option('--generation <n>', 'print the spec of this generation')
    .option('-o, --output <format>', 'yaml or json')
    .action(async (kindArg: string, nameArg: string | undefined, opts: { generation?: string; output?: string }) => {
      const { kind, name: slashName } = splitKindName(kindArg);
      const info = resolveKind(kind);
      const name = slashName ?? nameArg;
      if (!name) throw new CliError(`history needs a name: dockfence history ${info.plural} NAME`);
      if (opts.output !== undefined && !['yaml', 'json'].includes(opts.output)) {
        throw new CliError(`unsupported output format "${opts.output}" for history: use yaml or json`);
      }
      const entries = await getHistory(ctx.client(), info, name);
      let selected: unknown = entries;
      if (opts.generation !== undefined) {
        const generation = parseGeneration(opts.generation, '--generation');
        const entry = entries.find((e) => e.generation === generation);
        if (!entry) {
          const known = entries.map((e) => e.generation).join(', ') || 'none';
          throw new CliError(`${info.singular} "${name}" has no generation ${generation} (stored generations: ${known})`);
        }
        selected = opts.output ? entry : entry.spec;
        if (!opts.output) {
          ctx.write(toYaml(entry.spec));
          return;
        }
      }
      if (opts.output === 'yaml') ctx.write(toYaml(selected));
      else if (opts.output === 'json') ctx.write(toJson(selected));
      else {
        const live = await requireObject(ctx.client(), info, name);
        ctx.out(historyTable(entries, live.metadata.generation, ctx.now()).join('\n'));
      }
    });
}
