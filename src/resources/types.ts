// The resource kinds of SPEC.md as TypeScript types. The CRDs in crds/ are the schema of record:
// these types mirror them for the compiler and controller, and must change together with them.

export const GROUP = 'dockfence.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export type Kind = 'IsolationPolicy' | 'ExposeRule' | 'EgressException';
export const KINDS: readonly Kind[] = ['IsolationPolicy', 'ExposeRule', 'EgressException'];

export type Protocol = 'tcp' | 'udp' | 'icmp';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** Selects containers; fields AND together; `{}` selects every container. */
export interface ContainerSelector {
  names?: string[];
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
  /** Attached to any of these Docker network names. */
  networks?: string[];
}

/** Selects Docker networks; `{}` selects every bridge network. */
export interface NetworkSelector {
  names?: string[];
  matchLabels?: Record<string, string>;
}

export interface PortSpec {
  protocol?: Protocol; // default tcp
  port: number;
}

export type AllowDeny = 'Allow' | 'Deny';

export interface IsolationPolicySpec {
  networks: NetworkSelector;
  sameNetwork?: AllowDeny; // default Allow
  otherNetworks?: AllowDeny; // default Deny
  host?: AllowDeny; // default Deny
  hostPorts?: PortSpec[];
  protectedCidrs?: string[];
  external?: AllowDeny; // default Allow
  mode?: 'Enforce' | 'Audit'; // default Enforce
}

export interface ExposePort {
  port: number;
  protocol?: Protocol; // default tcp
  hostPort?: number;
}

/** One `from` entry of an ExposeRule: exactly one of the three is set. */
export interface PeerSource {
  cidr?: string;
  containers?: ContainerSelector;
  networks?: NetworkSelector;
}

export interface ExposeRuleSpec {
  target: ContainerSelector;
  ports: ExposePort[];
  from?: PeerSource[]; // omitted = anyone
  hostInterfaces?: string[];
}

export interface EgressDestination {
  cidr: string;
  ports?: PortSpec[]; // omitted = all ports
}

export interface EgressExceptionSpec {
  source: ContainerSelector;
  to: EgressDestination[];
  masquerade?: boolean; // default true
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ResourceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  matchedContainers?: string[];
  matchedNetworks?: string[];
  droppedPackets?: number;
  [extra: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown[];
}

export interface Resource<K extends Kind = Kind, S = unknown> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: ResourceStatus;
}

export type IsolationPolicy = Resource<'IsolationPolicy', IsolationPolicySpec>;
export type ExposeRule = Resource<'ExposeRule', ExposeRuleSpec>;
export type EgressException = Resource<'EgressException', EgressExceptionSpec>;
export type AnyResource = IsolationPolicy | ExposeRule | EgressException;
