import { describe, expect, it } from 'vitest';
import { describeObject } from './describe.js';
import { parseGetTargets, parseOutputFormat } from './get.js';
import { historyTable } from './history.js';
import { resolveKind } from './kinds.js';
import { comparable } from './diff.js';

const now = new Date('2025-01-01T01:00:00Z');
const policy = {
  apiVersion: 'dockfence.io/v1alpha1',
  kind: 'IsolationPolicy',
  metadata: {
    name: 'lab-isolation',
    uid: 'u-1',
    generation: 2,
    resourceVersion: '7',
    creationTimestamp: '2025-01-01T00:00:00Z',
    labels: { example: 'article-lab', app: 'x' },
    managedFields: [{ manager: 'dockfence-cli' }],
  },
  spec: { networks: { names: ['int-app1', 'ext-app2'] }, host: 'Deny' },
  status: {
    observedGeneration: 1,
    conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: 'ruleset applied', lastTransitionTime: '2025-01-01T00:59:00Z' }],
    matchedContainers: ['app1-wordpress', 'app2-nginx'],
    matchedNetworks: ['ext-app2', 'int-app1'],
    droppedPackets: 42,
  },
};

describe('describeObject', () => {
  it('shows metadata, spec, status conditions, matches, drops and history', () => {
    const history = [
      { generation: 1, resourceVersion: '3', timestamp: '2025-01-01T00:00:00Z', spec: {} },
      { generation: 2, resourceVersion: '7', timestamp: '2025-01-01T00:30:00Z', spec: {} },
    ];
    const text = describeObject(resolveKind('ip'), policy, history, now).join('\n');
    expect(text).toContain('Name:              lab-isolation');
    expect(text).toContain('Labels:            app=x\n                   example=article-lab');
    expect(text).toContain('Spec:\n  host: Deny\n  networks:\n    names:\n      - int-app1');
    expect(text).toContain('Observed Generation:  1 (older than the spec)');
    expect(text).toContain('Matched Containers:   app1-wordpress, app2-nginx');
    expect(text).toContain('Dropped Packets:      42');
    expect(text).toMatch(/TYPE\s+STATUS\s+REASON\s+SINCE\s+MESSAGE\n\s+Ready\s+True\s+Applied\s+2025-01-01T00:59:00Z \(60s ago\)\s+ruleset applied/);
    expect(text).toMatch(/History:\n\s+GENERATION\s+RESOURCE VERSION\s+CHANGED\n\s+1\s+3\s+2025-01-01T00:00:00Z \(60m ago\)\n\s+2 \(current\)\s+7/);
  });

  it('says when there is no status or no history endpoint', () => {
    const text = describeObject(resolveKind('ip'), { ...policy, status: undefined }, 'no history here', now).join('\n');
    expect(text).toContain('Status:  <none> (not reconciled yet)');
    expect(text).toContain('History:  <unavailable: no history here>');
  });

  it('formats the history table', () => {
    expect(historyTable([{ generation: 1, spec: {} }], 1, now)).toEqual(['GENERATION    RESOURCE VERSION   CHANGED', '1 (current)                      <unknown>']);
  });
});

describe('get arguments', () => {
  it('parses kinds, names, KIND/NAME and the dockfence category', () => {
    expect(parseGetTargets('ip', ['a', 'b']).map((t) => [t.info.kind, t.names])).toEqual([['IsolationPolicy', ['a', 'b']]]);
    expect(parseGetTargets('ip,er', []).map((t) => t.info.kind)).toEqual(['IsolationPolicy', 'ExposeRule']);
    expect(parseGetTargets('dockfence', []).map((t) => t.info.kind)).toEqual(['IsolationPolicy', 'ExposeRule', 'EgressException']);
    expect(parseGetTargets('ip/a', ['er/b', 'ip/c']).map((t) => [t.info.kind, t.names])).toEqual([
      ['IsolationPolicy', ['a', 'c']],
      ['ExposeRule', ['b']],
    ]);
    expect(() => parseGetTargets('ip,er', ['a'])).toThrow('use KIND/NAME');
    expect(() => parseGetTargets('ip/a', ['b'])).toThrow('resource/name form');
    expect(() => parseGetTargets('nodes', [])).toThrow('doesn\'t have a resource type "nodes"');
  });

  it('validates -o', () => {
    expect(parseOutputFormat(undefined)).toBe('table');
    expect(parseOutputFormat('name')).toBe('name');
    expect(() => parseOutputFormat('jsonpath')).toThrow('allowed formats are: json,name,wide,yaml');
  });
});

describe('diff comparable', () => {
  it('drops status, resourceVersion and managedFields but keeps generation', () => {
    const c = comparable(policy) as { metadata: Record<string, unknown>; status?: unknown };
    expect(c.status).toBeUndefined();
    expect(c.metadata.resourceVersion).toBeUndefined();
    expect(c.metadata.managedFields).toBeUndefined();
    expect(c.metadata.generation).toBe(2);
    expect(policy.metadata.managedFields).toHaveLength(1);
  });
});
