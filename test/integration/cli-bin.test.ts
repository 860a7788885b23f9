// The shipped executable: `node bin/dockfence.js` (compiled dist/, as npm installs it) against the
// real API server on 127.0.0.1 — stdin manifests, DOCKFENCE_SERVER, exit codes, one-line errors.

import { existsSync, statSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, startApiServer, type RunningServer } from '../../src/api/server.js';
import { Store } from '../../src/store/store.js';

let dir: string;
let server: RunningServer;

/** Build dist/ when it is missing or older than any source file (CI builds before testing). */
async function ensureBuilt(): Promise<void> {
  const built = 'dist/cli/main.js';
  const sources = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const newest = Math.max(...sources.map((f) => statSync(join('src', f)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  // Type errors elsewhere in the tree must not stop the CLI from being emitted.
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json'], { reject: false });
  if (!existsSync(built)) throw new Error('npm run build did not produce dist/cli/main.js');
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

function dockfence(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return execa('node', ['bin/dockfence.js', ...args], {
    reject: false,
    input: options.input ?? '',
    env: { DOCKFENCE_SERVER: server.url, ...options.env },
    extendEnv: false,
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'dockfence-bin-'));
  const store = await Store.open(join(dir, 'db.json'));
  server = await startApiServer({ app: createApiApp({ store, log: () => {} }), listen: '127.0.0.1:0' });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('node bin/dockfence.js', () => {
  it('applies manifests from stdin and lists them via DOCKFENCE_SERVER', async () => {
    const manifests = await Promise.all(['lab-isolation.yaml', 'app2-web.yaml'].map((f) => readFile(join('examples', f), 'utf8')));
    const apply = await dockfence(['apply', '-f', '-'], { input: manifests.join('\n---\n') });
    expect(apply.stderr).toBe('');
    expect(apply.exitCode).toBe(0);
    expect(apply.stdout).toBe('isolationpolicy.dockfence.io/lab-isolation created\nexposerule.dockfence.io/app2-web created');
    const get = await dockfence(['get', 'dockfence', '-o', 'name']);
    expect(get.stdout.split('\n')).toEqual(['isolationpolicy.dockfence.io/lab-isolation', 'exposerule.dockfence.io/app2-web']);
  });

  it('exits 1 with one line and no stack trace for user mistakes, 2 for diff errors', async () => {
    const unknown = await dockfence(['get', 'pods']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toBe('error: the server doesn\'t have a resource type "pods"');
    const missing = await dockfence(['get', 'ip', 'nope']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): isolationpolicies.dockfence.io "nope" not found');
    const badYaml = await dockfence(['apply', '-f', '-'], { input: 'kind: [\n' });
    expect(badYaml.exitCode).toBe(1);
    expect(badYaml.stderr).toMatch(/^error: stdin:\d+:\d+: invalid YAML: [^\n]+$/);
    const port = await closedPort();
    const down = await dockfence(['get', 'ip', '--server', `http://127.0.0.1:${port}`]);
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^error: cannot reach the dockfence server at http://127\\.0\\.0\\.1:${port}: connection refused[^\\n]+$`));
    const diff = await dockfence(['diff', '-f', 'no-such-file.yaml']);
    expect(diff.exitCode).toBe(2);
    const serve = await dockfence(['serve', '--backend', 'pf']);
    expect(serve.exitCode).toBe(1);
    expect(serve.stderr).toBe('error: invalid --backend "pf": must be nftables or iptables');
  });

  it('diff exits 0 for the applied file and 1 after a change', async () => {
    expect((await dockfence(['diff', '-f', 'examples/app2-web.yaml'])).exitCode).toBe(0);
    const changed = (await readFile('examples/app2-web.yaml', 'utf8')).replace('port: 443, protocol: tcp, hostPort: 443', 'port: 443, protocol: tcp, hostPort: 8443');
    const diff = await dockfence(['diff', '-f', '-'], { input: changed });
    expect(diff.exitCode).toBe(1);
    expect(diff.stdout).toMatch(/^-\s+- hostPort: 443$/m);
    expect(diff.stdout).toMatch(/^\+\s+- hostPort: 8443$/m);
  });

  it('prints its version and help', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect((await dockfence(['--version'])).stdout).toBe(pkg.version);
    const help = await dockfence(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^\s+rollback \[options\] <kind> \[name\]/m);
  });
});
