// Field ownership: FieldsV1, updates taking fields, apply conflicts, force, removal of dropped fields.
import { describe, expect, it } from 'vitest';
import { applyConfiguration, fromFieldsV1, FieldManagerConflictError, recordUpdate, toFieldsV1, type ManagedFieldsEntry } from './managed-fields.js';

const now = new Date('2025-01-01T00:00:00Z');
const apiVersion = 'dockfence.io/v1alpha1';
const base = { apiVersion, kind: 'IsolationPolicy' };

describe('managed fields', () => {
  it('round-trips leaf paths through FieldsV1', () => {
    const paths = [['spec', 'mode'], ['metadata', 'labels', 'app.kubernetes.io/name']];
    expect(toFieldsV1(paths)).toEqual({ 'f:spec': { 'f:mode': {} }, 'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {} } } });
    expect(fromFieldsV1(toFieldsV1(paths))).toEqual(paths);
  });

  it('gives an updater the fields it changed, taking them from others', () => {
    const created = recordUpdate({ entries: [], manager: 'a', before: undefined, after: { ...base, metadata: { name: 'p' }, spec: { mode: 'Audit', host: 'Deny' } }, apiVersion, now });
    expect(created).toMatchObject([{ manager: 'a', operation: 'Update', fieldsV1: { 'f:spec': { 'f:mode': {}, 'f:host': {} } } }]);
    const updated = recordUpdate({
      entries: created,
      manager: 'b',
      before: { ...base, metadata: { name: 'p' }, spec: { mode: 'Audit', host: 'Deny' } },
      after: { ...base, metadata: { name: 'p', labels: { x: 'y' } }, spec: { mode: 'Enforce', host: 'Deny' } },
      apiVersion,
      now,
    });
    expect(updated.map((e) => [e.manager, fromFieldsV1(e.fieldsV1)])).toEqual([
      ['a', [['spec', 'host']]],
      ['b', [['metadata', 'labels', 'x'], ['spec', 'mode']]],
    ]);
  });

  it('applies, then reports a conflict with another manager unless forced', () => {
    const live = { ...base, metadata: { name: 'p' }, spec: { networks: {}, mode: 'Audit' } };
    const entries: ManagedFieldsEntry[] = recordUpdate({ entries: [], manager: 'editor', before: undefined, after: live, apiVersion, now });
    const config = { ...base, metadata: { name: 'p' }, spec: { networks: {}, mode: 'Enforce' } };
    const liveWithFields = { ...live, metadata: { ...live.metadata, managedFields: entries } };
    expect(() => applyConfiguration({ live: liveWithFields, config, manager: 'ci', force: false, apiVersion, now })).toThrow(FieldManagerConflictError);
    try {
      applyConfiguration({ live: liveWithFields, config, manager: 'ci', force: false, apiVersion, now });
    } catch (err) {
      expect((err as Error).message).toBe('Apply failed with 1 conflict: conflict with "editor" using dockfence.io/v1alpha1: .spec.mode');
      expect((err as FieldManagerConflictError).causes).toEqual([{ reason: 'FieldManagerConflict', field: '.spec.mode', message: 'conflict with "editor" using dockfence.io/v1alpha1' }]);
    }
    const forced = applyConfiguration({ live: liveWithFields, config, manager: 'ci', force: true, apiVersion, now });
    expect(forced.spec).toEqual({ networks: {}, mode: 'Enforce' });
    const owners = (forced.metadata as { managedFields: ManagedFieldsEntry[] }).managedFields.map((e) => [e.manager, e.operation, fromFieldsV1(e.fieldsV1)]);
    expect(owners).toEqual([
      ['editor', 'Update', [['spec', 'networks']]],
      ['ci', 'Apply', [['spec', 'networks'], ['spec', 'mode']]],
    ]);
  });

  it('shares fields set to the same value and removes fields an applier stops setting', () => {
    const first = applyConfiguration({ live: undefined, config: { ...base, metadata: { name: 'p', labels: { a: '1' } }, spec: { networks: {}, mode: 'Audit' } }, manager: 'ci', force: false, apiVersion, now });
    const second = applyConfiguration({ live: first, config: { ...base, metadata: { name: 'p' }, spec: { networks: {} } }, manager: 'ci', force: false, apiVersion, now });
    expect(second.spec).toEqual({ networks: {} });
    expect((second.metadata as { labels?: unknown }).labels).toEqual({});
    const shared = applyConfiguration({ live: second, config: { ...base, metadata: { name: 'p' }, spec: { networks: {} } }, manager: 'other', force: false, apiVersion, now });
    expect((shared.metadata as { managedFields: ManagedFieldsEntry[] }).managedFields.map((e) => e.manager)).toEqual(['ci', 'other']);
  });
});
