// GitOps sync end to end with real git and the real API server on 127.0.0.1: a bare repository
// the test pushes to, startGitopsSync as serve wires it, objects read back through the API.
// Covers apply, edit, prune (only with prune; never hand-made objects), all-or-nothing
// validation, self-heal of kubectl edits, and the status/webhook routes.

import { rm } from 'node:fs/promises';
import { execa } from 'execa';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { startGitopsSync, type RunningGitopsSync } from '../../src/gitops/start.js';
import { eventually, startRealApi, tempDir, TestRepo } from './gitops-harness.js';

const BASE = '/apis/dockfence.io/v1alpha1';

function policy(name: string, sameNetwork = 'Allow', metadataExtra = ''): string {
  return `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata:
  name: ${name}
${metadataExtra}spec:
  networks: {names: [net-${name}]}
  sameNetwork: ${sameNetwork}
  protectedCidrs: [10.10.10.0/24]
`;
}

const EXPOSE = `apiVersion: dockfence.io/v1alpha1
kind: ExposeRule
metadata: {name: dev-web}
spec:
  target: {names: [web]}
  ports: [{port: 80, protocol: tcp, hostPort: 8080}]
`;

const EGRESS = `apiVersion: dockfence.io/v1alpha1
kind: EgressException
metadata: {name: dev-egress}
spec:
  source: {names: [app]}
  to: [{cidr: 10.10.10.55/32, ports: [{port: 80, protocol: tcp}]}]
`;

