import { describe, expect, it } from 'vitest';
import { MANAGED_BY_LABEL, REVISION_ANNOTATION, describeFailure, parseSourceFiles, stampManifest } from './manifests.js';

const POLICY = `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata: {name: a}
spec: {networks: {}}
`;

describe('parseSourceFiles', () => {
  it('reads multi-document files and Lists, skipping empty documents, with file:line of each object', () => {
    const list = `apiVersion: v1
kind: List
items:
  - {apiVersion: dockfence.io/v1alpha1, kind: ExposeRule, metadata: {name: web}, spec: {target: {}, ports: [{port: 80}]}}
`;
    const { objects, failures } = parseSourceFiles([
      { path: 'p/one.yaml', text: `# comment\n---\n${POLICY}---\n---\n${POLICY.replace('name: a', 'name: b')}` },
      { path: 'p/list.yml', text: list },
    ]);
    expect(failures).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.name}@${o.where}`)).toEqual([
      'IsolationPolicy/a@p/one.yaml:3',
      'IsolationPolicy/b@p/one.yaml:9',
      'ExposeRule/web@p/list.yml:1',
    ]);
  });

  it('drops status and server-written metadata from manifests copied out of the API', () => {
    const text = `${POLICY.replace('metadata: {name: a}', 'metadata: {name: a, resourceVersion: "7", uid: x, generation: 2, labels: {team: x}}')}status: {conditions: []}\n`;
    const [object] = parseSourceFiles([{ path: 'a.yaml', text }]).objects;
    expect(object!.manifest).toEqual({
      apiVersion: 'dockfence.io/v1alpha1',
      kind: 'IsolationPolicy',
      metadata: { name: 'a', labels: { team: 'x' } },
      spec: { networks: {} },
    });
  });

  it('reports every problem with file, line, object and field', () => {
    const { objects, failures } = parseSourceFiles([
      { path: 'bad.yaml', text: 'a: [1,\n' },
      { path: 'kinds.yaml', text: `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\n${POLICY.replace('IsolationPolicy', 'Policy')}---\n- just a list\n` },
      { path: 'names.yaml', text: POLICY.replace('metadata: {name: a}', 'metadata: {}') },
      { path: 'dup.yaml', text: POLICY },
      { path: 'dup2.yaml', text: POLICY },
    ]);
    expect(objects.map((o) => o.where)).toEqual(['dup.yaml:1', 'dup2.yaml:1']);
    expect(failures.map(describeFailure)).toEqual([
      expect.stringMatching(/^bad\.yaml:\d+: invalid YAML: /),
      'kinds.yaml:1: Deployment "web": apiVersion: must be dockfence.io/v1alpha1, not "apps/v1"',
      'kinds.yaml:5: Policy "a": kind: must be one of IsolationPolicy, ExposeRule, EgressException, not "Policy"',
      'kinds.yaml:10: a manifest document must be a mapping with apiVersion, kind and metadata',
      'names.yaml:1: IsolationPolicy: metadata.name: Required value: name is required',
      'dup2.yaml:1: IsolationPolicy "a": metadata.name: Duplicate value: IsolationPolicy "a" is also declared at dup.yaml:1',
    ]);
  });
});

describe('stampManifest', () => {
  it('sets our label and the revision, keeping the file\'s own and overriding a forged stamp', () => {
    const [object] = parseSourceFiles([
      { path: 'a.yaml', text: POLICY.replace('metadata: {name: a}', `metadata: {name: a, labels: {team: x, ${MANAGED_BY_LABEL}: gitops-other}, annotations: {note: y}}`) },
    ]).objects;
    const stamped = stampManifest(object!.manifest, 'prod', 'c0ffee');
    expect(stamped.metadata.labels).toEqual({ team: 'x', [MANAGED_BY_LABEL]: 'gitops-prod' });
    expect(stamped.metadata.annotations).toEqual({ note: 'y', [REVISION_ANNOTATION]: 'c0ffee' });
    expect(object!.manifest.metadata.labels?.[MANAGED_BY_LABEL]).toBe('gitops-other');
  });
});
