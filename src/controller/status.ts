// Status of each resource from the compiler's result and the reconcile's outcome: Kubernetes
// conditions (Ready, Degraded) that keep their lastTransitionTime while unchanged. Pure.

import type { ResourceResult } from '../compiler/results.js';
import type { AnyResource, Condition, ResourceStatus } from '../resources/types.js';

export interface Outcome {
  /** Set when applying failed: every resource is not Ready with ApplyFailed. */
  applyError?: string;
  /** Set when the host preflight failed: IsolationPolicies are not Ready with HostNotReady. */
  hostNotReady?: string;
  /** Per resource key `Kind/name`: packets dropped (policies) or admitted (exceptions). */
  packets: Map<string, number>;
}

function condition(
  previous: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition {
  const old = previous?.find((c) => c.type === next.type);
  const unchanged = old && old.status === next.status && old.reason === next.reason;
  return { ...next, lastTransitionTime: unchanged ? old.lastTransitionTime : now.toISOString() };
}

/** The status the controller wants for `resource`. */
export function buildStatus(resource: AnyResource, result: ResourceResult | undefined, outcome: Outcome, now: Date): ResourceStatus {
  const generation = resource.metadata.generation ?? 1;
  const diagnostics = result?.diagnostics ?? [];
  const blocking = diagnostics.find((d) => d.severity === 'error' || d.reason.startsWith('NoMatching'));
  const conflicts = diagnostics.filter((d) => d.reason === 'Conflict');
  const mode = resource.kind === 'IsolationPolicy' && resource.spec.mode === 'Audit' ? 'Audit' : 'Enforced';

  let ready: Omit<Condition, 'lastTransitionTime'>;
  if (outcome.applyError) {
    ready = { type: 'Ready', status: 'False', reason: 'ApplyFailed', message: outcome.applyError };
  } else if (outcome.hostNotReady && resource.kind === 'IsolationPolicy') {
    ready = { type: 'Ready', status: 'False', reason: 'HostNotReady', message: outcome.hostNotReady };
  } else if (blocking) {
    ready = { type: 'Ready', status: 'False', reason: blocking.reason, message: blocking.message };
  } else {
    ready = { type: 'Ready', status: 'True', reason: mode, message: mode === 'Audit' ? 'counting what it would drop' : 'enforced in the kernel' };
  }
  const conditions = [condition(resource.status?.conditions, { ...ready, observedGeneration: generation }, now)];
  if (conflicts.length > 0) {
    conditions.push(
      condition(
        resource.status?.conditions,
        { type: 'Degraded', status: 'True', reason: 'Conflict', message: conflicts.map((c) => c.message).join('; '), observedGeneration: generation },
        now,
      ),
    );
  }
  const key = `${resource.kind}/${resource.metadata.name}`;
  const status: ResourceStatus = {
    observedGeneration: generation,
    conditions,
    matchedNetworks: result?.matchedNetworks ?? [],
    matchedContainers: result?.matchedContainers ?? [],
  };
  const packets = outcome.packets.get(key);
  if (resource.kind === 'IsolationPolicy') status.droppedPackets = packets ?? resource.status?.droppedPackets ?? 0;
  else status.admittedPackets = packets ?? resource.status?.admittedPackets ?? 0;
  return status;
}
