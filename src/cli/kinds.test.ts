import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { qualifiedSingular, resolveKind, resourcePath, splitKindName } from './kinds.js';

describe('resolveKind', () => {
  it.each([
    ['isolationpolicies', 'IsolationPolicy'],
    ['isolationpolicy', 'IsolationPolicy'],
    ['IsolationPolicy', 'IsolationPolicy'],
    ['ip', 'IsolationPolicy'],
    ['ISOPOL', 'IsolationPolicy'],
    ['isolationpolicies.dockfence.io', 'IsolationPolicy'],
    ['isolationpolicies.v1alpha1.dockfence.io', 'IsolationPolicy'],
    ['er', 'ExposeRule'],
    ['ExposeRules', 'ExposeRule'],
    ['exposerule', 'ExposeRule'],
    ['ee', 'EgressException'],
    ['egressexceptions', 'EgressException'],
    ['EGRESSEXCEPTION', 'EgressException'],
  ])('%s -> %s', (text, kind) => {
    expect(resolveKind(text).kind).toBe(kind);
  });

  it('rejects unknown kinds with kubectl wording', () => {
    expect(() => resolveKind('pods')).toThrow(CliError);
    expect(() => resolveKind('pods')).toThrow('the server doesn\'t have a resource type "pods"');
    expect(() => resolveKind('isolationpolicies.example.com')).toThrow(CliError);
  });
});

describe('kind helpers', () => {
  it('splits KIND/NAME', () => {
    expect(splitKindName('ip/lockdown')).toEqual({ kind: 'ip', name: 'lockdown' });
    expect(splitKindName('ip')).toEqual({ kind: 'ip' });
  });

  it('builds API paths and printed names', () => {
    const info = resolveKind('er');
    expect(resourcePath(info)).toBe('/apis/dockfence.io/v1alpha1/exposerules');
    expect(resourcePath(info, 'app2-web', 'status')).toBe('/apis/dockfence.io/v1alpha1/exposerules/app2-web/status');
    expect(resourcePath(info, 'a b')).toBe('/apis/dockfence.io/v1alpha1/exposerules/a%20b');
    expect(qualifiedSingular(info)).toBe('exposerule.dockfence.io');
  });
});
