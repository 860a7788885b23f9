// The resource store: one lowdb JSON file holding every object (spec and status apart), a global
// monotonic resourceVersion, the last generations of each spec, and an in-process event stream
// for watches and the controller. Writes are serialized; each resolves only once it is on disk.

import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../lib/errors.js';
import { qualifiedName } from '../resources/kinds.js';
import type { AnyResource, Kind, ObjectMeta, Resource, ResourceStatus } from '../resources/types.js';
import { DurableJsonFile } from './durable-file.js';
import { EventLog, type StoreEvent } from './event-log.js';
import { checkStoreData, emptyStoreData, keyOf, type HistoryEntry, type StoreData, type StoredObject } from './store-data.js';
import { planCreate, planDelete, planReplace, planStatus, type Plan } from './plans.js';

export type { HistoryEntry } from './store-data.js';
export type { StoreEvent, StoreEventType } from './event-log.js';

export interface WriteOptions {
  /** Validate and compute the result, store nothing, emit nothing. */
  dryRun?: boolean;
}

export interface StoreOptions {
  now?: () => Date;
  newUid?: () => string;
  /** How many recent events a watch can resume from. */
  eventWindow?: number;
  /** Where errors thrown by subscribers are reported. */
  log?: (message: string, err: unknown) => void;
}

export type StoreListener = (event: StoreEvent) => void;

export class Store {
  private state: StoreData;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<StoreListener>();
  private readonly events: EventLog;
  private closed = false;

  private constructor(
    private readonly db: Low<StoreData>,
    private readonly options: Required<StoreOptions>,
  ) {
    this.state = db.data;
    this.events = new EventLog(options.eventWindow);
  }

  /**
   * Open (or create) the store file at `path`. Throws Error with a one-line message naming the
   * file when it exists but cannot be read or parsed; such a file is never overwritten.
   */
  static async open(path: string, options: StoreOptions = {}): Promise<Store> {
    const adapter = new DurableJsonFile<StoreData>(path, checkStoreData);
    const db = new Low<StoreData>(adapter, emptyStoreData());
    const existing = await adapter.read();
    await adapter.removeStaleTemp();
    if (existing) db.data = existing;
    else {
      await mkdir(dirname(path), { recursive: true });
      await db.write();
    }
    return new Store(db, {
      now: options.now ?? (() => new Date()),
      newUid: options.newUid ?? randomUUID,
      eventWindow: options.eventWindow ?? 1000,
      log: options.log ?? ((message, err) => console.error(message, err)),
    });
  }

  /**
   * Every object of `kind`, sorted by name (copies). The snapshot is taken when called, so
   * list(), currentResourceVersion() and subscribe() called in one tick are consistent.
   */
  async list(kind: Kind): Promise<AnyResource[]> {
    return this.listNow(kind);
  }

  /** The object, or NotFoundError. */
  async get(kind: Kind, name: string): Promise<AnyResource> {
    const found = this.findNow(kind, name);
    if (!found) throw new NotFoundError(`${qualifiedName(kind, name)} not found`);
    return found;
  }

  /** The object, or undefined. */
  async find(kind: Kind, name: string): Promise<AnyResource | undefined> {
    return this.findNow(kind, name);
  }

  /** list(), synchronously: for callers that must pair a snapshot with subscribe() in one tick. */
  listNow(kind: Kind): AnyResource[] {
    return Object.values(this.state.objects)
      .filter((o) => o.kind === kind)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
      .map((o) => this.compose(o));
  }

  /** find(), synchronously. */
  findNow(kind: Kind, name: string): AnyResource | undefined {
    const stored = this.state.objects[keyOf(kind, name)];
    return stored ? this.compose(stored) : undefined;
  }

  /** The latest resourceVersion issued (a decimal string). */
  currentResourceVersion(): string {
    return String(this.state.resourceVersion);
  }

  /**
   * Store a new object (its status is ignored). Sets uid, resourceVersion, generation 1 and
   * creationTimestamp. Throws AlreadyExistsError when the name is taken.
   */
  create(obj: Resource, options: WriteOptions = {}): Promise<AnyResource> {
    return this.commit((state, ctx) => planCreate(state, obj, ctx), options);
  }

  /**
   * Replace spec, labels, annotations and managedFields (never status). metadata.resourceVersion
   * is required (InvalidError) and must be current (ConflictError). generation moves only when
   * spec changes; an update that changes nothing writes nothing and returns the object as is.
   */
  replace(obj: Resource, options: WriteOptions = {}): Promise<AnyResource> {
    return this.commit((state, ctx) => planReplace(state, obj, ctx), options);
  }

