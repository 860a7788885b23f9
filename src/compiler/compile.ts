// The compiler's one entry point: declared resources + a Docker inventory snapshot -> the
// abstract ruleset to enforce and a result per resource for status. Pure and deterministic:
// same snapshot (in any order), byte-identical output. Where a packet's fate is decided.

import { ACCEPT_MARK, type Chain, type LookupSet, type NamedSet, type Rule, type Ruleset } from '../ruleset/model.js';
import { emitExceptions } from './emit-exceptions.js';
import { BRIDGES_SET, emitFromChain, emitHostChain, emitToChain, fromChain, hostChain, pairDrops, toChain } from './emit-isolation.js';
import { resolveNetworks, type NetworkDecisions } from './resolve.js';
import type { ResourceResult } from './results.js';
import { compare, governableNetworks } from './select.js';
import type { Snapshot } from './snapshot.js';

export interface CompileOutput {
  ruleset: Ruleset;
  results: ResourceResult[];
}

const EXCEPTIONS_CHAIN = 'exceptions';

/**
 * Compile a snapshot. Never throws on user data: a missing reference, an empty selection or an
 * invalid value yields a defined ruleset plus a diagnostic in that resource's result.
 */
export function compile(snapshot: Snapshot): CompileOutput {
  const inventory = snapshot.inventory;
  const bridges = governableNetworks(inventory);
  const { networks, matched, diagnostics } = resolveNetworks(snapshot.policies, inventory);
  const exceptions = emitExceptions(snapshot.exposeRules, snapshot.egressExceptions, inventory, !inventory.dockerIptables);

  const regular: Chain[] = [];
  const fromTargets: Array<{ ifname: string; chain: string }> = [];
  const toTargets: Array<{ ifname: string; chain: string }> = [];
  const hostTargets: Array<{ ifname: string; chain: string }> = [];
  const droppedAtSource = new Set(networks.filter((d) => d.otherNetworks.action === 'deny').map((d) => d.network.name));
  for (const d of networks) {
    const bridge = d.network.bridge;
    regular.push(emitFromChain(d, bridges));
    fromTargets.push({ ifname: bridge, chain: fromChain(bridge) });
    const to = emitToChain(d, bridges, droppedAtSource);
    if (to) {
      regular.push(to);
      toTargets.push({ ifname: bridge, chain: toChain(bridge) });
    }
    const host = emitHostChain(d);
    if (host) {
      regular.push(host);
      hostTargets.push({ ifname: bridge, chain: hostChain(bridge) });
    }
  }
  if (exceptions.forward.length > 0) regular.push({ name: EXCEPTIONS_CHAIN, rules: exceptions.forward });

  const base: Chain[] = [];
  const forward = forwardRules(exceptions.forward.length > 0, fromTargets, toTargets);
  if (forward.length > 0) base.push({ name: 'forward', hook: 'forward', rules: forward });
  if (hostTargets.length > 0) {
    base.push({ name: 'input', hook: 'input', rules: [dispatch('iif', hostTargets)] });
  }
  if (exceptions.prerouting.length > 0) base.push({ name: 'prerouting', hook: 'prerouting', rules: exceptions.prerouting });
  const postrouting = [...exceptions.postrouting, ...(inventory.dockerIptables ? [] : masqueradeRules(networks))];
  if (postrouting.length > 0) base.push({ name: 'postrouting', hook: 'postrouting', rules: postrouting });

  const chains = base.length > 0 ? [...base, ...regular.sort((a, b) => compare(a.name, b.name))] : [];
  const sets: NamedSet[] =
    chains.length > 0 ? [{ name: BRIDGES_SET, type: 'ifname', elements: bridges.map((n) => n.bridge).sort(compare) }] : [];
  const lookups: LookupSet[] = [...pairDrops(networks, bridges, droppedAtSource), ...exceptions.lookups];

  const policyResults: ResourceResult[] = [...snapshot.policies]
    .sort((a, b) => compare(a.metadata.name, b.metadata.name))
    .map((p) => {
      const nets = matched.get(p.metadata.name) ?? [];
      const containers = inventory.containers
        .filter((c) => c.endpoints.some((e) => nets.includes(e.network)))
        .map((c) => c.name)
        .sort(compare);
      return {
        kind: 'IsolationPolicy',
        name: p.metadata.name,
        matchedNetworks: nets,
        matchedContainers: containers,
        diagnostics: diagnostics.get(p.metadata.name) ?? [],
      };
    });

  return {
    ruleset: { sets, ...(lookups.length > 0 ? { lookups } : {}), chains, acceptMark: ACCEPT_MARK, dockerIptables: inventory.dockerIptables, ...(snapshot.options?.dropsBySource ? { dropsBySource: true } : {}) },
    results: [...policyResults, ...exceptions.results],
  };
}

function dispatch(on: 'iif' | 'oif', targets: Array<{ ifname: string; chain: string }>): Rule {
  return { match: {}, verdict: { kind: 'dispatch', on, targets } };
}

function forwardRules(
  hasExceptions: boolean,
  fromTargets: Array<{ ifname: string; chain: string }>,
  toTargets: Array<{ ifname: string; chain: string }>,
): Rule[] {
  if (!hasExceptions && fromTargets.length === 0) return [];
  // Replies and related packets of admitted connections pass; only packets touching a Docker
  // bridge are ever looked at, so the host's own traffic is never affected.
  const rules: Rule[] = [
    { match: { iif: { set: BRIDGES_SET }, ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
    { match: { oif: { set: BRIDGES_SET }, ctState: ['established', 'related'] }, verdict: { kind: 'accept' } },
  ];
  if (hasExceptions) rules.push({ match: {}, verdict: { kind: 'jump', chain: EXCEPTIONS_CHAIN } });
  if (fromTargets.length > 0) rules.push(dispatch('iif', fromTargets));
  if (toTargets.length > 0) rules.push(dispatch('oif', toTargets));
  return rules;
}

/** Docker does not manage iptables: masquerade governed subnets, never into protected CIDRs. */
function masqueradeRules(networks: NetworkDecisions[]): Rule[] {
  const rules: Rule[] = [];
  for (const d of networks) {
    if (d.external.action === 'deny') continue;
    const origin = `IsolationPolicy/${d.external.policy}`;
    for (const family of ['ipv4', 'ipv6'] as const) {
      const subnets = d.network.subnets.filter((s) => (family === 'ipv4') === !s.includes(':')).sort(compare);
      if (subnets.length === 0) continue;
      const saddr = { family, cidrs: subnets };
      const guarded = d.protectedCidrs.filter((g) => g.action === 'deny').flatMap((g) => g[family]);
      if (guarded.length > 0) {
        rules.push({ match: { saddr, daddr: { family, cidrs: guarded } }, verdict: { kind: 'return' }, origin });
      }
      rules.push({ match: { saddr, oif: { set: BRIDGES_SET } }, verdict: { kind: 'return' }, origin });
      rules.push({ match: { saddr }, verdict: { kind: 'masquerade' }, origin });
    }
  }
  return rules;
}
