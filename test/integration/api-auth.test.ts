// Tokens and TLS end to end: the real kubectl against a dockfence API server on 127.0.0.1 with a
// token file and a self-signed certificate. Viewers read, admins write, strangers get 401.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp, loadTokenFile, startApiServer, type RunningServer } from '../../src/api/server.js';
import { Store } from '../../src/store/store.js';

const ADMIN = 'adm-0123456789abcdef';
const VIEWER = 'view-0123456789abcdef';
let dir: string;
let store: Store;
let server: RunningServer;

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function kubectl(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa(
    'kubectl',
    ['--server', server.url, '--certificate-authority', join(dir, 'cert.pem'), '--cache-dir', join(dir, 'cache'), '--token', token, ...args],
    { reject: false, env: { KUBECONFIG: join(dir, 'none') }, timeout: 30_000, stdin: 'ignore' },
  );
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe.skipIf(!hasOpenssl())('tokens and TLS with kubectl', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dockfence-auth-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=dockfence-test', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    await writeFile(join(dir, 'tokens'), `# test tokens\n${ADMIN},admin,alice\n${VIEWER},viewer,victor\n`);
    store = await Store.open(join(dir, 'db.json'));
    const app = createApiApp({ store, log: () => undefined, auth: { tokens: await loadTokenFile(join(dir, 'tokens')) } });
    server = await startApiServer({ app, listen: '127.0.0.1:0', tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
    await writeFile(
      join(dir, 'p.yaml'),
      'apiVersion: dockfence.io/v1alpha1\nkind: IsolationPolicy\nmetadata: {name: p}\nspec:\n  networks: {}\n',
    );
  });

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves HTTPS', () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a client with an unknown token (401)', async () => {
    const r = await kubectl('not-a-known-token-0000', 'get', 'ip');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the server has asked for the client to provide credentials|Unauthorized/);
  });

  it('lets an admin write and a viewer read, but not write (403)', async () => {
    expect((await kubectl(ADMIN, 'apply', '-f', join(dir, 'p.yaml'))).stdout).toContain('isolationpolicy.dockfence.io/p created');
    expect((await kubectl(VIEWER, 'get', 'ip', '-o', 'name')).stdout.trim()).toBe('isolationpolicy.dockfence.io/p');
    const denied = await kubectl(VIEWER, 'delete', 'ip', 'p');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Forbidden');
    expect(denied.stderr).toContain('victor');
    expect((await kubectl(ADMIN, 'get', 'ip', '-o', 'name')).stdout.trim()).toBe('isolationpolicy.dockfence.io/p');
  });
});
