// The URL names of each kind, for messages written far from the CRDs (the store). The CRDs in
// crds/ remain the source: a unit test checks this table against them. Pure.

import { GROUP, type Kind } from './types.js';

export const PLURALS: Readonly<Record<Kind, string>> = {
  IsolationPolicy: 'isolationpolicies',
  ExposeRule: 'exposerules',
  EgressException: 'egressexceptions',
};

/** `isolationpolicies.dockfence.io "name"`: how Kubernetes names an object in error messages. */
export function qualifiedName(kind: Kind, name: string): string {
  return `${PLURALS[kind]}.${GROUP} ${JSON.stringify(name)}`;
}
