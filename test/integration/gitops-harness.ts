// Shared pieces of the GitOps integration tests: a real bare repository with a work clone that
// commits and pushes, the real API server on 127.0.0.1 over a temporary store, and a git smart
// HTTP server (git http-backend behind Basic auth) for the credential tests.

import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { createApiApp, startApiServer, type RunningServer } from '../../src/api/server.js';
import { Store } from '../../src/store/store.js';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A bare "remote" repository and a work clone that commits and pushes to it. */
export class TestRepo {
  private constructor(
    readonly dir: string,
    readonly bare: string,
    private readonly work: string,
    readonly branch: string,
  ) {}

  static async create(branch = 'main'): Promise<TestRepo> {
    const dir = await tempDir('dockfence-gitops-repo-');
    const bare = join(dir, 'origin.git');
    const work = join(dir, 'work');
    await execa('git', ['init', '--bare', '--quiet', `--initial-branch=${branch}`, bare], { env: GIT_ENV });
    await execa('git', ['init', '--quiet', `--initial-branch=${branch}`, work], { env: GIT_ENV });
    return new TestRepo(dir, bare, work, branch);
  }

  /** Write (string) or delete (null) files, commit everything, push; returns the new commit. */
  async commit(files: Record<string, string | null>, message = 'change'): Promise<string> {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.work, path);
      if (text === null) await rm(full, { force: true });
      else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, text);
      }
    }
    await this.git(['add', '-A']);
    await this.git(['commit', '--quiet', '--allow-empty', '-m', message]);
    await this.git(['push', '--quiet', this.bare, `HEAD:refs/heads/${this.branch}`]);
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async git(args: string[]): Promise<string> {
    return (await execa('git', ['-C', this.work, ...args], { env: GIT_ENV })).stdout;
  }
}

/**
 * The real API app over a fresh store on 127.0.0.1, with a slot in front of it for the GitOps
 * router (the way serve mounts it: before the resource routes).
 */
export async function startRealApi(): Promise<{ server: RunningServer; dir: string; mount(router: Router): void; close(): Promise<void> }> {
  const dir = await tempDir('dockfence-gitops-api-');
  const store = await Store.open(join(dir, 'db.json'));
  const api = createApiApp({ store, log: () => {} });
  let gitops: Router | undefined;
  const outer = express();
  outer.use((req: Request, res: Response, next: NextFunction) => (gitops ? gitops(req, res, next) : next()));
  outer.use(api);
  const server = await startApiServer({ app: outer, listen: '127.0.0.1:0' });
  return {
    server,
    dir,
    mount: (router) => {
      gitops = router;
    },
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `git http-backend` (smart HTTP) serving `projectRoot`, answering 401 unless the request carries
 * Basic credentials `user:password`. Resolves to the base URL (http://127.0.0.1:PORT).
 */
export async function startGitHttpServer(projectRoot: string, user: string, password: string): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let authorized = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end('auth required');
      return;
    }
    authorized++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method,
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (key.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(key, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + 4));
    });
    child.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => authorized,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Poll `check` until it returns a value other than undefined, or throw after `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
