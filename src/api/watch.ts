// GET ...?watch=true: a chunked stream of newline-delimited events (ADDED, MODIFIED, DELETED,
// BOOKMARK, ERROR) that stays open until timeoutSeconds. Starts from a resourceVersion or, without
// one, with synthetic ADDED events for the current state; selectors decide which objects are seen.

import type { Request, Response } from 'express';
import { BadRequestError, GoneError } from '../lib/errors.js';
import { statusFromError } from '../resources/status.js';
import { buildTable } from '../resources/table.js';
import type { AnyResource } from '../resources/types.js';
import type { StoreEvent } from '../store/store.js';
import { crdOf, type ApiContext } from './context.js';
import { matchesSelectors, negotiate, queryString, selectorsOf } from './request.js';

type WireEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: unknown };

/** Handle a watch request; resolves when the stream ends (timeout or client gone). */
export function watchObjects(ctx: ApiContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const crd = crdOf(req, res, ctx);
    const selectors = selectorsOf(req);
    const accept = negotiate(req);
    const bookmarks = ['true', '1'].includes(queryString(req, 'allowWatchBookmarks') ?? '');
    const timeoutSeconds = timeoutOf(req, ctx.defaultWatchTimeoutSeconds);
    const since = queryString(req, 'resourceVersion') ?? '';
    const sendInitial = queryString(req, 'sendInitialEvents') === 'true';

    // Snapshot or backlog, and the subscription, in one tick: nothing can fall between them.
    const pending: WireEvent[] = [];
    let failure: unknown;
    if (since === '' || since === '0' || sendInitial) {
      for (const obj of ctx.store.listNow(crd.kind)) if (matchesSelectors(obj, selectors)) pending.push({ type: 'ADDED', object: obj });
      if (sendInitial && bookmarks) pending.push(bookmark(crd, ctx.store.currentResourceVersion(), true));
    } else {
      try {
        for (const e of ctx.store.eventsSince(since)) {
          const wire = toWire(e, crd.kind, selectors);
          if (wire) pending.push(wire);
        }
      } catch (err) {
        if (!(err instanceof GoneError)) throw err;
        failure = err;
      }
    }
    let headerSent = false;
    const writeEvent = (event: WireEvent): void => {
      let object = event.object;
      if (accept.table && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')) {
        object = buildTable(crd, [event.object as AnyResource], { now: ctx.now(), include: accept.includeObject, noHeaders: headerSent });
        headerSent = true;
      }
      res.write(`${JSON.stringify({ type: event.type, object })}\n`);
    };
    const unsubscribe = failure
      ? () => undefined
      : ctx.store.subscribe((e) => {
          const wire = toWire(e, crd.kind, selectors);
          if (wire) writeEvent(wire);
        });

    res.status(200).type('application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.flushHeaders();
    if (failure) {
      res.write(`${JSON.stringify({ type: 'ERROR', object: statusFromError(failure) })}\n`);
      res.end();
      return;
    }
    for (const event of pending) writeEvent(event);

    await new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        clearInterval(ticker);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(() => {
        if (bookmarks) writeEvent(bookmark(crd, ctx.store.currentResourceVersion(), false));
        res.end();
        finish();
      }, timeoutSeconds * 1000);
      const ticker = setInterval(() => {
        if (bookmarks) writeEvent(bookmark(crd, ctx.store.currentResourceVersion(), false));
      }, ctx.bookmarkIntervalMs);
      res.on('close', finish);
    });
  };
}

function timeoutOf(req: Request, fallback: number): number {
  const text = queryString(req, 'timeoutSeconds');
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text)) throw new BadRequestError(`invalid timeoutSeconds ${JSON.stringify(text)}`);
  return Number(text) === 0 ? fallback : Number(text);
}

function bookmark(crd: { group: string; version: string; kind: string }, rv: string, initialEnd: boolean): WireEvent {
  const metadata: Record<string, unknown> = { resourceVersion: rv };
  if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { type: 'BOOKMARK', object: { apiVersion: `${crd.group}/${crd.version}`, kind: crd.kind, metadata } };
}

/** The event a selecting watcher sees: objects entering the selection are ADDED, leaving it DELETED. */
function toWire(e: StoreEvent, kind: string, selectors: ReturnType<typeof selectorsOf>): WireEvent | undefined {
  if (e.object.kind !== kind) return undefined;
  const now = matchesSelectors(e.object, selectors);
  if (e.type !== 'MODIFIED') return now ? { type: e.type, object: e.object } : undefined;
  const before = e.previous ? matchesSelectors(e.previous, selectors) : true;
  if (now && before) return { type: 'MODIFIED', object: e.object };
  if (now) return { type: 'ADDED', object: e.object };
  if (before) return { type: 'DELETED', object: e.object };
  return undefined;
}
