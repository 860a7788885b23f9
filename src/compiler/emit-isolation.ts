// Emit pass for the four isolation questions: per governed network, the chains its bridge
// dispatches to. Denies match bridges and subnets, never containers, so a container started a
// moment ago is isolated from its first packet. Pure.
//
// forward: iifname vmap { <bridge X>: jump from-X }   packets leaving X   (questions 1, 2, 4)
//          oifname vmap { <bridge Y>: jump to-Y }     packets entering Y  (question 2, inbound)
// input:   iifname vmap { <bridge X>: jump host-X }   packets for the host (question 3)
//
// Denied network pairs (question 2): one `oifname @bridges drop` in from-X (X drops at the
// source) or `iifname @bridges drop` in to-Y (Y drops on the way in), each preceded by a count per
// pair into a dynamic set (`update @network_pairs_out { iifname . oifname }`, `..._in`): a few
// rules per network and no element per pair until a pair sees traffic, however many networks.
// Each pair is counted in at most one of the two, against the policy that drops it.

import { hashString } from '../ruleset/hash.js';
import type { Chain, CounterLabels, LookupElement, LookupSet, Rule, Verdict } from '../ruleset/model.js';
import type { Action, Decision, NetworkDecisions } from './resolve.js';
import { compare } from './select.js';
import type { DockerNetwork } from './snapshot.js';

type Reason = Extract<CounterLabels, { reason: unknown }>['reason'];

export const BRIDGES_SET = 'bridges';
export const PAIRS_OUT_SET = 'network_pairs_out';
export const PAIRS_IN_SET = 'network_pairs_in';

/**
 * Chain-name part for a bridge. Docker's own names (`docker0`, `br-<id12>`) are used as they are;
 * a custom com.docker.network.bridge.name with characters chain names cannot hold (uppercase,
 * dots) becomes a stable hash, so every backend can name the chain.
 */
function chainPart(bridge: string): string {
  return /^[a-z0-9-]{1,15}$/.test(bridge) ? bridge : `n${hashString(bridge).slice(0, 12)}`;
}

export function fromChain(bridge: string): string {
  return `from-${chainPart(bridge)}`;
}
export function toChain(bridge: string): string {
  return `to-${chainPart(bridge)}`;
}
export function hostChain(bridge: string): string {
  return `host-${chainPart(bridge)}`;
}

/** The rule's verdict and counter for a deny or audit decision; undefined for allow. */
function enforce(
  decision: Decision | { action: Action; policy: string },
  labels: { src: string; dst: string; reason: Reason },
): Pick<Rule, 'verdict' | 'counter'> | undefined {
  if (decision.action === 'allow') return undefined;
  const audit = decision.action === 'audit';
  // Audit counts and leaves this network's chain: nothing later in it counts the packet again.
  const verdict: Verdict = audit ? { kind: 'return' } : { kind: 'drop' };
  return {
    verdict,
    counter: {
      metric: audit ? 'audit' : 'dropped',
      srcNetwork: labels.src,
      dstNetwork: labels.dst,
      reason: labels.reason,
      policy: decision.policy,
    },
  };
}

function origin(decision: { policy: string }): string {
  return `IsolationPolicy/${decision.policy}`;
}

/** Chain from-X: what containers on X may send through the forward path. */
export function emitFromChain(d: NetworkDecisions, allBridges: DockerNetwork[]): Chain {
  const self = d.network;
  const rules: Rule[] = [];
  const same = enforce(d.sameNetwork, { src: self.name, dst: self.name, reason: 'same_network' });
  if (same) rules.push({ match: { oif: { names: [self.bridge] } }, ...same, origin: origin(d.sameNetwork) });
  const others = allBridges.filter((other) => other.name !== self.name);
  if (d.otherNetworks.action === 'deny' && others.length > 0) {
    // Same-network packets are not another network's (unless the rule above decided them).
    if (!same) rules.push({ match: { oif: { names: [self.bridge] } }, verdict: { kind: 'return' } });
    // Count per pair (PAIRS_OUT_SET, see pairDrops), then drop. The iifname is implied by the
    // chain; stated so iptables expands only this network's pairs.
    const counted = { iif: { names: [self.bridge] }, oif: { set: BRIDGES_SET }, lookup: PAIRS_OUT_SET };
    rules.push({ match: counted, verdict: { kind: 'continue' } });
    rules.push({ match: { oif: { set: BRIDGES_SET } }, verdict: { kind: 'drop' }, origin: origin(d.otherNetworks) });
  }
  for (const other of d.otherNetworks.action === 'audit' ? others : []) {
    const audit = enforce(d.otherNetworks, { src: self.name, dst: other.name, reason: 'other_network' })!;
    rules.push({ match: { oif: { names: [other.bridge] } }, ...audit, origin: origin(d.otherNetworks) });
  }
  // Everything below leaves the Docker bridges: the physical networks and the world. (After a
  // deny of other networks every bridge is decided already.)
  if (d.otherNetworks.action !== 'deny' || others.length === 0) rules.push({ match: { oif: { set: BRIDGES_SET } }, verdict: { kind: 'return' } });
  for (const group of d.protectedCidrs) {
    for (const family of ['ipv4', 'ipv6'] as const) {
      if (group[family].length === 0) continue;
      const deny = enforce(group, { src: self.name, dst: 'protected', reason: 'protected' });
      rules.push({ match: { daddr: { family, cidrs: group[family] } }, ...deny!, origin: origin(group) });
    }
  }
  const external = enforce(d.external, { src: self.name, dst: 'external', reason: 'external' });
  if (external) rules.push({ match: {}, ...external, origin: origin(d.external) });
  return { name: fromChain(self.bridge), rules };
}

