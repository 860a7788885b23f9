// Whether dockerd manages iptables (daemon --iptables=true, Docker's default). The controller
// needs it to choose hooks: DOCKER-USER marks when Docker owns the filter table, our own
// FORWARD/INPUT/nat hooks when it does not.

import type { Exec } from '../lib/exec.js';

/**
 * Docker manages iptables iff its `DOCKER-USER` chain exists in the filter table of the network
 * namespace `exec` runs in (`iptables -S DOCKER-USER` exits 0). dockerd creates that chain at start
 * whenever --iptables=true, and never when false. Only the `iptables` binary dockerd itself uses is
 * asked: probing iptables-legacy would load legacy tables into every namespace of the machine.
 *
 * Known limit: a daemon switched from --iptables=true to false keeps the stale chains until they
 * are deleted or the host reboots, and is then reported as managing iptables.
 * A missing `iptables` binary means Docker cannot manage iptables: false. Never throws for that;
 * rejects only when `exec` fails for another reason.
 */
export async function detectDockerIptables(exec: Exec): Promise<boolean> {
  try {
    const result = await exec('iptables', ['-w', '5', '-t', 'filter', '-S', 'DOCKER-USER']);
    return result.exitCode === 0;
  } catch (error) {
    if (isMissingProgram(error)) return false;
    throw new Error('detecting whether Docker manages iptables (iptables -S DOCKER-USER)', { cause: error });
  }
}

function isMissingProgram(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT/.test(e.message)) return true;
  }
  return false;
}
