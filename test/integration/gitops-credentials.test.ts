// Private repositories: a git smart-HTTP server that demands Basic auth, a token in a credentials
// file, and proof that the token works yet never shows up in logs, status, the status file, the
// arguments or environment git is given, or the command line of any process while syncing.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/lib/errors.js';
import { runGit, type GitRunner } from '../../src/gitops/git-source.js';
import { startGitopsSync, type RunningGitopsSync } from '../../src/gitops/start.js';
import { startGitHttpServer, startRealApi, tempDir, TestRepo } from './gitops-harness.js';

const TOKEN = `dfgit_${randomBytes(20).toString('hex')}`;
const WRONG = `dfwrong_${randomBytes(20).toString('hex')}`;

const POLICY = `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata: {name: private-policy}
spec:
  networks: {names: [secret-net]}
`;

/** Every process's command line (and, for git and its helpers, environment), sampled while running. */
class ProcessWatcher {
  readonly commandLines = new Set<string>();
  readonly environments: string[] = [];
  private timer?: NodeJS.Timeout;

  start(): void {
    this.timer = setInterval(() => this.sample(), 1);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (cmdline === '') continue;
        this.commandLines.add(cmdline);
        if (/\bgit\b|askpass|git-remote/.test(cmdline)) this.environments.push(readFileSync(`/proc/${pid}/environ`, 'utf8'));
      } catch {
        // the process ended while we looked
      }
    }
  }
}

