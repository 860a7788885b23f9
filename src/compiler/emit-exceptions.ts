// Emit pass for exceptions, the only per-container rules: ExposeRule (open a container port to
// chosen sources across networks; publish it on the host with DNAT) and EgressException (let a
// container reach chosen destinations; masquerade when Docker does not). Pure.

import type { AddressFamily, LookupSet, Match, Rule } from '../ruleset/model.js';
import type { EgressException, ExposeRule, PortSpec, Protocol } from '../resources/types.js';
import { canonicalCidr, familyOf, normalizeCidrs } from '../lib/cidr.js';
import { type ExceptionGrant, exceptionLookups } from './exception-lookups.js';
import type { Diagnostic, ResourceResult } from './results.js';
import { compare, containerAddresses, selectContainers, selectNetworks } from './select.js';
import type { DockerInventory } from './snapshot.js';

export interface ExceptionRules {
  forward: Rule[]; // chain `exceptions`
  lookups: LookupSet[]; // what the forward rules look up
  prerouting: Rule[]; // DNAT
  postrouting: Rule[]; // masquerade
  results: ResourceResult[];
}

const FAMILIES: AddressFamily[] = ['ipv4', 'ipv6'];

/** Protocol/port matches for a port list: one per protocol; [{}] = any protocol and port. */
function portMatches(ports: readonly PortSpec[] | undefined, family: AddressFamily): Match[] {
  if (ports === undefined || ports.length === 0) return [{}];
  const byProtocol = new Map<Protocol, number[]>();
  for (const p of ports) byProtocol.set(p.protocol ?? 'tcp', [...(byProtocol.get(p.protocol ?? 'tcp') ?? []), p.port]);
  return [...byProtocol.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([protocol, list]): Match => {
      if (protocol === 'icmp') return { protocol: family === 'ipv4' ? 'icmp' : 'icmpv6' };
      const unique = [...new Set(list)].sort((a, b) => a - b);
      return { protocol, dports: unique.map((port) => ({ from: port, to: port })) };
    });
}

function addressesOf(containers: ReturnType<typeof selectContainers>, family: AddressFamily): string[] {
  return [...new Set(containers.flatMap((c) => containerAddresses(c)[family]))].sort(compare);
}

/** Sources of an ExposeRule per family; undefined = anyone. */
function resolveSources(
  rule: ExposeRule,
  inventory: DockerInventory,
  diagnostics: Diagnostic[],
): Record<AddressFamily, string[]> | undefined {
  if (rule.spec.from === undefined) return undefined;
  const all: string[] = [];
  for (const [i, peer] of rule.spec.from.entries()) {
    if (peer.cidr !== undefined) {
      const cidr = canonicalCidr(peer.cidr);
      if (cidr) all.push(cidr);
      else diagnostics.push({ severity: 'error', reason: 'InvalidCidr', message: `spec.from[${i}].cidr: ${peer.cidr}` });
    }
    if (peer.containers !== undefined) {
      const cs = selectContainers(peer.containers, inventory);
      all.push(...addressesOf(cs, 'ipv4'), ...addressesOf(cs, 'ipv6'));
    }
    if (peer.networks !== undefined) {
      all.push(...selectNetworks(peer.networks, inventory).flatMap((n) => n.subnets));
    }
  }
  return { ipv4: normalizeCidrs(all, 'ipv4'), ipv6: normalizeCidrs(all, 'ipv6') };
}

/** What the emit passes collect before the exceptions chain is built. */
interface Collected extends Omit<ExceptionRules, 'forward' | 'lookups'> {
  grants: ExceptionGrant[];
}

function emitExpose(rule: ExposeRule, inventory: DockerInventory, out: Collected): void {
  const name = rule.metadata.name;
  const diagnostics: Diagnostic[] = [];
  const targets = selectContainers(rule.spec.target, inventory);
  const sources = resolveSources(rule, inventory, diagnostics);
  const origin = `ExposeRule/${name}`;
  const counter = { metric: 'exception', kind: 'ExposeRule', name } as const;
  if (targets.length === 0) {
    diagnostics.push({ severity: 'warning', reason: 'NoMatchingContainers', message: 'no container matches spec.target' });
  }
  for (const family of FAMILIES) {
    const saddr = sources && { family, cidrs: sources[family] };
    if (saddr && saddr.cidrs.length === 0) continue; // sources given, none of this family
    const daddrs = addressesOf(targets, family);
    if (daddrs.length === 0) continue;
    for (const port of rule.spec.ports) {
      for (const ports of portMatches([{ protocol: port.protocol, port: port.port }], family)) {
        out.grants.push({ family, saddrs: saddr?.cidrs, daddrs, ports, counter, origin });
      }
    }
  }
  emitPublish(rule, targets, sources, out, diagnostics);
  out.results.push({
    kind: 'ExposeRule',
    name,
    matchedNetworks: [...new Set(targets.flatMap((c) => c.endpoints.map((e) => e.network)))].sort(compare),
    matchedContainers: targets.map((c) => c.name),
    diagnostics,
  });
}

