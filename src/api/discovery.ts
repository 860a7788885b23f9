// Discovery documents kubectl reads before anything else: /version, /api, /apis and the
// APIResourceList of our group-version, all derived from the loaded CRDs. Pure.

import type { CrdRegistry } from '../resources/crd.js';

/** The Kubernetes minor version kubectl's dispatcher picks its client by. */
export const KUBE_COMPAT = { major: '1', minor: '32', gitVersion: 'v1.32.0' };

/** /version: Kubernetes-shaped, answering as a 1.32 server (dockfence's own version in buildDate's stead). */
export function versionInfo(dockfenceVersion: string): Record<string, string> {
  return {
    major: KUBE_COMPAT.major,
    minor: KUBE_COMPAT.minor,
    gitVersion: KUBE_COMPAT.gitVersion,
    gitCommit: `dockfence-${dockfenceVersion}`,
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: 'none',
    compiler: 'dockfence',
    platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    dockfenceVersion,
  };
}

/**
 * /api: the legacy core group. dockfence serves no core resources, so it lists no version
 * (client-go treats an empty core v1 resource list as a discovery failure).
 */
export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: [],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** /api/v1: no core resources. */
export function coreResourceList(): object {
  return { kind: 'APIResourceList', groupVersion: 'v1', resources: [] };
}

function groupOf(registry: CrdRegistry): object[] {
  const byGroup = new Map<string, Set<string>>();
  for (const crd of registry.all) byGroup.set(crd.group, (byGroup.get(crd.group) ?? new Set()).add(crd.version));
  return [...byGroup].map(([name, versions]) => {
    const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { name, versions: list, preferredVersion: list[0] };
  });
}

/** /apis: the legacy (non-aggregated) APIGroupList. */
export function apiGroupList(registry: CrdRegistry): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupOf(registry) };
}

/** /apis/<group>: one APIGroup, or undefined when no CRD has that group. */
export function apiGroup(registry: CrdRegistry, group: string): object | undefined {
  const found = groupOf(registry).find((g) => (g as { name: string }).name === group);
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...found } : undefined;
}

/** /apis/<group>/<version>: every kind with its verbs, short names and categories, plus /status. */
export function apiResourceList(registry: CrdRegistry, group: string, version: string): object | undefined {
  const crds = registry.all.filter((c) => c.group === group && c.version === version);
  if (crds.length === 0) return undefined;
  const resources = crds.flatMap((crd) => {
    const main = {
      name: crd.plural,
      singularName: crd.singular,
      namespaced: crd.namespaced,
      kind: crd.kind,
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
      shortNames: crd.shortNames,
      categories: crd.categories,
    };
    const status = { name: `${crd.plural}/status`, singularName: '', namespaced: crd.namespaced, kind: crd.kind, verbs: ['get', 'patch', 'update'] };
    return crd.hasStatus ? [main, status] : [main];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources };
}
