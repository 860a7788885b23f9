// Bench preflight: root and the tools it runs (nft, iptables, ip, nsenter), plus iperf3 and gcc
// for the data-plane section. iperf3 is installed with apt-get when missing (a bench-only tool,
// deliberately not in scripts/test.sh); without it the data-plane section is skipped, with a note.

import { run } from '../test/harness/netns.js';
import { buildBlaster } from './traffic.js';

export interface PreflightResult {
  /** Path of the compiled udp-blast; undefined when the data-plane section cannot run. */
  blaster?: string;
  /** Lines for the report about what was skipped or installed. */
  notes: string[];
}

async function has(command: string): Promise<boolean> {
  try {
    return (await run('sh', ['-c', `command -v ${command}`])).exitCode === 0;
  } catch {
    return false;
  }
}

/** Throws when the bench cannot run at all (not root, nft/iptables/ip missing). */
export async function preflight(options: { needTraffic: boolean; log: (line: string) => void }): Promise<PreflightResult> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('bench: needs root (it creates network namespaces and runs nft/iptables inside them)');
  }
  const missing: string[] = [];
  for (const tool of ['nft', 'iptables', 'ip6tables', 'iptables-restore', 'ip', 'nsenter']) if (!(await has(tool))) missing.push(tool);
  if (missing.length > 0) throw new Error(`bench: missing ${missing.join(', ')} (bash scripts/test.sh installs them)`);
  const notes: string[] = [];
  if (!options.needTraffic) return { notes };
  if (!(await has('iperf3'))) {
    options.log('iperf3 is missing: installing it with apt-get (bench only; the tests do not need it)');
    const install = await run('sh', ['-c', 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iperf3'], {
      timeoutMs: 300_000,
    });
    if (install.exitCode !== 0 || !(await has('iperf3'))) {
      const note = `data plane skipped: iperf3 could not be installed (apt-get install -y iperf3): ${install.stderr.trim().split('\n').pop() ?? ''}`;
      options.log(note);
      return { notes: [note] };
    }
  }
  if (!(await has('gcc'))) {
    const note = 'data plane skipped: gcc is missing (it builds bench/udp-blast.c; bash scripts/test.sh installs gcc)';
    options.log(note);
    return { notes: [note] };
  }
  return { blaster: await buildBlaster(), notes };
}
