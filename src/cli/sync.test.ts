import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitopsRouter, type GitopsHandle, type GitopsSyncDocument } from '../gitops/router.js';
import type { SyncResult } from '../gitops/sync.js';
import { runCli } from './main.js';

const REV = 'a'.repeat(40);

const DOC: GitopsSyncDocument = {
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'GitopsSync',
  metadata: { name: 'default' },
  spec: { repo: 'https://git.example/policies.git', branch: 'main', path: 'hosts/h1', intervalSeconds: 60, prune: true },
  status: {
    lastAttemptedRevision: REV,
    lastAppliedRevision: REV,
    lastSyncTime: '2025-01-01T00:00:00Z',
    inventory: [{ kind: 'IsolationPolicy', name: 'lockdown' }, { kind: 'ExposeRule', name: 'web' }],
    conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: `Applied revision ${REV}: 2 unchanged`, lastTransitionTime: '2025-01-01T00:00:00Z' }],
    driftHealedTotal: 3,
    prunedTotal: 1,
  },
};

describe('dockfence sync', () => {
  let server: Server;
  let url: string;
  let next: SyncResult;
  const calls: Array<{ dryRun?: boolean }> = [];
  const handle: GitopsHandle = {
    status: () => DOC,
    sync: async (options) => {
      calls.push(options ?? {});
      return { ...next, dryRun: options?.dryRun ?? false };
    },
  };

  let configured = true;

  beforeAll(async () => {
    const app = express();
    app.use(createGitopsRouter(() => (configured ? handle : undefined)));
    app.use((_req, res) => void res.status(404).json({ kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const cli = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--server', url, ...args], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: {},
      readStdin: async () => '',
      now: () => new Date('2025-01-01T00:05:00Z'),
    });
    return { code, stdout, stderr };
  };

  it('prints each change kubectl-style and the revision', async () => {
    next = {
      dryRun: false,
      result: 'applied',
      revision: REV,
      changes: [
        { kind: 'IsolationPolicy', name: 'lockdown', action: 'configured', drift: true },
        { kind: 'ExposeRule', name: 'web', action: 'created' },
        { kind: 'EgressException', name: 'old', action: 'pruned' },
        { kind: 'IsolationPolicy', name: 'kept', action: 'skipped', reason: 'removed from git; annotated dockfence.io/prune: disabled' },
      ],
    };
    const { code, stdout } = await cli('sync');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'isolationpolicy.dockfence.io/lockdown configured (drift restored)',
      'exposerule.dockfence.io/web created',
      'egressexception.dockfence.io/old pruned',
      'isolationpolicy.dockfence.io/kept skipped (removed from git; annotated dockfence.io/prune: disabled)',
      `revision ${REV}: applied`,
    ]);
  });

  it('--dry-run asks for a plan and says nothing was written', async () => {
    next = { dryRun: true, result: 'applied', revision: REV, changes: [{ kind: 'ExposeRule', name: 'web', action: 'created' }] };
    const { code, stdout } = await cli('sync', '--dry-run');
    expect(code).toBe(0);
    expect(calls.at(-1)).toEqual({ dryRun: true });
    expect(stdout).toContain('exposerule.dockfence.io/web created (server dry run)');
    expect(stdout).toContain('dry run, nothing written');
  });

  it('exits 1 and names file, object and field when the sync failed', async () => {
    next = {
      dryRun: false,
      result: 'error',
      revision: REV,
      changes: [],
      error: {
        reason: 'ValidationFailed',
        message: 'revision aaaaaaaaaaaa not applied (1 invalid)',
        failures: [{ where: 'hosts/h1/bad.yaml:3', kind: 'IsolationPolicy', name: 'bad', field: 'spec.sameNetwork', message: 'Unsupported value: "Maybe"' }],
      },
    };
    const { code, stderr } = await cli('sync');
    expect(code).toBe(1);
    expect(stderr).toContain('error: sync failed (ValidationFailed)');
    expect(stderr).toContain('  hosts/h1/bad.yaml:3: IsolationPolicy "bad": spec.sameNetwork: Unsupported value: "Maybe"');
  });

  it('sync status prints revisions, Ready, counters and the inventory', async () => {
    const { code, stdout } = await cli('sync', 'status');
    expect(code).toBe(0);
    expect(stdout).toContain('Repository:     https://git.example/policies.git');
    expect(stdout).toContain(`Last applied:   ${REV}`);
    expect(stdout).toContain('Ready:          True (Succeeded)');
    expect(stdout).toContain('Drift healed:   3');
    expect(stdout).toContain('Last sync:      2025-01-01T00:00:00Z (5m ago)');
    expect(stdout).toContain('  isolationpolicy.dockfence.io/lockdown\n  exposerule.dockfence.io/web');
  });

  it('sync status -o json prints the document', async () => {
    const { code, stdout } = await cli('sync', 'status', '-o', 'json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(DOC);
  });

  it('says so when the server runs no sync', async () => {
    configured = false;
    const { code, stderr } = await cli('sync', 'status');
    configured = true;
    expect(code).toBe(1);
    expect(stderr).toContain('runs no GitOps sync');
  });
});
