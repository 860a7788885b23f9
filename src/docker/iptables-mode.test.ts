import { describe, expect, it } from 'vitest';
import type { Exec } from '../lib/exec.js';
import { detectDockerIptables } from './iptables-mode.js';

const fake = (result: number | Error): Exec & { calls: string[][] } => {
  const calls: string[][] = [];
  const exec = async (command: string, args: readonly string[]) => {
    calls.push([command, ...args]);
    if (result instanceof Error) throw result;
    return { stdout: '', stderr: result === 0 ? '' : 'iptables: No chain/target/match by that name.\n', exitCode: result };
  };
  return Object.assign(exec, { calls });
};

describe('detectDockerIptables', () => {
  it('is true when DOCKER-USER exists in the filter table', async () => {
    const exec = fake(0);
    expect(await detectDockerIptables(exec)).toBe(true);
    expect(exec.calls).toEqual([['iptables', '-w', '5', '-t', 'filter', '-S', 'DOCKER-USER']]);
  });

  it('is false when the chain is missing', async () => {
    expect(await detectDockerIptables(fake(1))).toBe(false);
  });

  it('is false when iptables is not installed', async () => {
    const missing = new Error('running iptables: spawn iptables ENOENT', { cause: Object.assign(new Error('spawn'), { code: 'ENOENT' }) });
    expect(await detectDockerIptables(fake(missing))).toBe(false);
  });

  it('rejects on other exec failures', async () => {
    await expect(detectDockerIptables(fake(new Error('EACCES')))).rejects.toThrow(/DOCKER-USER/);
  });
});