  /** Delete and return the object (its resourceVersion is the deletion's). NotFoundError / ConflictError on a failed precondition. */
  delete(kind: Kind, name: string, options: WriteOptions & { preconditions?: { uid?: string; resourceVersion?: string } } = {}): Promise<AnyResource> {
    return this.commit((state, ctx) => planDelete(state, kind, name, options.preconditions ?? {}, ctx), options);
  }

  /**
   * Set the status (the controller's write). Bumps resourceVersion, never generation, and emits
   * MODIFIED; a status deep-equal to the stored one is a no-op. With `resourceVersion`, a stale
   * object is a ConflictError. `managedFields` replaces the object's managedFields when given.
   */
  updateStatus(
    kind: Kind,
    name: string,
    status: ResourceStatus | undefined,
    options: WriteOptions & { resourceVersion?: string; managedFields?: unknown[] } = {},
  ): Promise<AnyResource> {
    return this.commit((state, ctx) => planStatus(state, kind, name, status, options, ctx), options);
  }

  /** The recorded generations of an object's spec, oldest first (kept after deletion). NotFoundError when none. */
  history(kind: Kind, name: string): HistoryEntry[] {
    const entries = this.state.history[keyOf(kind, name)];
    if (!entries || entries.length === 0) throw new NotFoundError(`${qualifiedName(kind, name)} not found`);
    return structuredClone(entries);
  }

  /**
   * Put back the spec of `generation` (a new generation; labels and status untouched). NotFoundError
   * when the object or that generation is gone; a no-op when the spec is already that one.
   */
  rollback(kind: Kind, name: string, generation: number, options: WriteOptions = {}): Promise<AnyResource> {
    return this.commit((state, ctx) => {
      const key = keyOf(kind, name);
      const stored = state.objects[key];
      if (!stored) throw new NotFoundError(`${qualifiedName(kind, name)} not found`);
      const entry = state.history[key]?.find((h) => h.generation === generation);
      if (!entry) {
        const kept = (state.history[key] ?? []).map((h) => h.generation);
        throw new NotFoundError(
          `generation ${generation} of ${qualifiedName(kind, name)} is not in its history (kept: ${kept.join(', ') || 'none'})`,
        );
      }
      const target = { ...stored, spec: structuredClone(entry.spec) } as Resource;
      return planReplace(state, target, ctx);
    }, options);
  }

  /**
   * Events after resourceVersion `since` still held in memory, oldest first. Throws GoneError when
   * some are no longer held and BadRequestError for a malformed version. Call it and subscribe()
   * in the same tick to miss nothing.
   */
  eventsSince(since: string): StoreEvent[] {
    return this.events.since(since, this.state.resourceVersion);
  }

  /** Call `listener` synchronously after each committed write. Returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Wait for pending writes, then refuse further writes. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail.catch(() => undefined);
    this.listeners.clear();
  }

  private commit(plan: (state: StoreData, ctx: PlanContext) => Plan<Resource>, options: WriteOptions): Promise<AnyResource> {
    const run = async (): Promise<AnyResource> => {
      if (this.closed) throw new ConflictError('the store is closed');
      const ctx: PlanContext = { now: this.options.now(), newUid: this.options.newUid };
      const result = plan(this.state, ctx);
      if (!result.next) return structuredClone(result.value) as AnyResource;
      if (options.dryRun) return this.asDryRun(result.value);
      this.db.data = result.next;
      try {
        await this.db.write();
      } catch (err) {
        this.db.data = this.state;
        throw new Error(`writing store ${(this.db.adapter as DurableJsonFile<StoreData>).path}: ${(err as Error).message}`, { cause: err });
      }
      this.state = result.next;
      if (result.event) this.publish(result.event);
      return structuredClone(result.value) as AnyResource;
    };
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** A dry run's answer carries the version the object has now (none for a create), as nothing was written. */
  private asDryRun(value: Resource): AnyResource {
    const copy = structuredClone(value) as AnyResource;
    const stored = this.state.objects[keyOf(value.kind, value.metadata.name)];
    if (stored) copy.metadata.resourceVersion = stored.metadata.resourceVersion;
    else delete copy.metadata.resourceVersion;
    return copy;
  }

  private publish(event: StoreEvent): void {
    this.events.append(this.state.resourceVersion, event);
    for (const listener of [...this.listeners]) {
      try {
        listener(structuredClone(event));
      } catch (err) {
        this.options.log('dockfence store: a subscriber failed', err);
      }
    }
  }

  private compose(stored: StoredObject): AnyResource {
    const status = this.state.statuses[keyOf(stored.kind, stored.metadata.name)];
    const obj = structuredClone(stored) as AnyResource;
    if (status !== undefined) obj.status = structuredClone(status);
    return obj;
  }
}

export interface PlanContext {
  now: Date;
  newUid: () => string;
}

export type { ObjectMeta };
