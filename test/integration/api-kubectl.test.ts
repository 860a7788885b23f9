// The real kubectl (1.32, /usr/bin/kubectl) against a dockfence API server this test starts on
// 127.0.0.1 with a throwaway store: apply, get, watch, diff, explain, server-side apply, patch,
// label, server dry run, validation errors, delete. No root, no namespace needed.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, startApiServer, type RunningServer } from '../../src/api/server.js';
import { Store } from '../../src/store/store.js';

let dir: string;
let store: Store;
let server: RunningServer;

async function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa('kubectl', ['--server', server.url, '--cache-dir', join(dir, 'cache'), ...args], {
    reject: false,
    env: { KUBECONFIG: join(dir, 'kube', 'config') },
    timeout: 30_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const LOCKDOWN = (mode: string): string => `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata:
  name: lockdown
  labels: {lab: article}
spec:
  networks: {names: [int-app1, ext-app2]}
  hostPorts:
    - {protocol: udp, port: 53}
  protectedCidrs: [10.10.10.0/24]
  mode: ${mode}
`;
const WEB = `apiVersion: dockfence.io/v1alpha1
kind: ExposeRule
metadata: {name: app2-web}
spec:
  target: {names: [app2-nginx]}
  ports:
    - {port: 443, protocol: tcp, hostPort: 443}
    - {port: 80, protocol: tcp, hostPort: 80}
  from:
    - cidr: 0.0.0.0/0
`;
const EGRESS = `apiVersion: dockfence.io/v1alpha1
kind: EgressException
metadata: {name: app1-to-webserver}
spec:
  source: {names: [app1-wordpress]}
  to:
    - cidr: 10.10.10.55/32
      ports: [{port: 80, protocol: tcp}]
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-kubectl-'));
  await mkdir(join(dir, 'kube'));
  await mkdir(join(dir, 'manifests'));
  await writeFile(join(dir, 'manifests', 'lockdown.yaml'), LOCKDOWN('Enforce'));
  await writeFile(join(dir, 'manifests', 'web.yaml'), WEB);
  await writeFile(join(dir, 'egress.yaml'), EGRESS);
  store = await Store.open(join(dir, 'db.json'));
  server = await startApiServer({ app: createApiApp({ store, version: 'test', log: () => undefined }), listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await server?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl 1.32 against dockfence', () => {
  it('talks to a 1.32 server and discovers the kinds by short name', async () => {
    expect(await ok('version')).toMatch(/Server Version: v1\.32\./);
    const resources = await ok('api-resources', '--api-group=dockfence.io');
    expect(resources).toMatch(/isolationpolicies\s+ip,isopol\s+dockfence\.io\/v1alpha1\s+false\s+IsolationPolicy/);
    expect(resources).toMatch(/exposerules\s+er\s+/);
    expect(resources).toMatch(/egressexceptions\s+ee\s+/);
  });

  it('applies a folder of manifests, then an edit as generation 2', async () => {
    const first = await ok('apply', '-f', join(dir, 'manifests'));
    expect(first).toContain('isolationpolicy.dockfence.io/lockdown created');
    expect(first).toContain('exposerule.dockfence.io/app2-web created');
    expect(await ok('get', 'ip', 'lockdown', '-o', 'jsonpath={.metadata.generation}')).toBe('1');
    await writeFile(join(dir, 'manifests', 'lockdown.yaml'), LOCKDOWN('Audit'));
    const second = await ok('apply', '-f', join(dir, 'manifests'));
    expect(second).toContain('isolationpolicy.dockfence.io/lockdown configured');
    expect(second).toContain('exposerule.dockfence.io/app2-web unchanged');
    expect(await ok('get', 'isolationpolicy', 'lockdown', '-o', 'jsonpath={.metadata.generation} {.spec.mode}')).toBe('2 Audit');
  });

  it('gets with printer columns (wide adds the priority ones) and as YAML', async () => {
    const table = (await ok('get', 'isopol')).split('\n');
    expect(table[0]).toMatch(/^NAME\s+MODE\s+SAME\s+OTHER\s+HOST\s+EXTERNAL\s+READY\s+AGE$/);
    expect(table[1]).toMatch(/^lockdown\s+Audit\s+Allow\s+Deny\s+Deny\s+Allow\s+\d+s$/);
    expect((await ok('get', 'ip', '-o', 'wide')).split('\n')[0]).toMatch(/READY\s+NETWORKS\s+DROPPED\s+AGE/);
    expect(await ok('get', 'dockfence', '-o', 'name')).toContain('exposerule.dockfence.io/app2-web');
    const yaml = await ok('get', 'ip', 'lockdown', '-o', 'yaml');
    expect(yaml).toContain('kind: IsolationPolicy');
    expect(yaml).toContain('otherNetworks: Deny'); // defaulted by the schema
    expect(yaml).toContain('- 10.10.10.0/24');
  });

  it('diffs: exit 0 when the same, 1 with the change when different', async () => {
    const same = await kubectl('diff', '-f', join(dir, 'manifests'));
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
    await writeFile(join(dir, 'manifests', 'lockdown.yaml'), LOCKDOWN('Enforce'));
    const changed = await kubectl('diff', '-f', join(dir, 'manifests'));
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^-\s+mode: Audit$/m);
    expect(changed.stdout).toMatch(/^\+\s+mode: Enforce$/m);
    expect(await ok('get', 'ip', 'lockdown', '-o', 'jsonpath={.spec.mode}')).toBe('Audit');
  });

  it('explains the spec fields from the CRD schema', async () => {
    const spec = await ok('explain', 'isolationpolicy.spec');
    expect(spec).toContain('KIND:       IsolationPolicy');
    for (const field of ['networks', 'sameNetwork', 'otherNetworks', 'host', 'hostPorts', 'protectedCidrs', 'external', 'mode']) {
      expect(spec).toMatch(new RegExp(`^  ${field}\\s+<`, 'm'));
    }
    expect(spec).toMatch(/networks\s+<Object> -required-/);
    expect(await ok('explain', 'er.spec.ports.hostPort')).toContain('FIELD: hostPort <integer>');
  });

  it('applies server-side, creating the object and recording its field manager', async () => {
    expect(await ok('apply', '--server-side', '-f', join(dir, 'egress.yaml'))).toContain('egressexception.dockfence.io/app1-to-webserver serverside-applied');
    const managers = await ok('get', 'ee', 'app1-to-webserver', '-o', 'jsonpath={.metadata.managedFields[*].manager} {.metadata.managedFields[*].operation}');
    expect(managers).toBe('kubectl Apply');
    expect(await ok('get', 'ee', 'app1-to-webserver', '-o', 'jsonpath={.spec.masquerade}')).toBe('true');
  });

  it('patches with --type=merge and --type=json', async () => {
    expect(await ok('patch', 'ip', 'lockdown', '--type=merge', '-p', '{"spec":{"external":"Deny"}}')).toContain('patched');
    await ok('patch', 'ip', 'lockdown', '--type=json', '-p', '[{"op":"add","path":"/spec/protectedCidrs/-","value":"192.168.50.0/24"}]');
    expect(await ok('get', 'ip', 'lockdown', '-o', 'jsonpath={.spec.external} {.spec.protectedCidrs}')).toBe('Deny ["10.10.10.0/24","192.168.50.0/24"]');
    expect(await ok('get', 'ip', 'lockdown', '-o', 'jsonpath={.metadata.generation}')).toBe('4');
  });

  it('labels, and selects by label', async () => {
    expect(await ok('label', 'er', 'app2-web', 'tier=edge')).toContain('exposerule.dockfence.io/app2-web labeled');
    expect(await ok('get', 'er', '-l', 'tier=edge', '-o', 'name')).toBe('exposerule.dockfence.io/app2-web');
    expect(await ok('get', 'er', '-l', 'tier!=edge', '-o', 'name')).toBe('');
  });

  it('stores nothing with --dry-run=server', async () => {
    const dry = LOCKDOWN('Enforce').replace('name: lockdown', 'name: dry-one');
    await writeFile(join(dir, 'dry.yaml'), dry);
    expect(await ok('apply', '--dry-run=server', '-f', join(dir, 'dry.yaml'))).toContain('isolationpolicy.dockfence.io/dry-one created (server dry run)');
    const get = await kubectl('get', 'ip', 'dry-one');
    expect(get.code).toBe(1);
    expect(get.stderr).toContain('isolationpolicies.dockfence.io "dry-one" not found');
  });

  it('refuses an invalid spec, naming the field', async () => {
    await writeFile(join(dir, 'bad.yaml'), LOCKDOWN('Sometimes').replace('port: 53', 'port: 70000'));
    const bad = await kubectl('apply', '-f', join(dir, 'bad.yaml'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The IsolationPolicy "lockdown" is invalid');
    expect(bad.stderr).toContain('spec.mode: Unsupported value: "Sometimes"');
    expect(bad.stderr).toContain('spec.hostPorts[0].port: Invalid value: 70000');
    await writeFile(join(dir, 'unknown.yaml'), EGRESS.replace('masquerade', 'x').replace('source:', 'bogus: 1\n  source:'));
    const strict = await kubectl('apply', '-f', join(dir, 'unknown.yaml'));
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('unknown field "spec.bogus"');
  });

  it('watches: get -w sees ADDED, MODIFIED and DELETED', async () => {
    let out = '';
    const watch: ResultPromise = execa('kubectl', ['--server', server.url, '--cache-dir', join(dir, 'cache'), 'get', 'er', '-w', '--output-watch-events'], {
      env: { KUBECONFIG: join(dir, 'kube', 'config') },
      reject: false,
    });
    watch.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      await waitFor('the initial listing', () => /ADDED\s+app2-web/.test(out));
      await writeFile(join(dir, 'w.yaml'), WEB.replace('name: app2-web', 'name: watched'));
      await ok('apply', '-f', join(dir, 'w.yaml'));
      await ok('label', 'er', 'watched', 'seen=yes');
      await ok('delete', 'er', 'watched');
      await waitFor('the deletion event', () => /DELETED\s+watched/.test(out));
      expect(out).toMatch(/^EVENT\s+NAME\s+READY\s+AGE$/m);
      const events = out.split('\n').filter((l) => /^\S+\s+watched\s/.test(l)).map((l) => l.split(/\s+/)[0]);
      expect(events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      watch.kill();
      await watch;
    }
  });

  it('deletes', async () => {
    expect(await ok('delete', '-f', join(dir, 'manifests'))).toContain('isolationpolicy.dockfence.io "lockdown" deleted');
    expect(await ok('get', 'dockfence', '-o', 'name')).toBe('egressexception.dockfence.io/app1-to-webserver');
    expect((await kubectl('delete', 'ip', 'lockdown')).stderr).toContain('NotFound');
  });
});
