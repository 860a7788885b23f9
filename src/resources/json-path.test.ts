// The JSONPath subset used by printer columns.
import { describe, expect, it } from 'vitest';
import { evaluateJsonPath, parseJsonPath } from './json-path.js';

const obj = {
  metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } },
  status: {
    conditions: [
      { type: 'Progressing', status: 'False' },
      { type: 'Ready', status: 'True' },
    ],
    matchedNetworks: ['n1', 'n2'],
  },
};

describe('JSONPath subset', () => {
  it('follows keys, quoted keys, indexes and wildcards', () => {
    expect(evaluateJsonPath(obj, '.metadata.name')).toEqual(['a']);
    expect(evaluateJsonPath(obj, "{.metadata.labels['app.kubernetes.io/name']}")).toEqual(['x']);
    expect(evaluateJsonPath(obj, '.status.matchedNetworks[1]')).toEqual(['n2']);
    expect(evaluateJsonPath(obj, '.status.matchedNetworks[-1]')).toEqual(['n2']);
    expect(evaluateJsonPath(obj, '.status.conditions[*].type')).toEqual(['Progressing', 'Ready']);
    expect(evaluateJsonPath(obj, '.status.missing.deeper')).toEqual([]);
  });

  it('filters list items', () => {
    expect(evaluateJsonPath(obj, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(evaluateJsonPath(obj, ".status.conditions[?(@.type!='Ready')].status")).toEqual(['False']);
    expect(evaluateJsonPath(obj, '.status.conditions[?(@.reason)]')).toEqual([]);
  });

  it('rejects what it does not understand', () => {
    expect(() => parseJsonPath('.a..b')).toThrow(/unsupported JSONPath/);
    expect(() => parseJsonPath('.a[?(@.x>1)]')).toThrow(/unsupported JSONPath/);
  });
});
