import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiStatusError } from './api-client.js';
import { FakeResourceApi } from './fake-api.js';
import { MANAGED_BY_LABEL, PRUNE_ANNOTATION, REVISION_ANNOTATION, type SourceFile } from './manifests.js';
import { createGitopsMetrics } from './metrics.js';
import type { GitopsStatus, StatusStore } from './status.js';
import { GitopsSync, type ManifestSource } from './sync.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
const C3 = '3'.repeat(40);

function policy(name: string, sameNetwork = 'Allow', extra = ''): string {
  return `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata:
  name: ${name}
${extra}spec:
  networks: {names: [net-${name}]}
  sameNetwork: ${sameNetwork}
`;
}

class FakeSource implements ManifestSource {
  commit = C1;
  files: Record<string, string> = {};
  failure?: Error;
  async resolve(): Promise<string> {
    if (this.failure) throw this.failure;
    return this.commit;
  }
  async readFiles(commit: string, path: string): Promise<SourceFile[]> {
    expect(commit).toBe(this.commit);
    return Object.entries(this.files)
      .filter(([p]) => p.startsWith(`${path}/`))
      .map(([p, text]) => ({ path: p, text }));
  }
}

class MemoryStore implements StatusStore {
  saved?: GitopsStatus;
  async load(): Promise<GitopsStatus | undefined> {
    return this.saved && structuredClone(this.saved);
  }
  async save(status: GitopsStatus): Promise<void> {
    this.saved = structuredClone(status);
  }
}

