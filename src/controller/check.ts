// `dockfence check --from C --to TARGET:PORT/PROTO`: the fate of one would-be packet under the
// current desired ruleset, and the resource that decides it. Pure: inventory + ruleset in.

import type { DockerInventory } from '../compiler/snapshot.js';
import { parsePrefix } from '../lib/cidr.js';
import { InvalidError, NotFoundError } from '../lib/errors.js';
import { evaluate, type Packet } from '../ruleset/evaluate.js';
import type { Ruleset } from '../ruleset/model.js';

export interface CheckResult {
  from: { container: string; address: string; network: string };
  to: { target: string; address: string; port?: number; protocol: string; path: 'forward' | 'input'; network?: string };
  verdict: 'allowed' | 'denied';
  /** Audit-mode policies that would have denied it. */
  audited: string[];
  decidedBy?: { kind: string; name: string };
  reason: string;
}

const TO = /^([^:]+?|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?(?:\/(tcp|udp|icmp))?$/;

/** Parse TARGET[:PORT][/PROTO]; protocol defaults to tcp. Throws InvalidError. */
export function parseTarget(text: string): { target: string; port?: number; protocol: 'tcp' | 'udp' | 'icmp' } {
  const m = TO.exec(text.trim());
  if (!m) throw new InvalidError(`invalid --to "${text}": use TARGET:PORT/PROTO, e.g. app1-mysql:3306/tcp`, [{ field: 'to', message: 'unparsable' }]);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new InvalidError(`invalid port ${port}`, [{ field: 'to', message: 'port out of range' }]);
  return { target: m[1]!.replace(/^\[|\]$/g, ''), port, protocol: (m[3] as 'tcp' | 'udp' | 'icmp' | undefined) ?? 'tcp' };
}

/** Evaluate the packet. Throws NotFoundError for an unknown source container. */
export function checkPacket(inventory: DockerInventory, ruleset: Ruleset, fromName: string, to: string): CheckResult {
  const source = inventory.containers.find((c) => c.name === fromName);
  const srcEndpoint = source?.endpoints.find((e) => e.ipv4);
  if (!source || !srcEndpoint?.ipv4) throw new NotFoundError(`container "${fromName}" not found or has no IPv4 address`);
  const bridgeOf = (network: string): string | undefined => inventory.networks.find((n) => n.name === network)?.bridge;
  const { target, port, protocol } = parseTarget(to);

  const targetContainer = inventory.containers.find((c) => c.name === target);
  let address: string;
  let oif: string | undefined;
  let network: string | undefined;
  if (targetContainer) {
    const ep =
      targetContainer.endpoints.find((e) => e.network === srcEndpoint.network && e.ipv4) ?? targetContainer.endpoints.find((e) => e.ipv4);
    if (!ep?.ipv4) throw new NotFoundError(`container "${target}" has no IPv4 address`);
    address = ep.ipv4;
    network = ep.network;
    oif = bridgeOf(ep.network);
  } else {
    if (!parsePrefix(target) || target.includes('/')) {
      throw new NotFoundError(`"${target}" is neither a container nor an IP address`);
    }
    address = target;
    const owner = inventory.containers.flatMap((c) => c.endpoints).find((e) => e.ipv4 === address);
    network = owner?.network;
    oif = owner ? bridgeOf(owner.network) : undefined;
  }
  const hostAddress = !oif && inventory.networks.some((n) => n.gateways.includes(address));
  const packet: Packet = {
    iif: bridgeOf(srcEndpoint.network) ?? '',
    oif: hostAddress ? undefined : (oif ?? 'uplink'),
    saddr: srcEndpoint.ipv4,
    daddr: address,
    protocol,
    dport: port,
  };
  const path = hostAddress ? 'input' : 'forward';
  const outcome = evaluate(ruleset, path, packet);
  const origin = outcome.rule?.origin?.split('/');
  const audited = outcome.counted.flatMap((r) => (r.counter?.metric === 'audit' ? [r.counter.policy] : []));
  const counter = outcome.counter;
  const reason =
    outcome.verdict === 'drop' && counter && counter.metric !== 'exception'
      ? counter.reason
      : outcome.verdict === 'markAccept'
        ? 'exception'
        : 'no dockfence rule applies (Docker decides)';
  return {
    from: { container: source.name, address: srcEndpoint.ipv4, network: srcEndpoint.network },
    to: { target, address, port, protocol, path, network },
    verdict: outcome.verdict === 'drop' ? 'denied' : 'allowed',
    audited: [...new Set(audited)],
    decidedBy: origin && origin.length === 2 ? { kind: origin[0]!, name: origin[1]! } : undefined,
    reason,
  };
}