/** DNAT for ports with a hostPort: to one container (the first by name; more is a Conflict). */
function emitPublish(
  rule: ExposeRule,
  targets: ReturnType<typeof selectContainers>,
  sources: Record<AddressFamily, string[]> | undefined,
  out: Collected,
  diagnostics: Diagnostic[],
): void {
  const published = rule.spec.ports.filter((p) => p.hostPort !== undefined && (p.protocol ?? 'tcp') !== 'icmp');
  if (published.length === 0) return;
  const running = targets.filter((c) => containerAddresses(c).ipv4.length + containerAddresses(c).ipv6.length > 0);
  if (running.length > 1) {
    diagnostics.push({
      severity: 'warning',
      reason: 'Conflict',
      message: `hostPort needs one target; ${running.length} match, publishing ${running[0]!.name}`,
    });
  }
  const target = running[0];
  if (!target) return;
  const iif = rule.spec.hostInterfaces?.length ? { names: [...rule.spec.hostInterfaces].sort(compare) } : undefined;
  for (const family of FAMILIES) {
    const address = containerAddresses(target)[family][0];
    const saddr = sources && { family, cidrs: sources[family] };
    if (!address || (saddr && saddr.cidrs.length === 0)) continue;
    for (const port of published) {
      const protocol = port.protocol ?? 'tcp';
      out.prerouting.push({
        match: {
          family,
          ...(iif ? { iif } : {}),
          ...(saddr ? { saddr } : {}),
          daddrLocal: true,
          protocol: protocol as 'tcp' | 'udp',
          dports: [{ from: port.hostPort!, to: port.hostPort! }],
        },
        verdict: { kind: 'dnat', family, address, port: port.port },
        origin: `ExposeRule/${rule.metadata.name}`,
      });
    }
  }
}

function emitEgress(rule: EgressException, inventory: DockerInventory, masquerade: boolean, out: Collected): void {
  const name = rule.metadata.name;
  const diagnostics: Diagnostic[] = [];
  const sources = selectContainers(rule.spec.source, inventory);
  if (sources.length === 0) {
    diagnostics.push({ severity: 'warning', reason: 'NoMatchingContainers', message: 'no container matches spec.source' });
  }
  const origin = `EgressException/${name}`;
  const counter = { metric: 'exception', kind: 'EgressException', name } as const;
  for (const [i, to] of rule.spec.to.entries()) {
    const cidr = canonicalCidr(to.cidr);
    const family = familyOf(to.cidr);
    if (!cidr || !family) {
      diagnostics.push({ severity: 'error', reason: 'InvalidCidr', message: `spec.to[${i}].cidr: ${to.cidr}` });
      continue;
    }
    const saddrs = addressesOf(sources, family);
    if (saddrs.length === 0) continue;
    for (const pm of portMatches(to.ports, family)) {
      const match: Match = { saddr: { family, cidrs: saddrs }, daddr: { family, cidrs: [cidr] }, ...pm };
      out.grants.push({ family, saddrs, daddrs: [cidr], ports: pm, counter, origin });
      if (masquerade && rule.spec.masquerade !== false) {
        out.postrouting.push({ match: { ...match, oif: { set: 'bridges', negate: true } }, verdict: { kind: 'masquerade' }, origin });
      }
    }
  }
  out.results.push({
    kind: 'EgressException',
    name,
    matchedNetworks: [...new Set(sources.flatMap((c) => c.endpoints.map((e) => e.network)))].sort(compare),
    matchedContainers: sources.map((c) => c.name),
    diagnostics,
  });
}

/**
 * Rules for every exception. `ownMasquerade`: Docker does not manage iptables, so dockfence
 * masquerades egress itself.
 */
export function emitExceptions(
  exposeRules: ExposeRule[],
  egressExceptions: EgressException[],
  inventory: DockerInventory,
  ownMasquerade: boolean,
): ExceptionRules {
  const out: Collected = { grants: [], prerouting: [], postrouting: [], results: [] };
  for (const r of [...exposeRules].sort((a, b) => compare(a.metadata.name, b.metadata.name))) emitExpose(r, inventory, out);
  for (const e of [...egressExceptions].sort((a, b) => compare(a.metadata.name, b.metadata.name))) {
    emitEgress(e, inventory, ownMasquerade, out);
  }
  const { grants, ...rest } = out;
  const { rules, lookups } = exceptionLookups(grants);
  return { ...rest, forward: rules, lookups };
}