describe('GitopsSync', () => {
  let source: FakeSource;
  let api: FakeResourceApi;
  let store: MemoryStore;
  let registry: Registry;
  let logs: string[];
  const make = (prune: boolean, metrics = true) =>
    new GitopsSync({
      name: 'main',
      path: 'policies',
      prune,
      source,
      api,
      now: () => new Date('2025-01-02T03:04:05Z'),
      log: (m) => logs.push(m),
      metrics: metrics ? createGitopsMetrics(registry) : undefined,
      store,
    });
  const metric = async (name: string): Promise<string[]> =>
    (await registry.metrics()).split('\n').filter((l) => l.startsWith(name));

  beforeEach(() => {
    source = new FakeSource();
    api = new FakeResourceApi();
    store = new MemoryStore();
    registry = new Registry();
    logs = [];
    api.validate = (m) => {
      const same = (m.spec as { sameNetwork?: string } | undefined)?.sameNetwork;
      return same === 'Allow' || same === 'Deny' || same === undefined
        ? []
        : [{ field: 'spec.sameNetwork', message: `Unsupported value: "${same}": supported values: "Allow", "Deny"` }];
    };
  });

  it('applies every object stamped with the sync label and the commit, and records status and metrics', async () => {
    source.files = { 'policies/a.yaml': `${policy('a')}---\n${policy('b')}`, 'other/x.yaml': policy('x') };
    const result = await make(false).run();
    expect(result).toMatchObject({ result: 'applied', revision: C1 });
    expect(result.changes.map((c) => `${c.name} ${c.action} ${c.where}`)).toEqual(['a created policies/a.yaml:1', 'b created policies/a.yaml:9']);
    const a = api.objects.get('IsolationPolicy/a')!;
    expect(a.metadata.labels?.[MANAGED_BY_LABEL]).toBe('gitops-main');
    expect(a.metadata.annotations?.[REVISION_ANNOTATION]).toBe(C1);
    expect(api.objects.has('IsolationPolicy/x')).toBe(false);
    expect(store.saved).toMatchObject({
      lastAttemptedRevision: C1,
      lastAppliedRevision: C1,
      inventory: [{ kind: 'IsolationPolicy', name: 'a' }, { kind: 'IsolationPolicy', name: 'b' }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded' }],
    });
    expect(await metric('dockfence_gitops_sync_total{result="applied"}')).toEqual(['dockfence_gitops_sync_total{result="applied"} 1']);
    expect(await metric('dockfence_gitops_revision_info')).toContain(`dockfence_gitops_revision_info{revision="${C1}"} 1`);
    expect(await metric('dockfence_gitops_last_sync_timestamp_seconds')).toContain('dockfence_gitops_last_sync_timestamp_seconds 1735787045');
  });

  it('writes nothing when the commit and the objects are unchanged', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    const sync = make(false);
    await sync.run();
    const writes = api.writes.length;
    const again = await sync.run();
    expect(again.result).toBe('noop');
    expect(again.changes).toEqual([{ kind: 'IsolationPolicy', name: 'a', action: 'unchanged', where: 'policies/a.yaml:1' }]);
    expect(api.writes.length).toBe(writes);
  });

  it('updates an edited object and restamps the others with the new commit', async () => {
    source.files = { 'policies/a.yaml': policy('a'), 'policies/b.yaml': policy('b') };
    const sync = make(false);
    await sync.run();
    source.commit = C2;
    source.files['policies/a.yaml'] = policy('a', 'Deny');
    const result = await sync.run();
    expect(result.changes.map((c) => `${c.name} ${c.action}`)).toEqual(['a configured', 'b unchanged']);
    expect(api.objects.get('IsolationPolicy/a')!.spec).toMatchObject({ sameNetwork: 'Deny' });
    expect(api.objects.get('IsolationPolicy/b')!.metadata.annotations?.[REVISION_ANNOTATION]).toBe(C2);
    expect(sync.status().driftHealedTotal).toBe(0);
  });

  it('puts back a managed object changed or deleted outside git at the same commit, and counts it', async () => {
    source.files = { 'policies/a.yaml': policy('a'), 'policies/b.yaml': policy('b') };
    const sync = make(false);
    await sync.run();
    api.put('IsolationPolicy', 'a', { networks: { names: ['net-a'] }, sameNetwork: 'Deny' }, api.objects.get('IsolationPolicy/a')!.metadata);
    api.objects.delete('IsolationPolicy/b');
    const result = await sync.run();
    expect(result.changes).toMatchObject([
      { name: 'a', action: 'configured', drift: true },
      { name: 'b', action: 'created', drift: true },
    ]);
    expect(api.objects.get('IsolationPolicy/a')!.spec).toMatchObject({ sameNetwork: 'Allow' });
    expect(api.objects.has('IsolationPolicy/b')).toBe(true);
    expect(sync.status().driftHealedTotal).toBe(2);
    expect(await metric('dockfence_gitops_drift_healed_total')).toContain('dockfence_gitops_drift_healed_total 2');
  });

  it('applies nothing of a commit with one invalid object and names file, object and field; the next good commit applies', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    const sync = make(true);
    await sync.run();
    source.commit = C2;
    source.files = { 'policies/a.yaml': policy('a', 'Deny'), 'policies/bad.yaml': `${policy('c')}---\n${policy('bad', 'Maybe')}` };
    const writes = api.writes.length;
    const failed = await sync.run();
    expect(api.writes.length).toBe(writes);
    expect(failed.result).toBe('error');
    expect(failed.error?.failures).toEqual([
      {
        where: 'policies/bad.yaml:9',
        kind: 'IsolationPolicy',
        name: 'bad',
        field: 'spec.sameNetwork',
        message: 'Unsupported value: "Maybe": supported values: "Allow", "Deny"',
      },
    ]);
    const status = sync.status();
    expect(status).toMatchObject({ lastAttemptedRevision: C2, lastAppliedRevision: C1 });
    expect(status.conditions[0]).toMatchObject({ status: 'False', reason: 'ValidationFailed' });
    expect(status.conditions[0]!.message).toContain('policies/bad.yaml:9: IsolationPolicy "bad": spec.sameNetwork');
    expect(status.lastError?.failures[0]?.field).toBe('spec.sameNetwork');
    expect(await metric('dockfence_gitops_sync_total{result="error"}')).toEqual(['dockfence_gitops_sync_total{result="error"} 1']);

    source.commit = C3;
    source.files = { 'policies/a.yaml': policy('a', 'Deny'), 'policies/c.yaml': policy('c') };
    const ok = await sync.run();
    expect(ok.result).toBe('applied');
    expect(sync.status()).toMatchObject({ lastAppliedRevision: C3, conditions: [{ status: 'True' }] });
    expect(sync.status().lastError).toBeUndefined();
    expect(api.objects.get('IsolationPolicy/a')!.spec).toMatchObject({ sameNetwork: 'Deny' });
  });

  it('reports YAML and kind problems by file and line, applying nothing', async () => {
    source.files = {
      'policies/a.yaml': policy('a'),
      'policies/broken.yaml': 'kind: [unclosed\n',
      'policies/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n',
    };
    const result = await make(false).run();
    expect(result.error?.reason).toBe('ManifestInvalid');
    expect(result.error?.failures.map((f) => `${f.where} ${f.field ?? ''}`)).toEqual(['policies/broken.yaml:2 ', 'policies/deploy.yaml:1 apiVersion']);
    expect(api.writes).toEqual([]);
  });

  it('prunes objects removed from git only with prune on, never hand-made or opted-out ones', async () => {
    api.put('IsolationPolicy', 'by-hand', { networks: {} });
    source.files = {
      'policies/a.yaml': policy('a'),
      'policies/b.yaml': policy('b'),
      'policies/keep.yaml': policy('keep', 'Allow', `  annotations: {${PRUNE_ANNOTATION}: disabled}\n`),
      'policies/taken.yaml': policy('taken'),
    };
    const sync = make(true);
    await sync.run();
    // Someone takes "taken" over by hand: the label is gone, so prune must leave it.
    const taken = api.objects.get('IsolationPolicy/taken')!;
    taken.metadata.labels = {};
    source.commit = C2;
    source.files = { 'policies/a.yaml': policy('a') };
    const result = await sync.run();
    expect(result.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.name} ${c.action}`)).toEqual([
      'b pruned',
      'keep skipped',
      'taken skipped',
    ]);
    expect([...api.objects.keys()].sort()).toEqual(['IsolationPolicy/a', 'IsolationPolicy/by-hand', 'IsolationPolicy/keep', 'IsolationPolicy/taken']);
    expect(sync.status()).toMatchObject({ inventory: [{ name: 'a' }], prunedTotal: 1 });
    expect(await metric('dockfence_gitops_objects_pruned_total')).toContain('dockfence_gitops_objects_pruned_total 1');
  });

  it('leaves removed objects in place without prune', async () => {
    source.files = { 'policies/a.yaml': policy('a'), 'policies/b.yaml': policy('b') };
    const sync = make(false);
    await sync.run();
    source.commit = C2;
    delete source.files['policies/b.yaml'];
    const result = await sync.run();
    expect(result.changes.find((c) => c.name === 'b')).toMatchObject({ action: 'orphaned' });
    expect(api.objects.has('IsolationPolicy/b')).toBe(true);
    expect(api.writes.some((w) => w.startsWith('delete'))).toBe(false);
  });

  it('remembers its inventory across restarts, so prune still works', async () => {
    source.files = { 'policies/a.yaml': policy('a'), 'policies/b.yaml': policy('b') };
    await make(true, false).run();
    source.commit = C2;
    delete source.files['policies/b.yaml'];
    const restarted = make(true, false);
    const result = await restarted.run();
    expect(result.changes.find((c) => c.name === 'b')).toMatchObject({ action: 'pruned' });
    expect(api.objects.has('IsolationPolicy/b')).toBe(false);
  });

  it('a dry run reports what would change and writes nothing, not even status', async () => {
    source.files = { 'policies/a.yaml': policy('a'), 'policies/b.yaml': policy('b') };
    const sync = make(true);
    await sync.run();
    const saved = structuredClone(store.saved);
    source.commit = C2;
    source.files = { 'policies/a.yaml': policy('a', 'Deny'), 'policies/c.yaml': policy('c') };
    const writes = api.writes.length;
    const plan = await sync.run({ dryRun: true });
    expect(plan).toMatchObject({ dryRun: true, result: 'applied', revision: C2 });
    expect(plan.changes.map((c) => `${c.name} ${c.action}`)).toEqual(['a configured', 'c created', 'b pruned']);
    expect(api.writes.length).toBe(writes);
    expect(store.saved).toEqual(saved);
  });

  it('reports a failed fetch and recovers on the next run; the newest head is always resolved', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    source.failure = new Error('fetching branch main of https://git.example/r.git: could not read Username');
    const sync = make(false);
    const failed = await sync.run();
    expect(failed.error?.reason).toBe('FetchFailed');
    expect(sync.status().conditions[0]).toMatchObject({ status: 'False', reason: 'FetchFailed' });
    source.failure = undefined;
    source.commit = C2;
    expect(await sync.run()).toMatchObject({ result: 'applied', revision: C2 });
  });

  it('reports an unreachable API without writing', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    api.down = true;
    const sync = make(false);
    const result = await sync.run();
    expect(result.error?.reason).toBe('ApiUnavailable');
    expect(sync.status().lastError?.message).toContain('ECONNREFUSED');
  });

  it('treats an API refusal that is not about the object (401) as an API error, not invalid manifests', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    api.apply = async () => {
      throw new ApiStatusError('Unauthorized', 401, 'Unauthorized', []);
    };
    const result = await make(false).run();
    expect(result.error).toMatchObject({ reason: 'ApiError', failures: [] });
  });

  it('keeps what a half-finished apply wrote in the inventory and does not advance lastAppliedRevision', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    const sync = make(true);
    await sync.run();
    source.commit = C2;
    source.files = { 'policies/a.yaml': policy('a', 'Deny'), 'policies/b.yaml': policy('b'), 'policies/c.yaml': policy('c') };
    const real = api.apply.bind(api);
    api.apply = async (manifest, options) => {
      if (!options.dryRun && manifest.metadata.name === 'c') throw new ApiStatusError('etcd on fire', 500, 'InternalError', []);
      return real(manifest, options);
    };
    const result = await sync.run();
    expect(result.error?.reason).toBe('ApplyFailed');
    expect(result.error?.message).toContain('stopped at IsolationPolicy "c"');
    expect(sync.status()).toMatchObject({
      lastAppliedRevision: C1,
      lastAttemptedRevision: C2,
      inventory: [{ name: 'a' }, { name: 'b' }],
      conditions: [{ status: 'False', reason: 'ApplyFailed' }],
    });
  });

  it('runs requests one at a time and merges requests that arrive while one waits', async () => {
    source.files = { 'policies/a.yaml': policy('a') };
    const sync = make(false);
    let resolves = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const original = source.resolve.bind(source);
    source.resolve = async () => {
      resolves++;
      if (resolves === 1) {
        entered();
        await gate;
      }
      return original();
    };
    const first = sync.run();
    await inside;
    const waiting = [sync.run(), sync.run(), sync.run()];
    release();
    const results = await Promise.all([first, ...waiting]);
    expect(resolves).toBe(2);
    expect(results[0]!.result).toBe('applied');
    expect(results[1]!.result).toBe('noop');
    expect(results[1]).toBe(results[3]);
  });

  it('scrubs secrets from what it logs and records', async () => {
    const secret = 'ghp_supersecrettoken123';
    source.failure = new Error(`fetch failed: auth ${secret} rejected`);
    const sync = new GitopsSync({
      name: 'main', path: 'policies', prune: false, source, api, now: () => new Date(), log: (m) => logs.push(m), store,
      redact: (t) => t.split(secret).join('***'),
    });
    await sync.run();
    expect(JSON.stringify(sync.status())).not.toContain(secret);
    expect(JSON.stringify(store.saved)).not.toContain(secret);
    expect(logs.join('\n')).not.toContain(secret);
    expect(logs.join('\n')).toContain('auth *** rejected');
  });
});
