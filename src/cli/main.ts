// Entry point of the `dockfence` command: global options (--server, --token), one verb per file,
// and the single place where any failure becomes one line on stderr and an exit code.
// Only bin/dockfence.js calls process.exit; runCli returns the code, so tests run it in-process.

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerApply } from './apply.js';
import { registerCheck } from './check.js';
import { CliContext, DEFAULT_SERVER, type CliIo, type GlobalOptions } from './context.js';
import { registerDelete } from './delete.js';
import { registerDescribe } from './describe.js';
import { registerDiff } from './diff.js';
import { registerDoctor } from './doctor.js';
import { CliError, oneLine } from './errors.js';
import { registerGet } from './get.js';
import { registerHistory } from './history.js';
import { registerRollback } from './rollback.js';
import { registerServe } from './serve.js';
import { registerSync } from './sync.js';

export type { CliIo } from './context.js';

/** The real process: stdout, stderr, stdin and environment. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * Run the CLI with `argv` (arguments after the program name). Resolves to the exit code:
 * 0 success, 1 failure (for diff/check/doctor: 1 is an answer and errors give 2). Never throws
 * and never exits the process; everything it prints goes through `io`.
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command('dockfence');
  const ctx = new CliContext(io, () => program.opts<GlobalOptions>());
  program
    .description('Kubernetes-style network isolation for the containers of one Docker host')
    .version(packageVersion(), '--version', 'print the dockfence version')
    .option('--server <url>', `API server URL (env DOCKFENCE_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'bearer token for the API server (env DOCKFENCE_TOKEN)')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerServe(program, ctx);
  registerApply(program, ctx);
  registerGet(program, ctx);
  registerDescribe(program, ctx);
  registerDelete(program, ctx);
  registerDiff(program, ctx);
  registerHistory(program, ctx);
  registerRollback(program, ctx);
  registerCheck(program, ctx);
  registerDoctor(program, ctx);
  registerSync(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed it
    if (err instanceof CliError) {
      io.stderr.write(`${err.line()}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`error: ${oneLine(message)}\n`);
    if (io.env.DOCKFENCE_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

function packageVersion(): string {
  try {
    // src/cli/main.ts and dist/cli/main.js both sit two levels below package.json.
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
