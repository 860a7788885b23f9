// Server-side printing: kubectl age format and Table columns/rows from the CRD printer columns.
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../api/crd-loader.js';
import { buildTable, humanDuration } from './table.js';
import type { IsolationPolicy } from './types.js';

const crds = loadCrds();

describe('humanDuration (kubectl ages)', () => {
  it.each([
    [0, '0s'], [-1500, '0s'], [-5000, '<invalid>'], [45_000, '45s'], [119_000, '119s'], [200_000, '3m20s'], [300_000, '5m'],
    [65 * 60_000, '65m'], [4 * 3600_000 + 30 * 60_000, '4h30m'], [30 * 3600_000, '30h'], [3 * 86400_000, '3d'],
    [3 * 86400_000 + 5 * 3600_000, '3d5h'], [100 * 86400_000, '100d'], [800 * 86400_000, '2y70d'], [3650 * 86400_000, '10y'],
  ])('%i ms -> %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});

describe('buildTable', () => {
  const policy: IsolationPolicy = {
    apiVersion: 'dockfence.io/v1alpha1',
    kind: 'IsolationPolicy',
    metadata: { name: 'lockdown', creationTimestamp: '2025-01-01T00:00:00Z', resourceVersion: '4' },
    spec: { networks: {}, mode: 'Audit', sameNetwork: 'Deny', otherNetworks: 'Deny', host: 'Deny', external: 'Allow' },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }],
      matchedNetworks: ['int-app1', 'ext-app2'],
      droppedPackets: 12,
    },
  };

  it('has Name then the printer columns, wide ones marked with priority', () => {
    const table = buildTable(crds.byKind('IsolationPolicy'), [policy], { now: new Date('2025-01-01T00:02:00Z'), include: 'Metadata' });
    expect(table.columnDefinitions.map((c) => `${c.name}:${c.priority}`)).toEqual([
      'Name:0', 'Mode:0', 'Same:0', 'Other:0', 'Host:0', 'External:0', 'Ready:0', 'Networks:1', 'Dropped:1', 'Age:0',
    ]);
    expect(table.columnDefinitions[0]).toMatchObject({ type: 'string', format: 'name' });
    expect(table.rows[0]!.cells).toEqual(['lockdown', 'Audit', 'Deny', 'Deny', 'Deny', 'Allow', 'True', '["int-app1","ext-app2"]', 12, '2m']);
    expect(table.rows[0]!.object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: policy.metadata });
  });

  it('leaves missing values empty and carries the whole object on request', () => {
    const bare = { ...policy, status: undefined };
    const table = buildTable(crds.byKind('IsolationPolicy'), [bare], { now: new Date('2025-01-01T00:00:00Z'), include: 'Object', noHeaders: true });
    expect(table.columnDefinitions).toEqual([]);
    expect(table.rows[0]!.cells[6]).toBeNull();
    expect(table.rows[0]!.object).toBe(bare);
  });
});
