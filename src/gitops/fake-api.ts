// A small in-memory ResourceApi for unit tests of the sync: apply merges labels and annotations
// and replaces spec (enough of server-side apply for a single field manager), a validate hook
// refuses objects like the server's 422, and every write is recorded.

import type { FieldCause } from '../lib/errors.js';
import type { Kind } from '../resources/types.js';
import { ApiStatusError, type LiveObject, type ResourceApi } from './api-client.js';
import { objectKey, type Manifest } from './manifests.js';

export class FakeResourceApi implements ResourceApi {
  readonly objects = new Map<string, LiveObject>();
  readonly writes: string[] = [];
  private version = 0;
  /** Field causes for an object the "server" refuses; empty = valid. */
  validate: (manifest: Manifest) => FieldCause[] = () => [];
  /** Throws instead of answering, to simulate an unreachable server. */
  down = false;

  async list(kind: Kind): Promise<LiveObject[]> {
    this.check();
    return [...this.objects.entries()].filter(([key]) => key.startsWith(`${kind}/`)).map(([, o]) => structuredClone(o));
  }

  async apply(manifest: Manifest, options: { dryRun: boolean }): Promise<LiveObject> {
    this.check();
    const causes = this.validate(manifest);
    if (causes.length > 0) {
      throw new ApiStatusError(`${manifest.kind} "${manifest.metadata.name}" is invalid`, 422, 'Invalid', causes);
    }
    const key = objectKey(manifest.kind, manifest.metadata.name);
    const before = this.objects.get(key);
    const after: LiveObject = {
      apiVersion: manifest.apiVersion,
      kind: manifest.kind,
      metadata: {
        ...before?.metadata,
        name: manifest.metadata.name,
        labels: { ...before?.metadata.labels, ...manifest.metadata.labels },
        annotations: { ...before?.metadata.annotations, ...manifest.metadata.annotations },
        resourceVersion: before?.metadata.resourceVersion ?? '0',
      },
      spec: structuredClone(manifest.spec),
    };
    if (options.dryRun) return after;
    after.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, after);
    this.writes.push(`apply ${key}`);
    return structuredClone(after);
  }

  async remove(kind: Kind, name: string): Promise<boolean> {
    this.check();
    const key = objectKey(kind, name);
    this.writes.push(`delete ${key}`);
    return this.objects.delete(key);
  }

  /** Create or change an object as a user would, outside the sync. */
  put(kind: Kind, name: string, spec: unknown, metadata: Partial<LiveObject['metadata']> = {}): void {
    const key = objectKey(kind, name);
    const before = this.objects.get(key);
    this.objects.set(key, {
      apiVersion: 'dockfence.io/v1alpha1',
      kind,
      metadata: { ...before?.metadata, ...metadata, name, resourceVersion: String(++this.version) },
      spec,
    });
  }

  private check(): void {
    if (this.down) throw new Error('cannot reach the dockfence API at http://127.0.0.1:1: ECONNREFUSED');
  }
}
