// What every API handler shares (the store, the CRDs, the validator, the clock) and the small
// helpers that resolve a URL's kind and write a response the way the client asked for it.

import type { Request, Response } from 'express';
import { stringify as toYaml } from 'yaml';
import { NotFoundError } from '../lib/errors.js';
import type { CrdInfo, CrdRegistry } from '../resources/crd.js';
import type { ResourceValidator } from '../resources/validator.js';
import type { Store } from '../store/store.js';
import { negotiate } from './request.js';

export type Log = (message: string) => void;

export interface ApiContext {
  store: Store;
  crds: CrdRegistry;
  validator: ResourceValidator;
  now: () => Date;
  log: Log;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK. */
  bookmarkIntervalMs: number;
  /** Watch length when the client sends no timeoutSeconds. */
  defaultWatchTimeoutSeconds: number;
}

/** The CRD named by the URL's plural; NotFoundError like Kubernetes for an unknown resource. */
export function crdOf(req: Request, res: Response, ctx: ApiContext): CrdInfo {
  const plural = String(req.params.plural ?? '');
  const crd = ctx.crds.byPlural(plural);
  if (!crd) throw new NotFoundError('the server could not find the requested resource');
  const name = req.params.name === undefined ? undefined : String(req.params.name);
  res.locals.target = { group: crd.group, kind: crd.plural, objectKind: crd.kind, ...(name ? { name } : {}) };
  return crd;
}

/** Send `body` as JSON (or YAML when the client prefers it) with any warnings. */
export function sendObject(req: Request, res: Response, code: number, body: unknown, warnings: string[] = []): void {
  for (const w of warnings) res.append('Warning', `299 - ${headerSafe(JSON.stringify(w))}`);
  if (negotiate(req).yaml) {
    res.status(code).type('application/yaml').send(toYaml(body));
    return;
  }
  res.status(code).type('application/json').send(JSON.stringify(body));
}

/** Header values must be printable ASCII: escape anything else (user-chosen field names can be anything). */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
