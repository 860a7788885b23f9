// GitOps end to end: dockfence serve --sync-repo follows a real git repository, and what a commit
// declares is enforced with real packets on the Docker host; a file removed is pruned.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo } from '../integration/gitops-harness.js';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { startHostServers, HOST_TCP_PORT } from '../harness/host-servers.js';
import { buildArticleLab, LAB } from '../harness/lab.js';
import { attachLan } from '../harness/lan.js';
import { ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';

const gw1 = LAB.networks['int-app1'].gateway;
const fromWordpress = { container: 'app1-wordpress' };

describe('GitOps sync enforced with packets (nftables, Docker iptables=true)', () => {
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await TestRepo.create('main');
    // A path that vanishes from the repository is an error, never "prune everything": keep it.
    await repo.commit({ 'policies/README.md': 'isolation policies for this host\n' }, 'init');
    host = await startDockerHost({ name: 'gitops', iptables: true });
    await attachLan(host);
    await buildArticleLab(host);
    startHostServers(host);
    probe = createProber(host);
    op = await startOperator(host, {
      backend: 'nftables',
      extraArgs: ['--sync-repo', `file://${repo.bare}`, '--sync-branch', 'main', '--sync-path', 'policies', '--sync-interval', '1s', '--prune'],
    });
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('a commit adding the policy is applied and enforced', async () => {
    expect(await probe.tcp(fromWordpress, gw1, HOST_TCP_PORT)).toBe(true);
    const commit = await repo.commit({ 'policies/lab-isolation.yaml': readFileSync(join(ROOT, 'examples', 'lab-isolation.yaml'), 'utf8') });
    expect(await pollUntil(() => probe.tcp(fromWordpress, gw1, HOST_TCP_PORT), false, 20_000), op.logs()).toBe(false);
    const policy = await op.kubectl(['get', 'isolationpolicy', 'lab-isolation', '-o', 'jsonpath={.metadata.annotations}']);
    expect(policy.stdout).toContain(commit);
  });

  it('a policy changed with kubectl is put back at the next interval', async () => {
    const patch = await op.kubectl(['patch', 'isolationpolicy', 'lab-isolation', '--type=merge', '-p', '{"spec":{"host":"Allow"}}']);
    expect(patch.exitCode, patch.stderr).toBe(0);
    expect(await pollUntil(async () => {
      const r = await op.kubectl(['get', 'isolationpolicy', 'lab-isolation', '-o', 'jsonpath={.spec.host}']);
      return r.stdout.trim() === 'Deny';
    }, true, 20_000)).toBe(true);
    expect(await pollUntil(() => probe.tcp(fromWordpress, gw1, HOST_TCP_PORT), false, 20_000)).toBe(false);
  });

  it('removing the file prunes the policy and lifts enforcement', async () => {
    await repo.commit({ 'policies/lab-isolation.yaml': null });
    expect(await pollUntil(() => probe.tcp(fromWordpress, gw1, HOST_TCP_PORT), true, 20_000), op.logs()).toBe(true);
    const gone = await op.kubectl(['get', 'isolationpolicy', 'lab-isolation']);
    expect(gone.exitCode).not.toBe(0);
  });
});
