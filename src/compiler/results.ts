// What the compiler tells the controller about each resource, for status: what it matched,
// what it decided where policies overlap, and diagnostics (never exceptions) for what it could not do.

import type { Kind } from '../resources/types.js';

export interface Diagnostic {
  severity: 'warning' | 'error';
  reason: string; // CamelCase, e.g. NoMatchingNetworks, Conflict, InvalidCidr
  message: string;
}

export interface ResourceResult {
  kind: Kind;
  name: string;
  matchedNetworks: string[];
  matchedContainers: string[];
  diagnostics: Diagnostic[];
}

export function resultKey(kind: Kind, name: string): string {
  return `${kind}/${name}`;
}
