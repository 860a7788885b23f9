// Resolves what a user types as KIND (`ip`, `IsolationPolicy`, `exposerules.dockfence.io`, ...)
// to one of dockfence's resource kinds, with the names the CLI prints and the API paths it calls.
// Pure: the kinds are fixed by SPEC.md, so no discovery round trip is needed.

import { API_VERSION, GROUP, type Kind } from '../resources/types.js';
import { CliError } from './errors.js';

export interface KindInfo {
  kind: Kind;
  plural: string;
  singular: string;
  shortNames: string[];
}

export const KIND_INFOS: readonly KindInfo[] = [
  { kind: 'IsolationPolicy', plural: 'isolationpolicies', singular: 'isolationpolicy', shortNames: ['ip', 'isopol'] },
  { kind: 'ExposeRule', plural: 'exposerules', singular: 'exposerule', shortNames: ['er'] },
  { kind: 'EgressException', plural: 'egressexceptions', singular: 'egressexception', shortNames: ['ee'] },
];

/**
 * Resolve a KIND argument: plural, singular, short name or Kind, case-insensitive, optionally
 * suffixed with `.dockfence.io` or `.v1alpha1.dockfence.io` as kubectl allows.
 * Throws CliError (kubectl's wording) for anything else.
 */
export function resolveKind(text: string): KindInfo {
  const wanted = stripGroup(text.trim().toLowerCase());
  const found = KIND_INFOS.find(
    (k) =>
      k.plural === wanted ||
      k.singular === wanted ||
      k.kind.toLowerCase() === wanted ||
      k.shortNames.includes(wanted),
  );
  if (!found) throw new CliError(`the server doesn't have a resource type "${text}"`);
  return found;
}

/** The info for a Kind string from a manifest (exact, as the API requires); undefined if not ours. */
export function kindInfoOf(kind: unknown): KindInfo | undefined {
  return KIND_INFOS.find((k) => k.kind === kind);
}

/**
 * Split `KIND/NAME` (kubectl's `get ip/lockdown` form) into its parts; plain `KIND` gives no name.
 */
export function splitKindName(text: string): { kind: string; name?: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { kind: text };
  return { kind: text.slice(0, slash), name: text.slice(slash + 1) };
}

/** `isolationpolicy.dockfence.io`, the prefix kubectl prints before `/name`. */
export function qualifiedSingular(info: KindInfo): string {
  return `${info.singular}.${GROUP}`;
}

/** `isolationpolicies.dockfence.io`, the resource name used in Kubernetes messages. */
export function qualifiedPlural(info: KindInfo): string {
  return `${info.plural}.${GROUP}`;
}

/** API path of the collection, or of one object when `name` is given (name URL-encoded). */
export function resourcePath(info: KindInfo, name?: string, subresource?: string): string {
  let path = `/apis/${API_VERSION}/${info.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

function stripGroup(text: string): string {
  for (const suffix of [`.${API_VERSION.split('/')[1]}.${GROUP}`, `.${GROUP}`]) {
    if (text.endsWith(suffix)) return text.slice(0, -suffix.length);
  }
  return text;
}
