import { describe, expect, it } from 'vitest';
import { age, alignColumns, formatCell, tableCell, humanDuration, renderTable, tableFromObjects, toJson, toYaml, type KubeTable } from './output.js';

const TABLE: KubeTable = {
  kind: 'Table',
  columnDefinitions: [
    { name: 'Name', type: 'string', format: 'name' },
    { name: 'Mode', type: 'string' },
    { name: 'Networks', type: 'string', priority: 1 },
    { name: 'Age', type: 'date' },
  ],
  rows: [
    { cells: ['lab-isolation', 'Enforce', ['int-app1', 'ext-app2'], '5m'] },
    { cells: ['audit-everything', null, [], '2d'] },
  ],
};

describe('renderTable', () => {
  it('prints upper-case headers, pads columns by three, hides priority columns', () => {
    expect(renderTable(TABLE)).toEqual([
      'NAME               MODE      AGE',
      'lab-isolation      Enforce   5m',
      'audit-everything             2d',
    ]);
  });

  it('shows priority columns with wide, and supports no headers, name prefixes and events', () => {
    expect(renderTable(TABLE, { wide: true })[1]).toBe('lab-isolation      Enforce   int-app1,ext-app2   5m');
    expect(renderTable(TABLE, { noHeaders: true })).toHaveLength(2);
    expect(renderTable(TABLE, { namePrefix: 'isolationpolicy.dockfence.io/' })[1]).toMatch(/^isolationpolicy\.dockfence\.io\/lab-isolation\s/);
    expect(renderTable(TABLE, { events: ['ADDED', 'DELETED'] })[0]).toMatch(/^EVENT\s+NAME\s+MODE\s+AGE$/);
    expect(renderTable(TABLE, { events: ['ADDED', 'DELETED'] })[2]).toMatch(/^DELETED\s+audit-everything/);
  });

  it('aligns ragged rows and formats cells', () => {
    expect(alignColumns([['a', 'bb'], ['ccc', 'd']])).toEqual(['a     bb', 'ccc   d']);
    expect(formatCell(undefined)).toBe('<none>');
    expect(tableCell(null)).toBe('');
    expect(formatCell(3)).toBe('3');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
  });
});

describe('ages', () => {
  it.each([
    [-5, '<invalid>'],
    [0, '0s'],
    [119, '119s'],
    [150, '2m30s'],
    [300, '5m'],
    [3 * 3600 - 1, '179m'],
    [3 * 3600 + 60 * 5, '3h5m'],
    [10 * 3600, '10h'],
    [50 * 3600, '2d2h'],
    [30 * 86400, '30d'],
    [3 * 365 * 86400 + 86400, '3y1d'],
    [9 * 365 * 86400, '9y'],
  ])('%d seconds -> %s', (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });

  it('ages timestamps against a given clock', () => {
    const now = new Date('2025-01-01T00:10:00Z');
    expect(age('2025-01-01T00:00:00Z', now)).toBe('10m');
    expect(age(undefined, now)).toBe('<unknown>');
    const table = tableFromObjects([{ metadata: { name: 'x', creationTimestamp: '2025-01-01T00:09:00Z' } }], now);
    expect(renderTable(table)).toEqual(['NAME   AGE', 'x      60s']);
  });
});

describe('YAML and JSON output', () => {
  it('sorts keys recursively and never folds long lines', () => {
    const object = { spec: { b: 1, a: 'x'.repeat(120) }, apiVersion: 'v', kind: 'K' };
    const yaml = toYaml(object);
    expect(yaml.split('\n').slice(0, 4)).toEqual(['apiVersion: v', 'kind: K', 'spec:', `  a: ${'x'.repeat(120)}`]);
    expect(toJson(object)).toBe(`{\n    "apiVersion": "v",\n    "kind": "K",\n    "spec": {\n        "a": "${'x'.repeat(120)}",\n        "b": 1\n    }\n}\n`);
  });
});
