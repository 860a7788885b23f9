// The parts of a CustomResourceDefinition dockfence serves: names, scope, the structural schema and
// printer columns of the one served version. Pure: callers pass the parsed YAML documents in.

import { bug } from '../lib/errors.js';
import type { Kind } from './types.js';

/** A JSON schema node as CRDs write it (OpenAPI v3 subset plus x-kubernetes-* extensions). */
export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxLength?: number;
  minLength?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [extension: string]: unknown;
}

export interface PrinterColumn {
  name: string;
  type: 'integer' | 'number' | 'string' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** One served kind, as derived from its CRD. */
export interface CrdInfo {
  group: string;
  version: string;
  kind: Kind;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  hasStatus: boolean;
  schema: JsonSchema;
  printerColumns: PrinterColumn[];
}

/**
 * Read one parsed CRD document. Throws Error naming `source` when the document is not an
 * apiextensions.k8s.io/v1 CRD with exactly one served version and an openAPIV3Schema.
 */
export function parseCrd(doc: unknown, source: string): CrdInfo {
  const d = doc as {
    apiVersion?: string;
    kind?: string;
    spec?: {
      group?: string;
      scope?: string;
      names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
      versions?: Array<{
        name: string;
        served?: boolean;
        subresources?: { status?: object };
        additionalPrinterColumns?: PrinterColumn[];
        schema?: { openAPIV3Schema?: JsonSchema };
      }>;
    };
  };
  const fail = (what: string): never => {
    throw new Error(`${source}: not a usable CustomResourceDefinition: ${what}`);
  };
  if (d?.apiVersion !== 'apiextensions.k8s.io/v1' || d.kind !== 'CustomResourceDefinition') fail('apiVersion/kind');
  const spec = d.spec ?? fail('no spec');
  const names = spec.names ?? fail('no spec.names');
  const served = (spec.versions ?? []).filter((v) => v.served !== false);
  if (served.length !== 1) fail('exactly one served version expected');
  const version = served[0]!;
  const schema = version.schema?.openAPIV3Schema ?? fail('no openAPIV3Schema');
  return {
    group: spec.group ?? fail('no group'),
    version: version.name,
    kind: (names.kind ?? fail('no names.kind')) as Kind,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural ?? fail('no names.plural'),
    singular: names.singular ?? names.kind!.toLowerCase(),
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    namespaced: spec.scope === 'Namespaced',
    hasStatus: version.subresources?.status !== undefined,
    schema,
    printerColumns: version.additionalPrinterColumns ?? [],
  };
}

/** The set of served kinds, looked up by kind or by any name kubectl accepts. */
export class CrdRegistry {
  readonly all: readonly CrdInfo[];

  constructor(crds: CrdInfo[]) {
    this.all = [...crds].sort((a, b) => a.plural.localeCompare(b.plural));
  }

  /** The CRD serving `kind`; throws a dockfence bug when the kind has no CRD. */
  byKind(kind: string): CrdInfo {
    const crd = this.all.find((c) => c.kind === kind);
    if (!crd) throw bug(`no CRD loaded for kind ${kind}`);
    return crd;
  }

  /** The CRD whose plural is `plural` (the URL segment), or undefined. */
  byPlural(plural: string): CrdInfo | undefined {
    return this.all.find((c) => c.plural === plural);
  }

  /** Plural, singular, short name or kind (case-insensitive), as kubectl resolves them. */
  resolve(name: string): CrdInfo | undefined {
    const n = name.toLowerCase();
    return this.all.find(
      (c) => c.plural === n || c.singular === n || c.kind.toLowerCase() === n || c.shortNames.includes(n),
    );
  }
}
