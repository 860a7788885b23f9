// What every verb receives: where to print, how to read stdin, the environment, the clock, and a
// lazily built API client from the global options. Passed in so tests run verbs in-process.

import { ApiClient } from './client.js';
import { CliError } from './errors.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** The process boundary of the CLI; runCli uses the real process unless given another. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  /** Aborting ends watches (get -w) cleanly; the bin wires SIGINT to it. */
  signal?: AbortSignal;
  now?: () => Date;
  /** HTTP implementation (default: the global fetch); tests pass a fake server. */
  fetch?: typeof fetch;
}

export interface GlobalOptions {
  server?: string;
  token?: string;
}

export class CliContext {
  /** Set by verbs that end without an error but with a non-zero code (diff: 1 = different). */
  exitCode = 0;
  private apiClient?: ApiClient;

  constructor(
    readonly io: CliIo,
    private readonly globals: () => GlobalOptions,
  ) {}

  /** Print one line (or several joined) on stdout. */
  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Print on stdout exactly as given. */
  write(text: string): void {
    this.io.stdout.write(text);
  }

  /** Print one line on stderr. */
  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  now(): Date {
    return this.io.now ? this.io.now() : new Date();
  }

  /** The server URL: --server, then DOCKFENCE_SERVER, then the default loopback address. */
  serverUrl(): string {
    return this.globals().server ?? this.io.env.DOCKFENCE_SERVER ?? DEFAULT_SERVER;
  }

  /** The API client for --server/--token (or DOCKFENCE_SERVER/DOCKFENCE_TOKEN). */
  client(): ApiClient {
    if (!this.apiClient) {
      const token = this.globals().token ?? this.io.env.DOCKFENCE_TOKEN;
      this.apiClient = new ApiClient({
        server: this.serverUrl(),
        token: token === '' ? undefined : token,
        onWarning: (text) => this.err(`Warning: ${text}`),
        fetch: this.io.fetch,
      });
    }
    return this.apiClient;
  }
}

/**
 * Run a verb whose exit code 1 is an answer (diff: different, check: denied, doctor: a check
 * failed): any CliError is printed as one line and exits with `code` (2) instead.
 */
export async function withErrorExit(ctx: CliContext, code: number, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    ctx.err(err.line());
    ctx.exitCode = code;
  }
}
