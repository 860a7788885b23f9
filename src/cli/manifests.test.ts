import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { loadManifests, parseManifests } from './manifests.js';

const POLICY = `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata: {name: lockdown}
spec: {networks: {names: [a]}}
`;
const RULE = `apiVersion: dockfence.io/v1alpha1
kind: ExposeRule
metadata: {name: web}
spec: {target: {names: [x]}, ports: [{port: 80}]}
`;

describe('parseManifests', () => {
  it('splits multi-document YAML, skipping empty documents, with start lines', () => {
    const text = `---\n${POLICY}---\n# only a comment\n---\n${RULE}`;
    const manifests = parseManifests({ name: 'lab.yaml', text });
    expect(manifests.map((m) => [m.info.kind, m.object.metadata.name, m.where])).toEqual([
      ['IsolationPolicy', 'lockdown', 'lab.yaml:2'],
      ['ExposeRule', 'web', 'lab.yaml:9'],
    ]);
  });

  it('reads JSON and flattens kind: List', () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'dockfence.io/v1alpha1', kind: 'EgressException', metadata: { name: 'e' }, spec: {} }] };
    const manifests = parseManifests({ name: 'l.json', text: JSON.stringify(list) });
    expect(manifests).toHaveLength(1);
    expect(manifests[0]!.info.plural).toBe('egressexceptions');
  });

  it('names file, line and column of a YAML syntax error', () => {
    const text = `${POLICY}---\nkind: ExposeRule\nmetadata: {name: [unclosed\n`;
    expect(() => parseManifests({ name: 'bad.yaml', text })).toThrow(/^bad\.yaml:\d+:\d+: invalid YAML: /);
    try {
      parseManifests({ name: 'bad.yaml', text });
    } catch (err) {
      expect((err as CliError).message).not.toContain('\n');
    }
  });

  it('rejects foreign kinds, missing kind and missing name naming the document', () => {
    expect(() => parseManifests({ name: 'd.yaml', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n' })).toThrow(
      'd.yaml:1: apps/v1 Deployment is not a dockfence resource',
    );
    expect(() => parseManifests({ name: 'k.yaml', text: 'apiVersion: dockfence.io/v1alpha1\nmetadata: {name: x}\n' })).toThrow(
      'k.yaml:1: missing "kind"',
    );
    expect(() => parseManifests({ name: 'n.yaml', text: 'apiVersion: dockfence.io/v1alpha1\nkind: ExposeRule\nspec: {}\n' })).toThrow(
      'n.yaml:1: ExposeRule has no metadata.name',
    );
    expect(() => parseManifests({ name: 's.yaml', text: '- a\n- b\n' })).toThrow('s.yaml:1: a manifest document must be a mapping');
  });
});

describe('loadManifests', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dockfence-manifests-'));
    await writeFile(join(dir, 'b-rule.yaml'), RULE);
    await writeFile(join(dir, 'a-policy.yml'), POLICY);
    await writeFile(join(dir, 'notes.txt'), 'not a manifest');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.json'), JSON.stringify({ apiVersion: 'dockfence.io/v1alpha1', kind: 'EgressException', metadata: { name: 'c' }, spec: {} }));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const stdin = async (): Promise<string> => POLICY.replace('lockdown', 'from-stdin');

  it('reads a directory in name order, subdirectories only with -R', async () => {
    const flat = await loadManifests([dir], { recursive: false, stdin });
    expect(flat.map((m) => m.object.metadata.name)).toEqual(['lockdown', 'web']);
    const deep = await loadManifests([dir], { recursive: true, stdin });
    expect(deep.map((m) => m.object.metadata.name)).toEqual(['lockdown', 'web', 'c']);
  });

  it('reads - from stdin and reports missing paths', async () => {
    const fromStdin = await loadManifests(['-'], { recursive: false, stdin });
    expect(fromStdin[0]!.object.metadata.name).toBe('from-stdin');
    expect(fromStdin[0]!.where).toBe('stdin:1');
    await expect(loadManifests([join(dir, 'nope.yaml')], { recursive: false, stdin })).rejects.toThrow('does not exist');
    await expect(loadManifests([], { recursive: false, stdin })).rejects.toThrow('must specify -f');
  });

  it('parses every file of examples/ as dockfence resources', async () => {
    const manifests = await loadManifests(['examples'], { recursive: false, stdin });
    expect(manifests.map((m) => `${m.info.kind}/${m.object.metadata.name}`).sort()).toEqual([
      'EgressException/app1-to-webserver',
      'ExposeRule/app2-to-app1-web',
      'ExposeRule/app2-web',
      'IsolationPolicy/lab-isolation',
    ]);
    for (const m of manifests) expect(m.object.metadata.labels?.example).toBe('article-lab');
  });
});
