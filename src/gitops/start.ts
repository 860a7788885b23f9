// Builds and runs the GitOps sync for `dockfence serve --sync-repo ...`: credentials, the git cache,
// the HTTP client to the API, status file, metrics and the interval loop. src/main.ts calls
// startGitopsSync() once the API listens and mounts the returned router.

import { join } from 'node:path';
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import { InvalidError } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import { HttpResourceApi } from './api-client.js';
import { checkBranch, checkRepoUrl, createRedactor, gitEnvironment, loadGitCredentials, writeAskpassHelper } from './credentials.js';
import { GitSource, normalizeRepoPath, type GitRunner } from './git-source.js';
import type { SourceFile } from './manifests.js';
import { createGitopsMetrics } from './metrics.js';
import { createGitopsRouter, type GitopsSyncDocument } from './router.js';
import { JsonStatusFile } from './status.js';
import { GitopsSync, type ManifestSource, type SyncResult } from './sync.js';

export interface StartGitopsOptions {
  repo: string;
  branch: string;
  /** Directory (or file) of manifests inside the repository; '' or '.' = everything. */
  path: string;
  intervalMs: number;
  prune: boolean;
  /** Base URL of this process's API (e.g. the url startApiServer returned). */
  apiUrl: string;
  /** API bearer token with write access, when the API requires one. */
  token?: string;
  /** SSH private key or HTTPS token (`TOKEN` or `USER:TOKEN`) for the repository. */
  credentialsFile?: string;
  registry: Registry;
  log: Log;
  /** Sync name (DNS-1123 label, <= 56 chars); default "default". */
  name?: string;
  /** Git cache and status file live in `<stateDir>/<name>/`; default /var/lib/dockfence/gitops as root, else ./.dockfence-gitops. */
  stateDir?: string;
  now?: () => Date;
  /** For tests: run git differently (e.g. to watch the processes). */
  runGit?: GitRunner;
  /** The fetch the API client uses (e.g. one trusting the API's own TLS certificate). */
  fetch?: typeof fetch;
}

export interface RunningGitopsSync {
  /** Stop the interval loop and wait for a run in progress. */
  stop(): Promise<void>;
  /** GET .../gitops/status and POST .../gitops/sync; mount behind the API's auth. */
  router: Router;
  status(): GitopsSyncDocument;
  /** Run now (after any run in progress); see GitopsSync.run. */
  sync(options?: { dryRun?: boolean }): Promise<SyncResult>;
}

/**
 * Validate the options, start syncing (first run at once, then every `intervalMs` after the
 * previous run ends) and return the handle. Throws InvalidError for a bad repo URL (one with a
 * password in it included), branch, path or name; everything later (unreadable credentials,
 * fetch or API failures) is reported in the status and the log, and retried each interval.
 */
export function startGitopsSync(options: StartGitopsOptions): RunningGitopsSync {
  const name = checkSyncName(options.name ?? 'default');
  const url = checkRepoUrl(options.repo);
  const branch = checkBranch(options.branch);
  let path: string;
  try {
    path = normalizeRepoPath(options.path);
  } catch (err) {
    throw new InvalidError((err as Error).message, [{ field: 'path', message: (err as Error).message }]);
  }
  if (!(options.intervalMs > 0)) throw new InvalidError('GitOps sync interval must be positive', [{ field: 'interval', message: 'must be > 0' }]);
  const dir = join(options.stateDir ?? defaultStateDir(), name);
  const now = options.now ?? (() => new Date());
  let redact = createRedactor([]);
  const source = lazySource(async () => {
    const credentials = await loadGitCredentials(options.credentialsFile);
    if (credentials.kind === 'token') redact = createRedactor(credentials.secrets);
    const askpass = credentials.kind === 'token' ? await writeAskpassHelper(dir) : undefined;
    return new GitSource({ url, branch, cacheDir: join(dir, 'repo.git'), env: gitEnvironment(credentials, askpass), run: options.runGit, redact: (t) => redact(t) });
  });
  const sync = new GitopsSync({
    name,
    path,
    prune: options.prune,
    source,
    api: new HttpResourceApi({ server: options.apiUrl, token: options.token, fetch: options.fetch }),
    now,
    log: options.log,
    metrics: createGitopsMetrics(options.registry),
    store: new JsonStatusFile(join(dir, 'status.json')),
    redact: (t) => redact(t),
  });
  const spec = { repo: url, branch, path, intervalSeconds: options.intervalMs / 1000, prune: options.prune };
  const status = (): GitopsSyncDocument => ({
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'GitopsSync',
    metadata: { name },
    spec,
    status: sync.status(),
  });
  const handle = { status, sync: (o?: { dryRun?: boolean }) => sync.run(o ?? {}) };
  const loop = startLoop(() => sync.run(), options.intervalMs);
  options.log(`gitops ${name}: syncing ${url} branch ${branch} path ${path || '/'} every ${options.intervalMs / 1000}s (prune ${options.prune ? 'on' : 'off'})`);
  return { ...handle, router: createGitopsRouter(handle), stop: loop.stop };
}

/** A ManifestSource built on first use, so construction stays synchronous; a failed build is retried. */
function lazySource(build: () => Promise<ManifestSource>): ManifestSource {
  let built: Promise<ManifestSource> | undefined;
  const get = (): Promise<ManifestSource> => {
    built ??= build().catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    return built;
  };
  return {
    resolve: async () => (await get()).resolve(),
    readFiles: async (commit: string, path: string): Promise<SourceFile[]> => (await get()).readFiles(commit, path),
  };
}

/** Run `task` now and then `intervalMs` after each run ends, until stopped. */
function startLoop(task: () => Promise<unknown>, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  const tick = (): void => {
    inFlight = task().finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs).unref();
    });
  };
  timer = setTimeout(tick, 0).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight.catch(() => undefined);
    },
  };
}

function checkSyncName(name: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,54}[a-z0-9])?$/.test(name)) {
    throw new InvalidError(`invalid GitOps sync name "${name}"`, [
      { field: 'name', message: 'must be a DNS-1123 label of at most 56 characters' },
    ]);
  }
  return name;
}

function defaultStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/dockfence/gitops' : join(process.cwd(), '.dockfence-gitops');
}
