// The CRDs are the schema of record and types.ts mirrors them: these tests fail when one changes
// without the other. Each sample sets every field its TS type has (TypeScript enforces that).
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../api/crd-loader.js';
import type { JsonSchema } from './crd.js';
import { PLURALS } from './kinds.js';
import type {
  ContainerSelector,
  EgressDestination,
  EgressExceptionSpec,
  ExposePort,
  ExposeRuleSpec,
  IsolationPolicySpec,
  NetworkSelector,
  PeerSource,
  PortSpec,
} from './types.js';
import { KINDS } from './types.js';

const crds = loadCrds();
const specOf = (kind: string): JsonSchema => crds.byKind(kind).schema.properties!.spec!;

const containers: Required<ContainerSelector> = {
  names: ['c'],
  matchLabels: { a: 'b' },
  matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }],
  networks: ['n'],
};
const networks: Required<NetworkSelector> = { names: ['n'], matchLabels: { a: 'b' } };
const port: Required<PortSpec> = { protocol: 'udp', port: 53 };
const isolation: Required<IsolationPolicySpec> = {
  networks,
  sameNetwork: 'Deny',
  otherNetworks: 'Allow',
  host: 'Allow',
  hostPorts: [port],
  protectedCidrs: ['10.10.10.0/24'],
  external: 'Deny',
  mode: 'Audit',
};
const exposePort: Required<ExposePort> = { port: 80, protocol: 'tcp', hostPort: 8080 };
const peer: Required<PeerSource> = { cidr: '0.0.0.0/0', containers, networks };
const expose: Required<ExposeRuleSpec> = { target: containers, ports: [exposePort], from: [peer], hostInterfaces: ['ens3'] };
const destination: Required<EgressDestination> = { cidr: '10.10.10.55/32', ports: [port] };
const egress: Required<EgressExceptionSpec> = { source: containers, to: [destination], masquerade: false };

function keys(schema: JsonSchema | undefined): string[] {
  return Object.keys(schema?.properties ?? {}).sort();
}

describe('CRDs mirror src/resources/types.ts', () => {
  it('declares exactly the fields of each spec type', () => {
    expect(keys(specOf('IsolationPolicy'))).toEqual(Object.keys(isolation).sort());
    expect(keys(specOf('ExposeRule'))).toEqual(Object.keys(expose).sort());
    expect(keys(specOf('EgressException'))).toEqual(Object.keys(egress).sort());
    expect(keys(specOf('IsolationPolicy').properties!.networks)).toEqual(Object.keys(networks).sort());
    expect(keys(specOf('IsolationPolicy').properties!.hostPorts!.items)).toEqual(Object.keys(port).sort());
    expect(keys(specOf('ExposeRule').properties!.target)).toEqual(Object.keys(containers).sort());
    expect(keys(specOf('ExposeRule').properties!.ports!.items)).toEqual(Object.keys(exposePort).sort());
    expect(keys(specOf('ExposeRule').properties!.from!.items)).toEqual(Object.keys(peer).sort());
    expect(keys(specOf('ExposeRule').properties!.from!.items!.properties!.containers)).toEqual(Object.keys(containers).sort());
    expect(keys(specOf('EgressException').properties!.source)).toEqual(Object.keys(containers).sort());
    expect(keys(specOf('EgressException').properties!.to!.items)).toEqual(Object.keys(destination).sort());
  });

  it('declares the required fields of each spec type', () => {
    expect(specOf('IsolationPolicy').required).toEqual(['networks']);
    expect(specOf('ExposeRule').required).toEqual(['target', 'ports']);
    expect(specOf('EgressException').required).toEqual(['source', 'to']);
    expect(specOf('EgressException').properties!.to!.items!.required).toEqual(['cidr']);
  });

  it('has the enums and defaults SPEC.md gives', () => {
    const ip = specOf('IsolationPolicy').properties!;
    expect([ip.sameNetwork!.default, ip.otherNetworks!.default, ip.host!.default, ip.external!.default, ip.mode!.default]).toEqual([
      'Allow', 'Deny', 'Deny', 'Allow', 'Enforce',
    ]);
    expect(ip.mode!.enum).toEqual(['Enforce', 'Audit']);
    expect(ip.hostPorts!.items!.properties!.protocol).toMatchObject({ enum: ['tcp', 'udp', 'icmp'], default: 'tcp' });
    expect(specOf('EgressException').properties!.masquerade!.default).toBe(true);
  });

  it('serves every kind with the names SPEC.md gives', () => {
    expect(crds.all.map((c) => c.kind).sort()).toEqual([...KINDS].sort());
    expect(crds.resolve('ip')?.kind).toBe('IsolationPolicy');
    expect(crds.resolve('isopol')?.kind).toBe('IsolationPolicy');
    expect(crds.resolve('er')?.kind).toBe('ExposeRule');
    expect(crds.resolve('ee')?.kind).toBe('EgressException');
    for (const crd of crds.all) {
      expect(crd).toMatchObject({ group: 'dockfence.io', version: 'v1alpha1', namespaced: false, hasStatus: true, categories: ['dockfence'] });
      expect(PLURALS[crd.kind]).toBe(crd.plural);
    }
  });
});
