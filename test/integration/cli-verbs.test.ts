// The dockfence CLI, run in-process with runCli, against the real API server and store started on
// 127.0.0.1 with a temporary database: apply/get/watch/describe/diff/history/rollback/delete,
// check/doctor against the diagnostics endpoints, tokens, and the one-line error messages.

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, startApiServer, type RunningServer } from '../../src/api/server.js';
import { runCli } from '../../src/cli/main.js';
import { Store } from '../../src/store/store.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

let dir: string;
let store: Store;
let server: RunningServer;

/** Run the CLI in-process; `env` replaces the process environment entirely. */
async function cli(args: string[], options: { env?: Record<string, string>; stdin?: string; server?: string } = {}): Promise<Run> {
  const run = startCli(args, options);
  return { ...(await run.done), out: run.out(), err: run.err() };
}

function startCli(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string; signal?: AbortSignal; server?: string } = {},
): { done: Promise<Run>; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const withServer = options.env ? args : ['--server', options.server ?? server.url, ...args];
  const done = runCli(withServer, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: options.env ?? {},
    readStdin: async () => options.stdin ?? '',
    signal: options.signal,
  }).then((code) => ({ code, out, err }));
  return { done, out: () => out, err: () => err };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

async function startServer(options: Partial<Parameters<typeof createApiApp>[0]> = {}): Promise<RunningServer> {
  const app = createApiApp({ store, log: () => {}, ...options });
  return startApiServer({ app, listen: '127.0.0.1:0' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockfence-cli-'));
  store = await Store.open(join(dir, 'db.json'));
  server = await startServer();
  await cp('examples', join(dir, 'lab'), { recursive: true });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('dockfence CLI against the real API server', () => {
  it('applies examples/: created, then unchanged, then configured after an edit', async () => {
    const first = await cli(['apply', '-f', join(dir, 'lab')]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(lines(first.out)).toEqual([
      'egressexception.dockfence.io/app1-to-webserver created',
      'exposerule.dockfence.io/app2-to-app1-web created',
      'exposerule.dockfence.io/app2-web created',
      'isolationpolicy.dockfence.io/lab-isolation created',
    ]);
    const again = await cli(['apply', '-f', join(dir, 'lab')]);
    expect(lines(again.out).every((l) => l.endsWith(' unchanged'))).toBe(true);
    expect(lines(again.out)).toHaveLength(4);

    const file = join(dir, 'lab', 'lab-isolation.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('sameNetwork: Allow', 'sameNetwork: Deny'));
    const edited = await cli(['apply', '-f', join(dir, 'lab')]);
    expect(edited.code).toBe(0);
    expect(lines(edited.out)).toContain('isolationpolicy.dockfence.io/lab-isolation configured');
    expect(lines(edited.out).filter((l) => l.endsWith(' unchanged'))).toHaveLength(3);

    const live = JSON.parse((await cli(['get', 'ip', 'lab-isolation', '-o', 'json'])).out);
    expect(live.metadata.generation).toBe(2);
    expect(live.spec.sameNetwork).toBe('Deny');
  });

  it('prints tables from the server printer columns, by any kind name', async () => {
    const table = await cli(['get', 'ip']);
    expect(table.code).toBe(0);
    const [header, row] = lines(table.out);
    expect(header).toMatch(/^NAME\s+MODE\s+SAME\s+OTHER\s+HOST\s+EXTERNAL\s+READY\s+AGE$/);
    expect(row).toMatch(/^lab-isolation\s+Enforce\s+Deny\s+Deny\s+Deny\s+Allow\s+\d+s$/);
    for (const kind of ['isolationpolicies', 'IsolationPolicy', 'isopol', 'isolationpolicy.dockfence.io']) {
      expect(lines((await cli(['get', kind])).out)[1]).toMatch(/^lab-isolation\s/);
    }
    expect(lines((await cli(['get', 'ip', '-o', 'wide'])).out)[0]).toMatch(/\sNETWORKS\s+DROPPED\s+AGE$/);
    const all = await cli(['get', 'dockfence', '--no-headers']);
    expect(all.out).toMatch(/^exposerule\.dockfence\.io\/app2-web\s/m);
    expect(all.out).not.toContain('NAME');
  });

  it('prints yaml, json and names, and selects by label', async () => {
    const yaml = parse((await cli(['get', 'isolationpolicy/lab-isolation', '-o', 'yaml'])).out);
    expect(yaml.kind).toBe('IsolationPolicy');
    expect(yaml.spec.protectedCidrs).toEqual(['10.10.10.0/24']);
    expect(yaml.metadata.managedFields).toBeUndefined();
    const list = JSON.parse((await cli(['get', 'er', '-o', 'json'])).out);
    expect(list.kind).toBe('List');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['app2-to-app1-web', 'app2-web']);
    const names = await cli(['get', 'dockfence', '-l', 'app=app1', '-o', 'name']);
    expect(lines(names.out)).toEqual(['exposerule.dockfence.io/app2-to-app1-web', 'egressexception.dockfence.io/app1-to-webserver']);
    const none = await cli(['get', 'ip', '-l', 'example=nothing']);
    expect(none).toEqual({ code: 0, out: '', err: 'No resources found\n' });
  });

  it('get -w prints the list, then ADDED/MODIFIED/DELETED rows until interrupted', async () => {
    const stop = new AbortController();
    const watch = startCli(['get', 'er', '-w', '--output-watch-events'], { signal: stop.signal });
    await until('the initial list', () => /^ADDED\s+app2-web\s/m.test(watch.out()));
    const file = join(dir, 'watch-demo.yaml');
    const manifest = (extra: string): string =>
      `apiVersion: dockfence.io/v1alpha1\nkind: ExposeRule\nmetadata:\n  name: watch-demo${extra}\nspec:\n  target: {names: [x]}\n  ports: [{port: 8080}]\n`;
    await writeFile(file, manifest(''));
    expect((await cli(['apply', '-f', file])).code).toBe(0);
    await until('ADDED watch-demo', () => /^ADDED\s+watch-demo\s/m.test(watch.out()));
    await writeFile(file, manifest('\n  labels: {stage: two}'));
    expect((await cli(['apply', '-f', file])).out).toBe('exposerule.dockfence.io/watch-demo configured\n');
    await until('MODIFIED watch-demo', () => /^MODIFIED\s+watch-demo\s/m.test(watch.out()));
    expect((await cli(['delete', 'er', 'watch-demo'])).code).toBe(0);
    await until('DELETED watch-demo', () => /^DELETED\s+watch-demo\s/m.test(watch.out()));
    stop.abort();
    const result = await watch.done;
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(lines(result.out)[0]).toMatch(/^EVENT\s+NAME\s+READY\s+AGE$/);
  });

  it('get -w -o name follows one object', async () => {
    const stop = new AbortController();
    const watch = startCli(['get', 'ip', 'lab-isolation', '-w', '-o', 'name', '--output-watch-events'], { signal: stop.signal });
    await until('the initial object', () => watch.out().includes('ADDED isolationpolicy.dockfence.io/lab-isolation'));
    await store.updateStatus('IsolationPolicy', 'lab-isolation', { observedGeneration: 2 });
    await until('MODIFIED', () => watch.out().includes('MODIFIED isolationpolicy.dockfence.io/lab-isolation'));
    stop.abort();
    expect((await watch.done).code).toBe(0);
  });

  it('describe shows spec, status conditions, matches, drops and history', async () => {
    await store.updateStatus('IsolationPolicy', 'lab-isolation', {
      observedGeneration: 2,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: 'ruleset applied', lastTransitionTime: new Date().toISOString() }],
      matchedContainers: ['app1-mysql', 'app1-wordpress', 'app2-nginx'],
      matchedNetworks: ['ext-app2', 'int-app1'],
      droppedPackets: 17,
    });
    const run = await cli(['describe', 'ip', 'lab-isolation']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Name:\s+lab-isolation$/m);
    expect(run.out).toMatch(/^Spec:\n(  .*\n)*  sameNetwork: Deny$/m);
    expect(run.out).toMatch(/^\s+Ready\s+True\s+Applied\s+.*ruleset applied$/m);
    expect(run.out).toMatch(/^\s+Matched Containers:\s+app1-mysql, app1-wordpress, app2-nginx$/m);
    expect(run.out).toMatch(/^\s+Dropped Packets:\s+17$/m);
    expect(run.out).toMatch(/^History:\n\s+GENERATION.*\n\s+1\s+\d+\s+.*\n\s+2 \(current\)\s/m);
    const table = await cli(['get', 'ip']);
    expect(lines(table.out)[1]).toMatch(/\sTrue\s/);
    const every = await cli(['describe', 'er']);
    expect(every.out.match(/^Name:\s+\S+$/gm)).toEqual([expect.stringMatching(/app2-to-app1-web$/), expect.stringMatching(/app2-web$/)]);
  });

  it('diff exits 0 when the same, 1 with a unified diff when different, 2 on errors', async () => {
    expect(await cli(['diff', '-f', join(dir, 'lab')])).toEqual({ code: 0, out: '', err: '' });
    const changed = await cli(['diff', '-f', 'examples/lab-isolation.yaml']);
    expect(changed.code).toBe(1);
    expect(changed.out).toContain('--- live/isolationpolicy.dockfence.io/lab-isolation\n+++ merged/isolationpolicy.dockfence.io/lab-isolation\n@@ ');
    expect(changed.out).toMatch(/^-  sameNetwork: Deny$/m);
    expect(changed.out).toMatch(/^\+  sameNetwork: Allow$/m);
    const fresh = join(dir, 'new.yaml');
    await writeFile(fresh, 'apiVersion: dockfence.io/v1alpha1\nkind: EgressException\nmetadata: {name: brand-new}\nspec:\n  source: {names: [a]}\n  to: [{cidr: 10.0.0.1/32}]\n');
    const added = await cli(['diff', '-f', fresh]);
    expect(added.code).toBe(1);
    expect(added.out).toMatch(/^@@ -0,0 \+1,\d+ @@$/m);
    expect((await cli(['get', 'ee', 'brand-new'])).code).toBe(1); // diff stored nothing
    expect((await cli(['diff', '-f', join(dir, 'missing.yaml')])).code).toBe(2);
    const live = JSON.parse((await cli(['get', 'ip', 'lab-isolation', '-o', 'json'])).out);
    expect(live.metadata.generation).toBe(2);
  });

  it('history lists generations and rollback restores one as a new generation', async () => {
    const history = await cli(['history', 'ip', 'lab-isolation']);
    expect(history.code).toBe(0);
    expect(lines(history.out)[0]).toMatch(/^GENERATION\s+RESOURCE VERSION\s+CHANGED$/);
    expect(lines(history.out).slice(1).map((l) => l.split(/\s{3,}/)[0])).toEqual(['1', '2 (current)']);
    expect(parse((await cli(['history', 'ip', 'lab-isolation', '--generation', '1'])).out).sameNetwork).toBe('Allow');

    const rollback = await cli(['rollback', 'ip', 'lab-isolation', '--to-generation', '1']);
    expect(rollback).toEqual({ code: 0, out: 'isolationpolicy.dockfence.io/lab-isolation rolled back to generation 1 (now generation 3)\n', err: '' });
    const live = JSON.parse((await cli(['get', 'ip', 'lab-isolation', '-o', 'json'])).out);
    expect(live.metadata.generation).toBe(3);
    expect(live.spec.sameNetwork).toBe('Allow');

    const missing = await cli(['rollback', 'ip', 'lab-isolation', '--to-generation', '9']);
    expect(missing.code).toBe(1);
    expect(lines(missing.err)).toHaveLength(1);
    expect(missing.err).toMatch(/generation 9/);
  });

  it('deletes by name and by file, and reports NotFound', async () => {
    expect(await cli(['delete', 'er', 'app2-web'])).toEqual({ code: 0, out: 'exposerule.dockfence.io "app2-web" deleted\n', err: '' });
    const again = await cli(['delete', 'er', 'app2-web']);
    expect(again.code).toBe(1);
    expect(again.err).toBe('Error from server (NotFound): exposerules.dockfence.io "app2-web" not found\n');
    expect((await cli(['delete', 'er', 'app2-web', '--ignore-not-found'])).code).toBe(0);
    const byFile = await cli(['delete', '-f', 'examples/app1-to-webserver.yaml']);
    expect(byFile.out).toBe('egressexception.dockfence.io "app1-to-webserver" deleted\n');
    expect((await cli(['get', 'dockfence', '-o', 'name'])).out.split('\n').filter(Boolean).sort()).toEqual([
      'exposerule.dockfence.io/app2-to-app1-web',
      'isolationpolicy.dockfence.io/lab-isolation',
    ]);
  });

  it('reports every error as one line with exit code 1', async () => {
    const unknownKind = await cli(['get', 'pods']);
    expect(unknownKind).toEqual({ code: 1, out: '', err: 'error: the server doesn\'t have a resource type "pods"\n' });

    const notFound = await cli(['describe', 'ip', 'nope']);
    expect(notFound).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): isolationpolicies.dockfence.io "nope" not found\n' });

    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, 'apiVersion: dockfence.io/v1alpha1\nkind: IsolationPolicy\nmetadata: {name: bad}\nspec:\n  networks: {names: [a]}\n  sameNetwork: Maybe\n');
    const refused = await cli(['apply', '-f', invalid]);
    expect(refused.code).toBe(1);
    expect(lines(refused.err)).toHaveLength(1);
    expect(refused.err).toMatch(/^Error from server \(Invalid\): error when applying ".*invalid\.yaml:1": .*spec\.sameNetwork/);

    const typo = join(dir, 'typo.yaml');
    await writeFile(typo, 'apiVersion: dockfence.io/v1alpha1\nkind: IsolationPolicy\nmetadata: {name: typo}\nspec:\n  networks: {names: [a]}\n  hostport: [{port: 53}]\n');
    const strict = await cli(['apply', '-f', typo]);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/^Error from server \(BadRequest\): .*unknown field "spec\.hostport"\n$/);
    const warned = await cli(['apply', '-f', typo, '--validate=warn', '--dry-run=server']);
    expect(warned).toEqual({ code: 0, out: 'isolationpolicy.dockfence.io/typo created (server dry run)\n', err: 'Warning: unknown field "spec.hostport"\n' });

    const other = await fetch(`${server.url}/apis/dockfence.io/v1alpha1/isolationpolicies?fieldManager=kubectl-client-side-apply`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'dockfence.io/v1alpha1', kind: 'IsolationPolicy', metadata: { name: 'owned' }, spec: { networks: { names: ['a'] }, host: 'Allow' } }),
    });
    expect(other.status).toBe(201);
    const owned = join(dir, 'owned.yaml');
    await writeFile(owned, 'apiVersion: dockfence.io/v1alpha1\nkind: IsolationPolicy\nmetadata: {name: owned}\nspec: {networks: {names: [a]}, host: Deny}\n');
    const conflict = await cli(['apply', '-f', owned]);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toMatch(/^Error from server \(Conflict\): .*\.spec\.host .*--force-conflicts\)\n$/);
    expect((await cli(['apply', '-f', owned, '--force-conflicts'])).out).toBe('isolationpolicy.dockfence.io/owned configured\n');
    expect((await cli(['delete', 'ip', 'owned'])).code).toBe(0);

    const port = await closedPort();
    const down = await cli(['get', 'ip'], { env: { DOCKFENCE_SERVER: `http://127.0.0.1:${port}` } });
    expect(down.code).toBe(1);
    expect(down.err).toBe(
      `error: cannot reach the dockfence server at http://127.0.0.1:${port}: connection refused; is "dockfence serve" running there? (--server or DOCKFENCE_SERVER)\n`,
    );

    const badYaml = join(dir, 'bad.yaml');
    await writeFile(badYaml, 'apiVersion: dockfence.io/v1alpha1\nkind: ExposeRule\nmetadata: {name: [oops\nspec: {}\n');
    const bad = await cli(['apply', '-f', badYaml]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: .*bad\.yaml:\d+:\d+: invalid YAML: [^\n]+\n$/);

    const mixed = join(dir, 'mixed.yaml');
    await writeFile(mixed, `apiVersion: dockfence.io/v1alpha1\nkind: ExposeRule\nmetadata: {name: never-applied}\nspec: {target: {}, ports: [{port: 1}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n`);
    const foreign = await cli(['apply', '-f', mixed]);
    expect(foreign.err).toMatch(/^error: .*mixed\.yaml:6: apps\/v1 Deployment is not a dockfence resource/);
    expect((await cli(['get', 'er', 'never-applied'])).code).toBe(1); // nothing sent when any document is bad

    const usage = await cli(['rollback', 'ip', 'lab-isolation']);
    expect(usage.code).toBe(1);
    expect(usage.err).toMatch(/required option '--to-generation <n>' not specified/);
  });

  it('sends --token or DOCKFENCE_TOKEN and reports 401 and 403 in one line', async () => {
    const secured = await startServer({
      auth: { tokens: [{ token: 'admin-t', role: 'admin', name: 'ops' }, { token: 'view-t', role: 'viewer', name: 'ro' }] },
    });
    try {
      const anonymous = await cli(['get', 'ip'], { env: { DOCKFENCE_SERVER: secured.url } });
      expect(anonymous.code).toBe(1);
      expect(anonymous.err).toMatch(/^Error from server \(Unauthorized\): [^\n]+\n$/);
      const viewer = await cli(['get', 'ip', '-o', 'name'], { env: { DOCKFENCE_SERVER: secured.url, DOCKFENCE_TOKEN: 'view-t' } });
      expect(viewer.out).toBe('isolationpolicy.dockfence.io/lab-isolation\n');
      const write = await cli(['delete', 'ip', 'lab-isolation', '--token', 'view-t'], { server: secured.url });
      expect(write.code).toBe(1);
      expect(write.err).toMatch(/^Error from server \(Forbidden\): [^\n]+\n$/);
      const admin = await cli(['--token', 'admin-t', 'apply', '-f', 'examples/app2-web.yaml'], { env: { DOCKFENCE_SERVER: secured.url } });
      expect(admin.out).toBe('exposerule.dockfence.io/app2-web created\n');
    } finally {
      await secured.close();
    }
  });

  it('check and doctor print the diagnostics and exit 0/1, or 2 when the server lacks them', async () => {
    const diagnosed = await startServer({
      diagnostics: {
        doctor: async () => ({
          ready: false,
          checks: [
            { name: 'nft', ok: true, message: 'nftables v1.0.6' },
            { name: 'net.bridge.bridge-nf-call-iptables', ok: false, message: '0', fix: 'sysctl -w net.bridge.bridge-nf-call-iptables=1' },
          ],
        }),
        check: async (from: string, to: string) =>
          from === 'app2-nginx' && to === 'app1-wordpress:80/tcp'
            ? { verdict: 'allowed', decidedBy: { kind: 'ExposeRule', name: 'app2-to-app1-web' }, reason: 'cross-network exception' }
            : { verdict: 'denied', decidedBy: { kind: 'IsolationPolicy', name: 'lab-isolation' }, reason: 'otherNetworks: Deny' },
      },
    });
    try {
      const at = { server: diagnosed.url };
      const allowed = await cli(['check', '--from', 'app2-nginx', '--to', 'app1-wordpress:80'], at);
      expect(allowed).toEqual({
        code: 0,
        out: 'allowed: app2-nginx -> app1-wordpress:80/tcp, decided by ExposeRule/app2-to-app1-web (cross-network exception)\n',
        err: '',
      });
      const denied = await cli(['check', '--from', 'app1-mysql', '--to', 'app2-nginx:443/tcp'], at);
      expect(denied.code).toBe(1);
      expect(denied.out).toMatch(/^denied: .* decided by IsolationPolicy\/lab-isolation/);
      const doctor = await cli(['doctor'], at);
      expect(doctor.code).toBe(1);
      expect(doctor.out).toMatch(/^FAIL\s+net\.bridge\.bridge-nf-call-iptables\s+0\n\s+fix: sysctl -w/m);
      expect((await cli(['check', '--from', 'a', '--to', 'nonsense'], at)).code).toBe(2);
    } finally {
      await diagnosed.close();
    }
    const missing = await cli(['doctor']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: the server at .* does not support doctor yet/);
  });
});
