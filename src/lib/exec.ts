// The one way dockfence runs programs: argument arrays (never a shell), optional stdin, and a
// result instead of a throw on non-zero exit. Injected into backends so tests can substitute it.

import { execa } from 'execa';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type Exec = (command: string, args: readonly string[], options?: { input?: string }) => Promise<ExecResult>;

/** Runs a real program. Resolves even on non-zero exit; rejects only when it cannot start. */
export const execReal: Exec = async (command, args, options) => {
  const result = await execa(command, args, {
    input: options?.input,
    reject: false,
    stripFinalNewline: false,
    timeout: 30_000,
  });
  if (result.failed && result.exitCode === undefined) {
    throw new Error(`running ${command}: ${result.shortMessage}`, { cause: result.cause });
  }
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
};
