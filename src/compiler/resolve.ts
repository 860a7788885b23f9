// Resolve pass: for every governed network, the effective answer to each isolation question when
// one or more IsolationPolicies govern it. The stricter answer wins (Enforce deny > Audit deny >
// allow); ties go to the policy whose name sorts first. Pure.

import type { IsolationPolicy, PortSpec, Protocol } from '../resources/types.js';
import { isCovered, normalizeCidrs } from '../lib/cidr.js';
import type { Diagnostic } from './results.js';
import { compare, selectNetworks } from './select.js';
import type { DockerInventory, DockerNetwork } from './snapshot.js';

export type Action = 'allow' | 'deny' | 'audit';

export interface Decision {
  action: Action;
  policy: string; // the deciding policy ('' only when nothing governs)
}

export interface ProtectedGroup {
  action: 'deny' | 'audit';
  policy: string;
  ipv4: string[];
  ipv6: string[];
}

export interface NetworkDecisions {
  network: DockerNetwork;
  policies: string[]; // governing policies, sorted
  sameNetwork: Decision;
  otherNetworks: Decision;
  host: Decision;
  /** Ports the host stays open on when host is denied or audited. */
  hostPorts: Array<{ protocol: Protocol; port: number }>;
  protectedCidrs: ProtectedGroup[];
  external: Decision;
}

type Question = 'sameNetwork' | 'otherNetworks' | 'host' | 'external';
const DEFAULTS: Record<Question, 'Allow' | 'Deny'> = {
  sameNetwork: 'Allow',
  otherNetworks: 'Deny',
  host: 'Deny',
  external: 'Allow',
};
const RANK: Record<Action, number> = { deny: 2, audit: 1, allow: 0 };

function answer(policy: IsolationPolicy, question: Question): Action {
  const value = policy.spec[question] ?? DEFAULTS[question];
  if (value === 'Allow') return 'allow';
  return policy.spec.mode === 'Audit' ? 'audit' : 'deny';
}

function decide(policies: IsolationPolicy[], question: Question): Decision {
  let best: Decision = { action: 'allow', policy: policies[0]?.metadata.name ?? '' };
  for (const p of policies) {
    const action = answer(p, question);
    if (RANK[action] > RANK[best.action]) best = { action, policy: p.metadata.name };
  }
  return best;
}

function portKey(p: PortSpec): string {
  return `${p.protocol ?? 'tcp'}/${p.port}`;
}

/** Ports open on the host: the intersection over the policies that share the winning answer. */
function resolveHostPorts(policies: IsolationPolicy[], host: Decision): NetworkDecisions['hostPorts'] {
  const deciders = policies.filter((p) => answer(p, 'host') === host.action);
  if (host.action === 'allow' || deciders.length === 0) return [];
  let keys = new Set((deciders[0]!.spec.hostPorts ?? []).map(portKey));
  for (const p of deciders.slice(1)) {
    const theirs = new Set((p.spec.hostPorts ?? []).map(portKey));
    keys = new Set([...keys].filter((k) => theirs.has(k)));
  }
  return [...keys].sort(compare).map((k) => {
    const [protocol, port] = k.split('/');
    return { protocol: protocol as Protocol, port: Number(port) };
  });
}

function resolveProtected(policies: IsolationPolicy[]): ProtectedGroup[] {
  // Enforcing policies first: a prefix an earlier policy already denies needs no second rule,
  // and audit never shadows a deny.
  const ordered = [...policies].sort(
    (a, b) => Number(a.spec.mode === 'Audit') - Number(b.spec.mode === 'Audit') || compare(a.metadata.name, b.metadata.name),
  );
  const denied: string[] = [];
  const groups: ProtectedGroup[] = [];
  for (const p of ordered) {
    const cidrs = p.spec.protectedCidrs ?? [];
    const fresh = (family: 'ipv4' | 'ipv6'): string[] => normalizeCidrs(cidrs, family).filter((c) => !isCovered(c, denied));
    const group: ProtectedGroup = {
      action: p.spec.mode === 'Audit' ? 'audit' : 'deny',
      policy: p.metadata.name,
      ipv4: fresh('ipv4'),
      ipv6: fresh('ipv6'),
    };
    if (group.ipv4.length + group.ipv6.length === 0) continue;
    groups.push(group);
    if (group.action === 'deny') denied.push(...group.ipv4, ...group.ipv6);
  }
  return groups;
}

/**
 * Effective decisions for every network some policy governs, sorted by network name, plus
 * per-policy diagnostics (NoMatchingNetworks, Conflict) keyed by policy name.
 */
export function resolveNetworks(
  policies: IsolationPolicy[],
  inventory: DockerInventory,
): { networks: NetworkDecisions[]; matched: Map<string, string[]>; diagnostics: Map<string, Diagnostic[]> } {
  const sorted = [...policies].sort((a, b) => compare(a.metadata.name, b.metadata.name));
  const governing = new Map<string, { network: DockerNetwork; policies: IsolationPolicy[] }>();
  const matched = new Map<string, string[]>();
  const diagnostics = new Map<string, Diagnostic[]>(sorted.map((p) => [p.metadata.name, []]));
  for (const policy of sorted) {
    const nets = selectNetworks(policy.spec.networks, inventory);
    matched.set(policy.metadata.name, nets.map((n) => n.name));
    if (nets.length === 0) {
      diagnostics.get(policy.metadata.name)!.push({
        severity: 'warning',
        reason: 'NoMatchingNetworks',
        message: 'no Docker bridge network matches spec.networks',
      });
    }
    for (const n of nets) {
      const entry = governing.get(n.name) ?? { network: n, policies: [] };
      entry.policies.push(policy);
      governing.set(n.name, entry);
    }
  }
  const networks = [...governing.values()]
    .sort((a, b) => compare(a.network.name, b.network.name))
    .map(({ network, policies: ps }) => {
      const decisions: NetworkDecisions = {
        network,
        policies: ps.map((p) => p.metadata.name),
        sameNetwork: decide(ps, 'sameNetwork'),
        otherNetworks: decide(ps, 'otherNetworks'),
        host: decide(ps, 'host'),
        hostPorts: [],
        protectedCidrs: resolveProtected(ps),
        external: decide(ps, 'external'),
      };
      decisions.hostPorts = resolveHostPorts(ps, decisions.host);
      reportConflicts(ps, decisions, diagnostics);
      return decisions;
    });
  return { networks, matched, diagnostics };
}

function reportConflicts(
  policies: IsolationPolicy[],
  decisions: NetworkDecisions,
  diagnostics: Map<string, Diagnostic[]>,
): void {
  if (policies.length < 2) return;
  for (const question of ['sameNetwork', 'otherNetworks', 'host', 'external'] as const) {
    const winner = decisions[question];
    const losers = policies.filter((p) => answer(p, question) !== winner.action);
    if (losers.length === 0) continue;
    const message = `network ${decisions.network.name}: ${question} is ${winner.action} by policy ${winner.policy} (stricter), overriding ${losers.map((p) => p.metadata.name).join(', ')}`;
    for (const name of new Set([winner.policy, ...losers.map((p) => p.metadata.name)])) {
      diagnostics.get(name)!.push({ severity: 'warning', reason: 'Conflict', message });
    }
  }
}
