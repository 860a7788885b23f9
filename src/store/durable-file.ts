// A lowdb adapter that makes every write durable before it resolves: write a temp file, fsync it,
// rename it over the store, fsync the directory. A reader never sees a half-written file, and a
// file it cannot parse is reported (one line naming it), never replaced.

import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/** One JSON document in one file, read and written whole. */
export class DurableJsonFile<T> implements Adapter<T> {
  private readonly tempPath: string;

  constructor(
    readonly path: string,
    private readonly check: (data: unknown) => string | undefined = () => undefined,
  ) {
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp`);
  }

  /**
   * The parsed document, or null when the file does not exist. Throws Error with a one-line
   * message naming the file when it cannot be read, is empty, is not JSON, or fails `check`.
   */
  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw this.failure(`cannot read it (${(err as Error).message})`, err);
    }
    if (text.trim() === '') throw this.failure('the file is empty');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw this.failure(`it is not valid JSON (${(err as Error).message})`, err);
    }
    const problem = this.check(data);
    if (problem) throw this.failure(problem);
    return data as T;
  }

  /** Replace the file with `data`; resolves only once the new content and the rename are on disk. */
  async write(data: T): Promise<void> {
    const text = `${JSON.stringify(data, null, 1)}\n`;
    const handle = await open(this.tempPath, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.tempPath, this.path);
    await syncDirectory(dirname(this.path));
  }

  /** Remove a temp file left by a process killed mid-write (its content was never acknowledged). */
  async removeStaleTemp(): Promise<void> {
    await rm(this.tempPath, { force: true });
  }

  private failure(problem: string, cause?: unknown): Error {
    const line = `refusing to use store ${this.path}: ${problem}`.replace(/\s*\n\s*/g, ' ');
    return new Error(line, { cause });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
