// A git repository as the sync's source, through the git CLI: a bare cache clone that is fetched
// each run, the branch head resolved to a commit, and the YAML files under a path read at that
// commit (`ls-tree` + one `cat-file --batch`). Argument arrays only; never a shell.

import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DockfenceError } from '../lib/errors.js';
import type { SourceFile } from './manifests.js';

export interface GitRunResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `git` with an argument array, an environment (added to the process's) and optional stdin. */
export type GitRunner = (
  args: readonly string[],
  options: { env: Record<string, string>; input?: string },
) => Promise<GitRunResult>;

/** The real git: the process environment minus GIT_* variables, plus `env`. */
export const runGit: GitRunner = async (args, options) => {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  const result = await execa('git', args, {
    env: { ...inherited, ...options.env },
    extendEnv: false,
    input: options.input,
    encoding: 'buffer',
    reject: false,
    stripFinalNewline: false,
    timeout: 120_000,
  });
  if (result.failed && result.exitCode === undefined) {
    throw new DockfenceError(`running git ${args[0] === '-C' ? args[2] : args[0]}: ${result.shortMessage}`);
  }
  return { exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr).toString('utf8') };
};

/** A git command failed; `stderr` is already redacted. */
export class GitError extends DockfenceError {}

export interface GitSourceOptions {
  url: string;
  branch: string;
  /** Bare cache repository (created on first use). */
  cacheDir: string;
  /** From gitEnvironment(). */
  env: Record<string, string>;
  run?: GitRunner;
  /** Applied to every git message before it leaves this class. */
  redact?: (text: string) => string;
}

const YAML_FILE = /\.ya?ml$/i;

export class GitSource {
  private readonly run: GitRunner;
  private readonly redact: (text: string) => string;
  private readonly ref: string;

  constructor(private readonly options: GitSourceOptions) {
    this.run = options.run ?? runGit;
    this.redact = options.redact ?? ((t) => t);
    this.ref = `refs/dockfence/heads/${options.branch}`;
  }

  /**
   * Fetch the branch and return the commit it points to now (40 hex digits). Always asks the
   * remote, so a newer commit is never hidden behind an older one. Throws GitError with git's
   * (redacted) message when the fetch fails or the branch does not exist.
   */
  async resolve(): Promise<string> {
    await this.ensureCache();
    await this.git(
      ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--force', '--end-of-options', this.options.url, `+refs/heads/${this.options.branch}:${this.ref}`],
      `fetching branch ${this.options.branch} of ${this.redact(this.options.url)}`,
    );
    const out = await this.git(['rev-parse', '--verify', '--end-of-options', `${this.ref}^{commit}`], `resolving ${this.options.branch}`);
    const commit = out.toString('utf8').trim();
    if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new GitError(`resolving ${this.options.branch}: unexpected answer from git rev-parse`);
    return commit;
  }

  /**
   * Every `*.yaml`/`*.yml` file under `path` (a directory, or one file; '' = the whole tree) at
   * `commit`, sorted by path. Symlinks and submodules are skipped. Throws GitError when `path`
   * does not exist at that commit.
   */
  async readFiles(commit: string, path: string): Promise<SourceFile[]> {
    const dir = normalizeRepoPath(path);
    const args = ['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', commit];
    if (dir !== '') args.push('--', dir);
    const listing = (await this.git(args, `listing ${dir || '/'} at ${commit.slice(0, 12)}`)).toString('utf8');
    const entries = listing
      .split('\0')
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, sha] = line.slice(0, tab).split(' ');
        return { mode: mode!, type: type!, sha: sha!, path: line.slice(tab + 1) };
      });
    if (entries.length === 0 && dir !== '') {
      throw new GitError(`path "${dir}" does not exist in ${this.options.branch} at commit ${commit.slice(0, 12)}`);
    }
    const files = entries
      .filter((e) => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755') && YAML_FILE.test(e.path))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (files.length === 0) return [];
    const blobs = await this.git(['cat-file', '--batch'], 'reading manifest files', files.map((f) => f.sha).join('\n') + '\n');
    const texts = splitCatFileBatch(blobs);
    return files.map((f, i) => ({ path: f.path, text: texts[i] ?? '' }));
  }

  private async ensureCache(): Promise<void> {
    const exists = await access(join(this.options.cacheDir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (exists) return;
    await mkdir(this.options.cacheDir, { recursive: true, mode: 0o700 });
    await this.git(['init', '--bare', '--quiet', '--end-of-options', this.options.cacheDir], 'creating the git cache', undefined, false);
  }

  private async git(args: string[], action: string, input?: string, inCache = true): Promise<Buffer> {
    const full = inCache ? ['-C', this.options.cacheDir, ...args] : args;
    const result = await this.run(full, { env: this.options.env, input });
    if (result.exitCode !== 0) {
      const stderr = this.redact(result.stderr).trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join('; ');
      throw new GitError(`${action}: ${stderr || `git exited with ${result.exitCode}`}`);
    }
    return result.stdout;
  }
}

/**
 * A repository path as ls-tree wants it: no leading `./` or `/`, no trailing `/`, `.` = ''.
 * Throws GitError for `..` segments.
 */
export function normalizeRepoPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new GitError(`invalid sync path "${path}": ".." is not allowed`);
  return parts.join('/');
}

/** Split `git cat-file --batch` output (`<sha> blob <size>\n<bytes>\n` each) into texts. */
export function splitCatFileBatch(output: Buffer): string[] {
  const texts: string[] = [];
  let offset = 0;
  while (offset < output.length) {
    const eol = output.indexOf(0x0a, offset);
    if (eol < 0) break;
    const header = output.subarray(offset, eol).toString('utf8');
    const m = /^\S+ (\S+) (\d+)$/.exec(header);
    if (!m) throw new GitError(`reading manifest files: unexpected git cat-file output "${header.slice(0, 80)}"`);
    const size = Number(m[2]);
    texts.push(output.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    offset = eol + 1 + size + 1;
  }
  return texts;
}
