// The recent change events, kept in memory so a watch can resume from a resourceVersion. Every
// committed write has exactly one event and resourceVersions are consecutive, so "is this version
// still in the window" is arithmetic. Too old (or from before a restart) -> GoneError (410).

import { BadRequestError, GoneError } from '../lib/errors.js';
import type { AnyResource } from '../resources/types.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. `previous` is the object before a MODIFIED or DELETED change. */
export interface StoreEvent {
  type: StoreEventType;
  object: AnyResource;
  previous?: AnyResource;
}

export class EventLog {
  private readonly events: Array<{ rv: number; event: StoreEvent }> = [];

  constructor(private readonly capacity: number) {}

  /** Record the event committed at resourceVersion `rv`. */
  append(rv: number, event: StoreEvent): void {
    this.events.push({ rv, event });
    if (this.events.length > this.capacity) this.events.shift();
  }

  /**
   * Events after resourceVersion `since`, oldest first. `current` is the store's latest version.
   * Throws BadRequestError for a malformed version and GoneError when events after `since` are no
   * longer (or were never, in this process) held, or when `since` is newer than anything issued.
   */
  since(since: string, current: number): StoreEvent[] {
    if (!/^\d+$/.test(since)) throw new BadRequestError(`invalid resourceVersion ${JSON.stringify(since)}`);
    const rv = Number(since);
    if (rv > current) {
      // A version this store never issued (a client of an older, replaced store): start over.
      throw new GoneError(`too large resource version: ${rv}, current: ${current}`);
    }
    if (rv === current) return [];
    const oldest = this.events[0]?.rv;
    if (oldest === undefined || oldest > rv + 1) {
      throw new GoneError(`too old resource version: ${rv} (${oldest === undefined ? current : oldest - 1})`);
    }
    return this.events.filter((e) => e.rv > rv).map((e) => e.event);
  }
}
