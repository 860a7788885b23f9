import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../lib/errors.js';
import { checkBranch, checkRepoUrl, createRedactor, gitEnvironment, loadGitCredentials } from './credentials.js';

describe('checkRepoUrl', () => {
  it.each([
    'https://github.com/org/policies.git',
    'ssh://git@github.com/org/policies.git',
    'git@github.com:org/policies.git',
    'file:///srv/git/policies.git',
    '/srv/git/policies.git',
    'git://git.example/policies',
  ])('accepts %s', (url) => {
    expect(checkRepoUrl(url)).toBe(url);
  });

  it.each([
    ['https://user:s3cret@github.com/org/p.git', 'contains a password or token'],
    ['https://ghp_token@github.com/org/p.git', 'contains a user name'],
    ['ext::sh -c touch% /tmp/pwned', 'without spaces'],
    ['ext::sh', 'remote helpers'],
    ['--upload-pack=touch /tmp/x', 'without spaces'],
    ['-oProxyCommand=x', 'must not start with "-"'],
    ['ftp://example/p.git', 'unsupported scheme'],
    ['', 'without spaces'],
  ])('refuses %s', (url, message) => {
    expect(() => checkRepoUrl(url)).toThrow(InvalidError);
    expect(() => checkRepoUrl(url)).toThrow(message);
  });

  it('never repeats a secret from the URL in its message', () => {
    expect(() => checkRepoUrl('https://u:hunter2hunter2@h/p.git')).toThrow(/^(?!.*hunter2)/);
  });
});

describe('checkBranch', () => {
  it.each(['main', 'release/1.2', 'feature_x-y'])('accepts %s', (b) => expect(checkBranch(b)).toBe(b));
  it.each(['-x', 'a..b', 'a b', 'x.lock', '/a', 'a/', '.hidden', 'a/.b', 'a~1', 'a^', 'a:b'])('refuses %s', (b) => {
    expect(() => checkBranch(b)).toThrow(InvalidError);
  });
});

describe('credentials files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dockfence-cred-unit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('recognizes an SSH private key and passes only its path, through a variable', async () => {
    const key = join(dir, 'id_ed25519');
    await writeFile(key, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----\n');
    const creds = await loadGitCredentials(key);
    expect(creds).toEqual({ kind: 'ssh', keyFile: key });
    const env = gitEnvironment(creds, undefined);
    expect(env.DOCKFENCE_GIT_SSH_KEY).toBe(key);
    expect(env.GIT_SSH_COMMAND).toContain('"$DOCKFENCE_GIT_SSH_KEY"');
    expect(env.GIT_SSH_COMMAND).not.toContain(key);
    expect(JSON.stringify(env)).not.toContain('secretkeymaterial');
  });

  it('reads a token (or USER:TOKEN) only to know what to redact; git gets the file through askpass', async () => {
    const file = join(dir, 'token');
    await writeFile(file, 'robot:tok_0123456789abcdef\n');
    const creds = await loadGitCredentials(file);
    expect(creds).toEqual({ kind: 'token', file, secrets: ['robot:tok_0123456789abcdef', 'tok_0123456789abcdef'] });
    const env = gitEnvironment(creds, '/state/git-askpass.sh');
    expect(env).toMatchObject({ GIT_ASKPASS: '/state/git-askpass.sh', DOCKFENCE_GIT_CREDENTIALS_FILE: file, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' });
    expect(JSON.stringify(env)).not.toContain('tok_0123456789abcdef');
  });

  it('names the file, not its content, when it cannot be used', async () => {
    await expect(loadGitCredentials(join(dir, 'missing'))).rejects.toThrow(`cannot read git credentials file ${join(dir, 'missing')}: ENOENT`);
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    await expect(loadGitCredentials(empty)).rejects.toThrow('is empty');
  });

  it('without a file, git still never prompts and reads no global or system config', () => {
    const env = gitEnvironment({ kind: 'none' }, undefined);
    expect(env).toMatchObject({ GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_GLOBAL: '/dev/null', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh' });
    expect(env.GIT_ASKPASS).toBeUndefined();
  });
});

describe('createRedactor', () => {
  it('removes known secrets and URL passwords', () => {
    const redact = createRedactor(['tok_123456', 'robot:tok_123456']);
    expect(redact('auth robot:tok_123456 failed for https://a:b@host/x and tok_123456')).toBe('auth *** failed for https://***@host/x and ***');
  });
});