describe('GitOps credentials', () => {
  let repo: TestRepo;
  let api: Awaited<ReturnType<typeof startRealApi>>;
  let git: Awaited<ReturnType<typeof startGitHttpServer>>;
  let dir: string;
  let tokenFile: string;
  const syncs: RunningGitopsSync[] = [];

  beforeAll(async () => {
    repo = await TestRepo.create();
    await repo.commit({ 'policies/p.yaml': POLICY });
    api = await startRealApi();
    git = await startGitHttpServer(repo.dir, 'robot', TOKEN);
    dir = await tempDir('dockfence-gitops-cred-');
    tokenFile = join(dir, 'git-token');
    await writeFile(tokenFile, `robot:${TOKEN}\n`, { mode: 0o600 });
  });

  afterAll(async () => {
    for (const sync of syncs) await sync.stop();
    await git?.close();
    await api?.close();
    await repo?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = (name: string, credentialsFile: string | undefined, logs: string[], run?: GitRunner) => {
    const sync = startGitopsSync({
      name,
      repo: `${git.url}/origin.git`,
      branch: 'main',
      path: 'policies',
      prune: false,
      intervalMs: 3_600_000,
      apiUrl: api.server.url,
      credentialsFile,
      registry: new Registry(),
      log: (m) => logs.push(m),
      stateDir: join(dir, 'state'),
      runGit: run,
    });
    syncs.push(sync);
    return sync;
  };

  it('syncs a private repository with a token file, and the token appears nowhere', async () => {
    const logs: string[] = [];
    const given: string[] = [];
    const recording: GitRunner = (args, options) => {
      given.push(JSON.stringify({ args, env: options.env, input: options.input }));
      return runGit(args, options);
    };
    const watcher = new ProcessWatcher();
    watcher.start();
    const sync = start('private', tokenFile, logs, recording);
    let result;
    try {
      result = await sync.sync();
    } finally {
      watcher.stop();
    }
    expect(result).toMatchObject({ result: 'applied' });
    const read = await fetch(`${api.server.url}/apis/dockfence.io/v1alpha1/isolationpolicies/private-policy`);
    expect(read.status).toBe(200);
    expect(git.requests()).toBeGreaterThan(0);

    // The watcher really saw git at work (so the absence below means something).
    expect([...watcher.commandLines].some((c) => c.includes('git') && c.includes('fetch'))).toBe(true);
    expect(watcher.environments.length).toBeGreaterThan(0);
    expect(given.some((g) => g.includes('"fetch"'))).toBe(true);

    const statusFile = await readFile(join(dir, 'state', 'private', 'status.json'), 'utf8');
    const places: Record<string, string> = {
      logs: logs.join('\n'),
      status: JSON.stringify(sync.status()),
      statusFile,
      gitArgumentsAndEnv: given.join('\n'),
      processCommandLines: [...watcher.commandLines].join('\n'),
      gitEnvironments: watcher.environments.join('\n'),
    };
    for (const [where, text] of Object.entries(places)) expect(text.includes(TOKEN), `token found in ${where}`).toBe(false);
  });

  it('fails without credentials, and a wrong token is not echoed either', async () => {
    const logs: string[] = [];
    const anonymous = start('anonymous', undefined, logs);
    const failed = await anonymous.sync();
    expect(failed.error?.reason).toBe('FetchFailed');
    expect(anonymous.status().status.conditions[0]).toMatchObject({ status: 'False', reason: 'FetchFailed' });

    const wrongFile = join(dir, 'wrong-token');
    await writeFile(wrongFile, `${WRONG}\n`, { mode: 0o600 });
    const wrong = start('wrong', wrongFile, logs);
    const refused = await wrong.sync();
    expect(refused.error?.reason).toBe('FetchFailed');
    const text = `${logs.join('\n')}\n${JSON.stringify(wrong.status())}\n${JSON.stringify(refused)}`;
    expect(text).not.toContain(WRONG);
    expect(text).not.toContain(TOKEN);
  });

  it('hands an SSH key to ssh by path only (a stand-in ssh records what git runs)', async () => {
    const material = randomBytes(24).toString('base64');
    const key = join(dir, 'id_test');
    await writeFile(key, `-----BEGIN OPENSSH PRIVATE KEY-----\n${material}\n-----END OPENSSH PRIVATE KEY-----\n`, { mode: 0o600 });
    const bin = join(dir, 'fake-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'ssh'), '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$FAKE_SSH_LOG"\necho "fake ssh: no route" >&2\nexit 255\n', { mode: 0o755 });
    const sshLog = join(dir, 'ssh-args');
    const withFakeSsh: GitRunner = (args, options) =>
      runGit(args, { ...options, env: { ...options.env, PATH: `${bin}:${process.env.PATH}`, FAKE_SSH_LOG: sshLog } });
    const logs: string[] = [];
    const sync = startGitopsSync({
      name: 'ssh',
      repo: 'ssh://git@git.example.invalid/net/policies.git',
      branch: 'main',
      path: '',
      prune: false,
      intervalMs: 3_600_000,
      apiUrl: api.server.url,
      credentialsFile: key,
      registry: new Registry(),
      log: (m) => logs.push(m),
      stateDir: join(dir, 'state'),
      runGit: withFakeSsh,
    });
    syncs.push(sync);
    const result = await sync.sync();
    expect(result.error?.reason).toBe('FetchFailed');
    const sshArgs = (await readFile(sshLog, 'utf8')).split('\n');
    expect(sshArgs.slice(0, 2)).toEqual(['-i', key]);
    expect(sshArgs).toContain('IdentitiesOnly=yes');
    expect(sshArgs).toContain('BatchMode=yes');
    expect(sshArgs.join(' ')).toContain('git@git.example.invalid');
    const everywhere = `${sshArgs.join(' ')}\n${logs.join('\n')}\n${JSON.stringify(sync.status())}`;
    expect(everywhere).not.toContain(material);
  });

  it('refuses a repository URL with a token inside, without repeating it', () => {
    let error: unknown;
    try {
      startGitopsSync({
        repo: `http://robot:${TOKEN}@127.0.0.1:1/origin.git`,
        branch: 'main',
        path: '',
        prune: false,
        intervalMs: 1000,
        apiUrl: api.server.url,
        registry: new Registry(),
        log: () => {},
        stateDir: join(dir, 'state'),
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as Error).message).toContain('credentials file');
    expect((error as Error).message).not.toContain(TOKEN);
  });
});
