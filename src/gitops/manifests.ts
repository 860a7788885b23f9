// Turns the YAML files of one commit into the dockfence objects a sync applies: multi-document
// parsing with `file:line` positions, kind and name checks, duplicates, and the ownership stamp.
// No I/O: the git source reads the files, the sync decides what to do with the objects.

import { LineCounter, parseAllDocuments } from 'yaml';
import { API_VERSION, KINDS, type Kind } from '../resources/types.js';

/** Label on every object a sync applies: `gitops-<syncName>`. Prune only touches objects carrying it. */
export const MANAGED_BY_LABEL = 'dockfence.io/managed-by';
/** Annotation with the commit an object was last applied from. */
export const REVISION_ANNOTATION = 'dockfence.io/gitops-revision';
/** Annotation opting an object out of prune: `dockfence.io/prune: disabled`. */
export const PRUNE_ANNOTATION = 'dockfence.io/prune';

/** One file of the repository at a commit. */
export interface SourceFile {
  path: string;
  text: string;
}

/** A manifest as sent to the API (JSON-compatible). */
export interface Manifest {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [key: string]: unknown;
}

/** One object declared in the repository. */
export interface DesiredObject {
  kind: Kind;
  name: string;
  /** `path:line` of the document that declares it. */
  where: string;
  manifest: Manifest;
}

/** Something wrong with the repository's content; names the file, the object and the field. */
export interface SyncFailure {
  where?: string;
  kind?: string;
  name?: string;
  field?: string;
  message: string;
}

// Written by the server; a manifest copied from `get -o yaml` must not send them back.
const SERVER_META_FIELDS = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp'];

/** `kind/name`, the key of an object within one sync. */
export function objectKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/**
 * Parse every file into dockfence objects. Never throws: every problem (bad YAML, a document
 * that is not a dockfence resource, a missing name, one object declared twice) is returned with
 * its `file:line`, so a sync can report all of them at once. Empty documents are skipped and
 * `kind: List` is flattened. Server-written metadata and `status` are dropped from manifests.
 */
export function parseSourceFiles(files: readonly SourceFile[]): { objects: DesiredObject[]; failures: SyncFailure[] } {
  const objects: DesiredObject[] = [];
  const failures: SyncFailure[] = [];
  for (const file of files) {
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(file.text, { lineCounter })) {
      const error = doc.errors[0];
      if (error) {
        const pos = error.linePos?.[0];
        const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
        failures.push({ where: `${file.path}:${pos?.line ?? 1}`, message: `invalid YAML: ${message}` });
        continue;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      const where = `${file.path}:${lineCounter.linePos(doc.contents?.range[0] ?? 0).line}`;
      toObjects(value, where, objects, failures);
    }
  }
  failures.push(...findDuplicates(objects));
  return { objects, failures };
}

function toObjects(value: unknown, where: string, objects: DesiredObject[], failures: SyncFailure[]): void {
  if (!isRecord(value)) {
    failures.push({ where, message: 'a manifest document must be a mapping with apiVersion, kind and metadata' });
    return;
  }
  if (value.kind === 'List' && Array.isArray(value.items)) {
    for (const item of value.items) toObjects(item, where, objects, failures);
    return;
  }
  const metadata = isRecord(value.metadata) ? value.metadata : undefined;
  const name = typeof metadata?.name === 'string' && metadata.name !== '' ? metadata.name : undefined;
  const kindText = typeof value.kind === 'string' ? value.kind : undefined;
  const at = { where, kind: kindText, name };
  if (value.apiVersion !== API_VERSION) {
    failures.push({ ...at, field: 'apiVersion', message: `must be ${API_VERSION}, not ${JSON.stringify(value.apiVersion ?? null)}` });
    return;
  }
  if (!KINDS.includes(kindText as Kind)) {
    failures.push({ ...at, field: 'kind', message: `must be one of ${KINDS.join(', ')}, not ${JSON.stringify(value.kind ?? null)}` });
    return;
  }
  if (!metadata || name === undefined) {
    failures.push({ ...at, field: 'metadata.name', message: 'Required value: name is required' });
    return;
  }
  const cleanMeta: Record<string, unknown> = { ...metadata };
  for (const field of SERVER_META_FIELDS) delete cleanMeta[field];
  const manifest = { ...value, metadata: cleanMeta } as Manifest;
  delete manifest.status;
  objects.push({ kind: kindText as Kind, name, where, manifest });
}

function findDuplicates(objects: readonly DesiredObject[]): SyncFailure[] {
  const first = new Map<string, DesiredObject>();
  const failures: SyncFailure[] = [];
  for (const object of objects) {
    const key = objectKey(object.kind, object.name);
    const earlier = first.get(key);
    if (!earlier) first.set(key, object);
    else {
      failures.push({
        where: object.where,
        kind: object.kind,
        name: object.name,
        field: 'metadata.name',
        message: `Duplicate value: ${object.kind} "${object.name}" is also declared at ${earlier.where}`,
      });
    }
  }
  return failures;
}

/** The label value that marks objects of sync `syncName`. */
export function managedByValue(syncName: string): string {
  return `gitops-${syncName}`;
}

/**
 * A copy of `manifest` stamped as owned by sync `syncName` at commit `revision`: the managed-by
 * label and the revision annotation are set (overriding whatever the file says for those keys).
 */
export function stampManifest(manifest: Manifest, syncName: string, revision: string): Manifest {
  return {
    ...manifest,
    metadata: {
      ...manifest.metadata,
      labels: { ...manifest.metadata.labels, [MANAGED_BY_LABEL]: managedByValue(syncName) },
      annotations: { ...manifest.metadata.annotations, [REVISION_ANNOTATION]: revision },
    },
  };
}

/** One line for a failure: `file:line: Kind "name": field: message`. */
export function describeFailure(failure: SyncFailure): string {
  const parts: string[] = [];
  if (failure.where) parts.push(failure.where);
  if (failure.kind && failure.name) parts.push(`${failure.kind} "${failure.name}"`);
  else if (failure.kind) parts.push(failure.kind);
  if (failure.field) parts.push(failure.field);
  parts.push(failure.message);
  return parts.join(': ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
