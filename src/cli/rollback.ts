// `dockfence rollback KIND NAME --to-generation N`: make a stored generation's spec current again.
// The rollback is itself a new generation, so it shows in history and can be rolled back too.

import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';
import { parseGeneration } from './history.js';
import { qualifiedSingular, resolveKind, splitKindName } from './kinds.js';
import { rollbackObject } from './resources-api.js';

export function registerRollback(program: Command, ctx: CliContext): void {
  program
    .command('rollback')
    .description("restore the spec of one of a resource's stored generations (see history)")
    .argument('<kind>', 'resource kind, or KIND/NAME')
    .argument('[name]', 'resource name')
    .requiredOption('--to-generation <n>', 'the generation whose spec becomes current')
    .action(async (kindArg: string, nameArg: string | undefined, opts: { toGeneration: string }) => {
      const { kind, name: slashName } = splitKindName(kindArg);
      const info = resolveKind(kind);
      const name = slashName ?? nameArg;
      if (!name) throw new CliError(`rollback needs a name: dockfence rollback ${info.plural} NAME --to-generation N`);
      const generation = parseGeneration(opts.toGeneration, '--to-generation');
      const object = await rollbackObject(ctx.client(), info, name, generation);
      const now = object.metadata.generation !== undefined ? ` (now generation ${object.metadata.generation})` : '';
      ctx.out(`${qualifiedSingular(info)}/${name} rolled back to generation ${generation}${now}`);
    });
}