interface Obj {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

describe('GitOps sync through the real API server', () => {
  let repo: TestRepo;
  let api: Awaited<ReturnType<typeof startRealApi>>;
  let server: RunningServer;
  let stateDir: string;
  const running: RunningGitopsSync[] = [];
  const logs: string[] = [];

  const get = async (plural: string, name: string): Promise<Obj | undefined> => {
    const res = await fetch(`${server.url}${BASE}/${plural}/${name}`);
    if (res.status === 404) return undefined;
    expect(res.status).toBe(200);
    return (await res.json()) as Obj;
  };
  const start = (name: string, path: string, prune: boolean, intervalMs = 3_600_000, registry = new Registry()) => {
    const sync = startGitopsSync({ name, repo: repo.bare, branch: 'main', path, prune, intervalMs, apiUrl: server.url, registry, log: (m) => logs.push(m), stateDir });
    running.push(sync);
    return sync;
  };
  /** Start, run once on demand, and let the loop's own first run finish, so nothing races the test. */
  const startSettled = async (name: string, path: string, prune: boolean, registry: Registry) => {
    const sync = start(name, path, prune, 3_600_000, registry);
    const first = await sync.sync();
    await sync.sync();
    return { sync, first };
  };

  beforeAll(async () => {
    repo = await TestRepo.create();
    api = await startRealApi();
    server = api.server;
    stateDir = await tempDir('dockfence-gitops-state-');
  });

  afterAll(async () => {
    for (const sync of running) await sync.stop();
    await api?.close();
    await repo?.cleanup();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  describe('without prune', () => {
    let dev: RunningGitopsSync;
    const registry = new Registry();

    it('applies the resources of a commit, stamped with the sync and the commit', async () => {
      const commit = await repo.commit({
        'dev/policies.yaml': `${policy('dev-lockdown')}---\n${EXPOSE}`,
        'dev/egress.yml': EGRESS,
        'dev/README.md': '# not a manifest\n',
        'elsewhere/ignored.yaml': policy('elsewhere-ignored'),
      });
      const started = await startSettled('dev', 'dev', false, registry);
      dev = started.sync;
      const result = started.first;
      expect(result).toMatchObject({ result: 'applied', revision: commit });
      const lockdown = await get('isolationpolicies', 'dev-lockdown');
      expect(lockdown?.metadata.labels?.['dockfence.io/managed-by']).toBe('gitops-dev');
      expect(lockdown?.metadata.annotations?.['dockfence.io/gitops-revision']).toBe(commit);
      expect((await get('exposerules', 'dev-web'))?.spec).toMatchObject({ target: { names: ['web'] } });
      expect(await get('egressexceptions', 'dev-egress')).toBeDefined();
      expect(await get('isolationpolicies', 'elsewhere-ignored')).toBeUndefined();
      const status = dev.status().status;
      expect(status).toMatchObject({ lastAttemptedRevision: commit, lastAppliedRevision: commit, conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded' }] });
      expect(status.inventory).toEqual([
        { kind: 'IsolationPolicy', name: 'dev-lockdown' },
        { kind: 'ExposeRule', name: 'dev-web' },
        { kind: 'EgressException', name: 'dev-egress' },
      ]);
      const text = await registry.metrics();
      expect(text).toContain('dockfence_gitops_sync_total{result="applied"} 1');
      expect(text).toContain('dockfence_gitops_sync_total{result="noop"} 1');
      expect(text).toContain(`dockfence_gitops_revision_info{revision="${commit}"} 1`);
      expect(text).toMatch(/dockfence_gitops_last_sync_timestamp_seconds \d{10}/);
    });

    it('applies an edit', async () => {
      await repo.commit({ 'dev/policies.yaml': `${policy('dev-lockdown', 'Deny')}---\n${EXPOSE}` });
      const result = await dev.sync();
      expect(result.changes.find((c) => c.name === 'dev-lockdown')).toMatchObject({ action: 'configured' });
      expect(result.changes.find((c) => c.name === 'dev-web')).toMatchObject({ action: 'unchanged' });
      expect((await get('isolationpolicies', 'dev-lockdown'))?.spec.sameNetwork).toBe('Deny');
    });

    it('leaves an object whose file was removed in place', async () => {
      await repo.commit({ 'dev/egress.yml': null });
      const result = await dev.sync();
      expect(result.changes.find((c) => c.name === 'dev-egress')).toMatchObject({ action: 'orphaned' });
      expect(await get('egressexceptions', 'dev-egress')).toBeDefined();
      expect(dev.status().status.inventory.map((e) => e.name)).toEqual(['dev-lockdown', 'dev-web']);
    });

    it('serves its status and a sync webhook through the API server', async () => {
      api.mount(dev.router);
      const status = await fetch(`${server.url}${BASE}/gitops/status`);
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({
        kind: 'GitopsSync',
        metadata: { name: 'dev' },
        spec: { repo: repo.bare, branch: 'main', path: 'dev', prune: false },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      });
      const commit = await repo.commit({ 'dev/extra.yaml': policy('dev-extra') });
      const plan = await fetch(`${server.url}${BASE}/gitops/sync?dryRun=All`, { method: 'POST' });
      expect(await plan.json()).toMatchObject({ dryRun: true, revision: commit, changes: expect.arrayContaining([expect.objectContaining({ name: 'dev-extra', action: 'created' })]) });
      expect(await get('isolationpolicies', 'dev-extra')).toBeUndefined();
      const hook = await fetch(`${server.url}${BASE}/gitops/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ref":"refs/heads/main"}' });
      expect(hook.status).toBe(200);
      expect(await hook.json()).toMatchObject({ result: 'applied', revision: commit });
      expect(await get('isolationpolicies', 'dev-extra')).toBeDefined();
    });
  });

  describe('with prune', () => {
    let prod: RunningGitopsSync;
    let good: string;
    const registry = new Registry();

    it('prunes removed objects, never hand-made, taken-over or opted-out ones', async () => {
      const created = await fetch(`${server.url}${BASE}/isolationpolicies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicy', metadata: { name: 'hand-made' }, spec: { networks: { names: ['x'] } } }),
      });
      expect(created.status).toBe(201);
      await repo.commit({
        'prod/a.yaml': policy('prod-a'),
        'prod/b.yaml': policy('prod-b'),
        'prod/keep.yaml': policy('prod-keep', 'Allow', '  annotations: {dockfence.io/prune: disabled}\n'),
        'prod/taken.yaml': policy('prod-taken'),
      });
      const started = await startSettled('prod', './prod/', true, registry);
      prod = started.sync;
      expect(started.first.result).toBe('applied');
      // Someone takes prod-taken over by hand: without our label, prune must leave it alone.
      const patched = await fetch(`${server.url}${BASE}/isolationpolicies/prod-taken`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { 'dockfence.io/managed-by': null } } }),
      });
      expect(patched.status).toBe(200);

      good = await repo.commit({ 'prod/b.yaml': null, 'prod/keep.yaml': null, 'prod/taken.yaml': null });
      const result = await prod.sync();
      expect(result.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.name} ${c.action}`)).toEqual([
        'prod-b pruned',
        'prod-keep skipped',
        'prod-taken skipped',
      ]);
      expect(await get('isolationpolicies', 'prod-b')).toBeUndefined();
      for (const name of ['prod-a', 'prod-keep', 'prod-taken', 'hand-made', 'dev-lockdown']) {
        expect(await get('isolationpolicies', name), name).toBeDefined();
      }
      expect(prod.status().status).toMatchObject({ inventory: [{ kind: 'IsolationPolicy', name: 'prod-a' }], prunedTotal: 1, lastAppliedRevision: good });
      expect(await registry.metrics()).toContain('dockfence_gitops_objects_pruned_total 1');
    });

    it('applies nothing of a commit with one invalid object, names file, object and field, then applies the next good commit', async () => {
      const bad = await repo.commit({
        'prod/a.yaml': policy('prod-a', 'Deny'),
        'prod/new.yaml': policy('prod-new'),
        'prod/z-bad.yaml': `# a comment first\n${policy('prod-bad', 'Maybe')}`,
      });
      const failed = await prod.sync();
      expect(failed.result).toBe('error');
      expect((await get('isolationpolicies', 'prod-a'))?.spec.sameNetwork).toBe('Allow');
      expect(await get('isolationpolicies', 'prod-new')).toBeUndefined();
      const status = prod.status().status;
      expect(status).toMatchObject({ lastAttemptedRevision: bad, lastAppliedRevision: good });
      expect(status.conditions[0]).toMatchObject({ type: 'Ready', status: 'False', reason: 'ValidationFailed' });
      expect(status.conditions[0]!.message).toContain('prod/z-bad.yaml:2: IsolationPolicy "prod-bad": spec.sameNetwork');
      expect(status.lastError?.failures).toEqual([
        expect.objectContaining({ where: 'prod/z-bad.yaml:2', kind: 'IsolationPolicy', name: 'prod-bad', field: 'spec.sameNetwork' }),
      ]);
      expect(await registry.metrics()).toContain('dockfence_gitops_sync_total{result="error"} 1');

      const fixed = await repo.commit({ 'prod/z-bad.yaml': policy('prod-bad', 'Deny') });
      expect(await prod.sync()).toMatchObject({ result: 'applied', revision: fixed });
      expect((await get('isolationpolicies', 'prod-a'))?.spec.sameNetwork).toBe('Deny');
      expect(await get('isolationpolicies', 'prod-new')).toBeDefined();
      expect(prod.status().status).toMatchObject({ lastAppliedRevision: fixed, conditions: [{ status: 'True' }] });
      expect(prod.status().status.lastError).toBeUndefined();
    });
  });

  it('puts back an object changed with kubectl or deleted through the API at the next interval, and counts it', async () => {
    await repo.commit({ 'heal/p.yaml': policy('heal-p') });
    const registry = new Registry();
    const heal = start('heal', 'heal', false, 200, registry);
    await eventually('the first apply', async () => (await get('isolationpolicies', 'heal-p')) ?? undefined);
    const patch = ['patch', 'isolationpolicy', 'heal-p', '--type', 'merge', '-p', '{"spec":{"sameNetwork":"Deny"}}'];
    const kubectl = await execa('kubectl', ['--server', server.url, ...patch], { reject: false, env: { KUBECONFIG: '/dev/null' } });
    if (kubectl.exitCode !== 0) {
      // No kubectl on this machine: the same merge patch over HTTP.
      await fetch(`${server.url}${BASE}/isolationpolicies/heal-p`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: patch[6] });
    }
    await eventually('the kubectl edit to be reverted', async () => ((await get('isolationpolicies', 'heal-p'))?.spec.sameNetwork === 'Allow' ? true : undefined));
    expect(heal.status().status.driftHealedTotal).toBeGreaterThanOrEqual(1);

    await fetch(`${server.url}${BASE}/isolationpolicies/heal-p`, { method: 'DELETE' });
    await eventually('the deleted object to be recreated', async () => (await get('isolationpolicies', 'heal-p')) ?? undefined);
    expect(heal.status().status.driftHealedTotal).toBeGreaterThanOrEqual(2);
    expect(await registry.metrics()).toMatch(/dockfence_gitops_drift_healed_total [2-9]/);
    expect(logs.some((l) => l.includes('IsolationPolicy/heal-p restored (drift)'))).toBe(true);
  });
});
