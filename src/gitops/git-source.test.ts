import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError, GitSource, normalizeRepoPath, splitCatFileBatch, type GitRunner } from './git-source.js';

const COMMIT = 'c'.repeat(40);

function fakeGit(answers: Record<string, { exitCode?: number; stdout?: string | Buffer; stderr?: string }>) {
  const calls: Array<{ args: readonly string[]; env: Record<string, string>; input?: string }> = [];
  const run: GitRunner = async (args, options) => {
    calls.push({ args, env: options.env, input: options.input });
    const verb = args[0] === '-C' ? args[2]! : args[0]!;
    const answer = answers[verb] ?? {};
    const stdout = answer.stdout ?? '';
    return { exitCode: answer.exitCode ?? 0, stdout: Buffer.isBuffer(stdout) ? stdout : Buffer.from(stdout), stderr: answer.stderr ?? '' };
  };
  return { run, calls };
}

describe('GitSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dockfence-gitsource-unit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('fetches the branch into its own ref with argument arrays and resolves it to a commit', async () => {
    const git = fakeGit({ 'rev-parse': { stdout: `${COMMIT}\n` } });
    const cache = join(dir, 'cache.git');
    const source = new GitSource({ url: 'https://git.example/p.git', branch: 'main', cacheDir: cache, env: { GIT_TERMINAL_PROMPT: '0' }, run: git.run });
    await expect(source.resolve()).resolves.toBe(COMMIT);
    expect(git.calls.map((c) => c.args)).toEqual([
      ['init', '--bare', '--quiet', '--end-of-options', cache],
      ['-C', cache, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--force', '--end-of-options', 'https://git.example/p.git', '+refs/heads/main:refs/dockfence/heads/main'],
      ['-C', cache, 'rev-parse', '--verify', '--end-of-options', 'refs/dockfence/heads/main^{commit}'],
    ]);
    expect(git.calls.every((c) => c.env.GIT_TERMINAL_PROMPT === '0')).toBe(true);
  });

  it('reports a failed fetch with git\'s last lines, redacted', async () => {
    const git = fakeGit({ fetch: { exitCode: 128, stderr: "remote: nope\nfatal: Authentication failed for 'https://x:tok_secret@h/p.git'\n" } });
    const source = new GitSource({ url: 'https://h/p.git', branch: 'main', cacheDir: join(dir, 'c.git'), env: {}, run: git.run, redact: (t) => t.replace('tok_secret', '***') });
    const error = (await source.resolve().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(GitError);
    expect(error.message).toBe("fetching branch main of https://h/p.git: remote: nope; fatal: Authentication failed for 'https://x:***@h/p.git'");
  });

  it('reads the YAML files under the path at the commit, skipping other files, symlinks and submodules', async () => {
    const listing = [
      `100644 blob 1111111111111111111111111111111111111111\tpol/b.yaml`,
      `100644 blob 2222222222222222222222222222222222222222\tpol/README.md`,
      `120000 blob 3333333333333333333333333333333333333333\tpol/link.yaml`,
      `160000 commit 4444444444444444444444444444444444444444\tpol/sub`,
      `100755 blob 5555555555555555555555555555555555555555\tpol/a.yml`,
      '',
    ].join('\0');
    const a = 'kind: A\n';
    const b = 'kind: B # ünïcode\n';
    const batch = Buffer.concat([
      Buffer.from(`5555555555555555555555555555555555555555 blob ${Buffer.byteLength(a)}\n${a}\n`),
      Buffer.from(`1111111111111111111111111111111111111111 blob ${Buffer.byteLength(b)}\n${b}\n`),
    ]);
    const git = fakeGit({ 'ls-tree': { stdout: listing }, 'cat-file': { stdout: batch } });
    const source = new GitSource({ url: '/r.git', branch: 'main', cacheDir: '/c.git', env: {}, run: git.run });
    expect(await source.readFiles(COMMIT, './pol/')).toEqual([
      { path: 'pol/a.yml', text: a },
      { path: 'pol/b.yaml', text: b },
    ]);
    expect(git.calls[0]!.args).toEqual(['-C', '/c.git', 'ls-tree', '-r', '-z', '--full-tree', '--end-of-options', COMMIT, '--', 'pol']);
    expect(git.calls[1]!.input).toBe('5555555555555555555555555555555555555555\n1111111111111111111111111111111111111111\n');
  });

  it('says so when the path does not exist at the commit', async () => {
    const git = fakeGit({ 'ls-tree': { stdout: '' } });
    const source = new GitSource({ url: '/r.git', branch: 'main', cacheDir: '/c.git', env: {}, run: git.run });
    await expect(source.readFiles(COMMIT, 'missing')).rejects.toThrow('path "missing" does not exist in main at commit cccccccccccc');
  });
});

describe('helpers', () => {
  it('normalizes repository paths and refuses ..', () => {
    expect(normalizeRepoPath('./a//b/')).toBe('a/b');
    expect(normalizeRepoPath('.')).toBe('');
    expect(normalizeRepoPath('/')).toBe('');
    expect(() => normalizeRepoPath('a/../../etc')).toThrow('".." is not allowed');
  });

  it('splits cat-file --batch output by byte sizes', () => {
    const text = 'é\n';
    expect(splitCatFileBatch(Buffer.from(`x blob ${Buffer.byteLength(text)}\n${text}\ny blob 0\n\n`))).toEqual([text, '']);
  });
});