/**
 * Chain to-Y: what may enter Y from other Docker networks (inbound half of question 2).
 * `droppedAtSource` names networks whose own from-chain already drops everything bound for other
 * networks (otherNetworks enforced Deny): their packets never get here, so they need no rule.
 */
export function emitToChain(d: NetworkDecisions, allBridges: DockerNetwork[], droppedAtSource: ReadonlySet<string>): Chain | undefined {
  const self = d.network;
  const senders = inboundSenders(d, allBridges, droppedAtSource);
  if (d.otherNetworks.action === 'allow' || senders.length === 0) return undefined;
  if (d.otherNetworks.action === 'deny') {
    // Every bridge but self: the senders (counted per pair in PAIRS_IN_SET, see pairDrops), and
    // networks that drop at the source, whose packets never get here.
    const rules: Rule[] = [
      { match: { iif: { names: [self.bridge] } }, verdict: { kind: 'return' } },
      { match: { iif: { set: BRIDGES_SET }, oif: { names: [self.bridge] }, lookup: PAIRS_IN_SET }, verdict: { kind: 'continue' } },
      { match: { iif: { set: BRIDGES_SET } }, verdict: { kind: 'drop' }, origin: origin(d.otherNetworks) },
    ];
    return { name: toChain(self.bridge), rules };
  }
  const rules = senders.map((other): Rule => {
    const audit = enforce(d.otherNetworks, { src: other.name, dst: self.name, reason: 'other_network' })!;
    return { match: { iif: { names: [other.bridge] } }, ...audit, origin: origin(d.otherNetworks) };
  });
  return { name: toChain(self.bridge), rules };
}

/** Networks whose packets into d's network reach its to-chain: all others not dropped at source. */
function inboundSenders(d: NetworkDecisions, allBridges: DockerNetwork[], droppedAtSource: ReadonlySet<string>): DockerNetwork[] {
  return allBridges.filter((other) => other.name !== d.network.name && !droppedAtSource.has(other.name));
}

/**
 * The denied network pairs, one counted element each. Out: (X, Y) for every other network Y of a
 * network X that denies other networks (its from-chain drops them). In: for every network Y that
 * denies them, (X, Y) for each X not already dropped at source (Y's to-chain drops them). No pair
 * is in both, so each is counted against the one policy that drops it.
 */
export function pairDrops(networks: NetworkDecisions[], allBridges: DockerNetwork[], droppedAtSource: ReadonlySet<string>): LookupSet[] {
  const out: LookupElement[] = [];
  const into: LookupElement[] = [];
  const element = (src: DockerNetwork, dst: DockerNetwork, policy: string): LookupElement => ({
    iif: src.bridge,
    oif: dst.bridge,
    counter: { metric: 'dropped', srcNetwork: src.name, dstNetwork: dst.name, reason: 'other_network', policy },
    origin: origin({ policy }),
  });
  for (const d of networks) {
    if (d.otherNetworks.action !== 'deny') continue;
    for (const other of allBridges) if (other.name !== d.network.name) out.push(element(d.network, other, d.otherNetworks.policy));
    for (const sender of inboundSenders(d, allBridges, droppedAtSource)) into.push(element(sender, d.network, d.otherNetworks.policy));
  }
  const key = (e: LookupElement): string => `${e.iif} ${e.oif}`;
  const sorted = (list: LookupElement[]) => list.sort((a, b) => compare(key(a), key(b)));
  return [
    { name: PAIRS_OUT_SET, key: ['iif', 'oif'], elements: sorted(out), dynamic: true },
    { name: PAIRS_IN_SET, key: ['iif', 'oif'], elements: sorted(into), dynamic: true },
  ].filter((set) => set.elements.length > 0) as LookupSet[];
}

/** Chain host-X: what containers on X may send to the host's own addresses (question 3). */
export function emitHostChain(d: NetworkDecisions): Chain | undefined {
  const deny = enforce(d.host, { src: d.network.name, dst: 'host', reason: 'host' });
  if (!deny) return undefined;
  const rules: Rule[] = [
    { match: { ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
    // IPv6 needs neighbour discovery with its gateway; the model has no ICMP types, so all ICMPv6.
    { match: { family: 'ipv6', protocol: 'icmpv6' }, verdict: { kind: 'accept' } },
  ];
  const byProtocol = new Map<string, number[]>();
  for (const p of d.hostPorts) byProtocol.set(p.protocol, [...(byProtocol.get(p.protocol) ?? []), p.port]);
  for (const [protocol, ports] of [...byProtocol.entries()].sort()) {
    if (protocol === 'icmp') {
      rules.push({ match: { family: 'ipv4', protocol: 'icmp' }, verdict: { kind: 'accept' }, origin: origin(d.host) });
      continue;
    }
    rules.push({
      match: { protocol: protocol as 'tcp' | 'udp', dports: ports.map((port) => ({ from: port, to: port })) },
      verdict: { kind: 'accept' },
      origin: origin(d.host),
    });
  }
  rules.push({ match: {}, ...deny, origin: origin(d.host) });
  return { name: hostChain(d.network.bridge), rules };
}
