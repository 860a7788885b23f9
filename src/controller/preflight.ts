// Host preflight: what the kernel and tools must provide for rules to take effect. Run at start
// and on every resync; with --manage-sysctls it fixes the bridge sysctls itself. I/O is injected.

import type { Exec } from '../lib/exec.js';

export interface PreflightCheck {
  name: string;
  ok: boolean;
  message: string;
  fix?: string;
}

export interface PreflightReport {
  ready: boolean;
  checks: PreflightCheck[];
  dockerIptables?: boolean;
}

export interface PreflightDeps {
  readFile: (path: string) => Promise<string | undefined>; // undefined = missing
  writeFile: (path: string, text: string) => Promise<void>;
  exec: Exec;
  pingDocker: () => Promise<void>;
  detectDockerIptables: () => Promise<boolean>;
  backend: 'nftables' | 'iptables';
  manageSysctls: boolean;
}

const SYSCTLS = ['bridge-nf-call-iptables', 'bridge-nf-call-ip6tables'] as const;

async function checkSysctl(deps: PreflightDeps, name: (typeof SYSCTLS)[number]): Promise<PreflightCheck> {
  const path = `/proc/sys/net/bridge/${name}`;
  let value = (await deps.readFile(path))?.trim();
  if (value === undefined) {
    return {
      name: `net.bridge.${name}`,
      ok: false,
      message: 'br_netfilter is not loaded: same-network rules cannot see bridged packets',
      fix: `modprobe br_netfilter && sysctl -w net.bridge.${name}=1`,
    };
  }
  if (value !== '1' && deps.manageSysctls) {
    await deps.writeFile(path, '1\n').catch(() => undefined);
    value = (await deps.readFile(path))?.trim();
  }
  return value === '1'
    ? { name: `net.bridge.${name}`, ok: true, message: '1' }
    : {
        name: `net.bridge.${name}`,
        ok: false,
        message: `is ${value}: bridged packets bypass the firewall`,
        fix: `sysctl -w net.bridge.${name}=1 (or run dockfence serve --manage-sysctls)`,
      };
}

async function checkTool(deps: PreflightDeps, command: string, args: string[]): Promise<PreflightCheck> {
  try {
    const r = await deps.exec(command, args);
    const version = (r.stdout || r.stderr).trim().split('\n')[0] ?? '';
    return r.exitCode === 0
      ? { name: command, ok: true, message: version }
      : { name: command, ok: false, message: `exit ${r.exitCode}: ${r.stderr.trim()}`, fix: `apt-get install ${command === 'nft' ? 'nftables' : 'iptables'}` };
  } catch {
    return { name: command, ok: false, message: 'not found', fix: `apt-get install ${command === 'nft' ? 'nftables' : 'iptables'}` };
  }
}

/** Run every check. Never throws: a failing check is a report line with its fix. */
export async function runPreflight(deps: PreflightDeps): Promise<PreflightReport> {
  const checks: PreflightCheck[] = [];
  for (const name of SYSCTLS) checks.push(await checkSysctl(deps, name));
  checks.push(await checkTool(deps, deps.backend === 'nftables' ? 'nft' : 'iptables-restore', ['--version']));
  let dockerIptables: boolean | undefined;
  try {
    await deps.pingDocker();
    checks.push({ name: 'docker', ok: true, message: 'reachable' });
    dockerIptables = await deps.detectDockerIptables();
    checks.push({ name: 'docker-iptables', ok: true, message: dockerIptables ? 'Docker manages iptables' : 'Docker iptables=false: dockfence owns NAT' });
  } catch (error) {
    checks.push({ name: 'docker', ok: false, message: `not reachable: ${(error as Error).message}`, fix: 'start dockerd or set --docker-host / DOCKER_HOST' });
  }
  return { ready: checks.every((c) => c.ok), checks, dockerIptables };
}
