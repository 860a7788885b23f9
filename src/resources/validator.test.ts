// Validation against the CRDs: defaults, field causes, names, labels, fieldValidation modes, status.
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../api/crd-loader.js';
import { BadRequestError, InvalidError } from '../lib/errors.js';
import { ResourceValidator } from './validator.js';

const validator = new ResourceValidator(loadCrds());
const policy = (spec: unknown, metadata: object = { name: 'p' }): unknown => ({ apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicy', metadata, spec });

function causesOf(fn: () => unknown): Array<{ field: string; message: string; reason?: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidError) return err.causes;
    throw err;
  }
  throw new Error('expected an InvalidError');
}

describe('ResourceValidator', () => {
  it('applies schema defaults, nested ones included', () => {
    const { value } = validator.validateObject(policy({ networks: {}, hostPorts: [{ port: 53 }] }), 'IsolationPolicy', 'Strict');
    expect(value.spec).toEqual({
      networks: {},
      hostPorts: [{ port: 53, protocol: 'tcp' }],
      sameNetwork: 'Allow',
      otherNetworks: 'Deny',
      host: 'Deny',
      external: 'Allow',
      mode: 'Enforce',
    });
  });

  it('names every invalid field in Kubernetes form', () => {
    const causes = causesOf(() =>
      validator.validateObject(
        policy({ mode: 'Sometimes', hostPorts: [{ port: 0 }, { protocol: 'sctp', port: 1 }], protectedCidrs: ['10.0.0.1/8'] }),
        'IsolationPolicy',
        'Strict',
      ),
    );
    expect(causes).toEqual(
      expect.arrayContaining([
        { field: 'spec.networks', reason: 'FieldValueRequired', message: 'Required value' },
        { field: 'spec.mode', reason: 'FieldValueNotSupported', message: 'Unsupported value: "Sometimes": supported values: "Enforce", "Audit"' },
        { field: 'spec.hostPorts[0].port', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be greater than or equal to 1' },
        expect.objectContaining({ field: 'spec.hostPorts[1].protocol', reason: 'FieldValueNotSupported' }),
        expect.objectContaining({ field: 'spec.protectedCidrs[0]', message: expect.stringContaining('host bits') }),
      ]),
    );
  });

  it('says which of cidr/containers/networks an ExposeRule source must set', () => {
    const rule = {
      apiVersion: 'dockfence.io/v1alpha1',
      kind: 'ExposeRule',
      metadata: { name: 'r' },
      spec: { target: {}, ports: [{ port: 80 }], from: [{ cidr: '10.0.0.0/8', networks: {} }, {}] },
    };
    const causes = causesOf(() => validator.validateObject(rule, 'ExposeRule', 'Strict'));
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.from[0]: Invalid value: "object": exactly one of cidr, containers, networks must be set',
      'spec.from[1]: Invalid value: "object": exactly one of cidr, containers, networks must be set',
    ]);
  });

  it('rejects names that are not DNS-1123 labels of at most 63 characters', () => {
    for (const name of ['Upper', 'a_b', '-a', 'a'.repeat(64), '']) {
      expect(causesOf(() => validator.validateObject(policy({ networks: {} }, { name }), 'IsolationPolicy', 'Strict'))[0]!.field).toBe('metadata.name');
    }
    expect(validator.validateObject(policy({ networks: {} }, { name: 'a'.repeat(63) }), 'IsolationPolicy', 'Strict').value.metadata.name).toHaveLength(63);
  });

  it('rejects bad label keys and values', () => {
    const causes = causesOf(() => validator.validateObject(policy({ networks: {} }, { name: 'p', labels: { 'bad key': 'x', ok: 'bad value!' } }), 'IsolationPolicy', 'Strict'));
    expect(causes.map((c) => c.field)).toEqual(['metadata.labels', 'metadata.labels']);
  });

  it('handles unknown fields per fieldValidation: Strict rejects, Warn prunes and warns, Ignore prunes', () => {
    const input = policy({ networks: { names: ['n'], bogus: 1 }, extra: true }, { name: 'p', surprise: 1 });
    expect(() => validator.validateObject(input, 'IsolationPolicy', 'Strict')).toThrow(
      new BadRequestError('strict decoding error: unknown field "metadata.surprise", unknown field "spec.networks.bogus", unknown field "spec.extra"'),
    );
    const warned = validator.validateObject(input, 'IsolationPolicy', 'Warn');
    expect(warned.warnings).toEqual(['unknown field "metadata.surprise"', 'unknown field "spec.networks.bogus"', 'unknown field "spec.extra"']);
    expect(warned.value.spec).toMatchObject({ networks: { names: ['n'] } });
    expect(warned.value.spec).not.toHaveProperty('extra');
    const ignored = validator.validateObject(input, 'IsolationPolicy', 'Ignore');
    expect(ignored.warnings).toEqual([]);
    expect(ignored.value.spec).not.toHaveProperty('extra');
  });

  it('keeps map keys (labels selectors) and drops status and server-owned metadata', () => {
    const { value } = validator.validateObject(
      { ...(policy({ networks: { matchLabels: { 'com.docker.compose.project': 'app1' } } }, { name: 'p', generation: 7, labels: { a: 'b' } }) as object), status: { x: 1 } },
      'IsolationPolicy',
      'Strict',
    );
    expect(value.spec).toMatchObject({ networks: { matchLabels: { 'com.docker.compose.project': 'app1' } } });
    expect(value).not.toHaveProperty('status');
    expect(value.metadata).toEqual({ name: 'p', labels: { a: 'b' } });
  });

  it('refuses the wrong apiVersion or kind', () => {
    expect(() => validator.validateObject({ apiVersion: 'v1', kind: 'IsolationPolicy', metadata: { name: 'p' }, spec: {} }, 'IsolationPolicy', 'Strict')).toThrow(
      /API version in the data \(v1\)/,
    );
    expect(() => validator.validateObject(policy({ networks: {} }), 'ExposeRule', 'Strict')).toThrow(/kind in the data \(IsolationPolicy\)/);
  });

  it('validates a status written through the subresource, keeping unknown status fields', () => {
    const ok = validator.validateStatus({ observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }], custom: { a: 1 } }, 'IsolationPolicy', 'p', 'Strict');
    expect(ok.value).toMatchObject({ custom: { a: 1 } });
    const causes = causesOf(() => validator.validateStatus({ conditions: [{ type: 'Ready', status: 'Maybe' }] }, 'IsolationPolicy', 'p', 'Strict'));
    expect(causes[0]!.field).toBe('status.conditions[0].status');
  });
});
