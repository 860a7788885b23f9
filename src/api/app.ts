// createApiApp: the express application that speaks the Kubernetes API conventions kubectl and
// client libraries expect (discovery, OpenAPI, CRUD, patch, watch, Status errors) over the Store,
// plus health, readiness, metrics and the diagnostics the dockfence CLI uses.

import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import { MethodNotAllowedError, NotFoundError } from '../lib/errors.js';
import type { CrdRegistry } from '../resources/crd.js';
import { ResourceValidator } from '../resources/validator.js';
import type { Store } from '../store/store.js';
import { authenticate, type AuthConfig } from './auth.js';
import type { ApiContext, Log } from './context.js';
import { loadCrds } from './crd-loader.js';
import { errorHandler } from './error-handler.js';
import { metaRoutes, type Diagnostics, type MetricsSource } from './meta-routes.js';
import { resourceRoutes } from './resource-routes.js';
import { BODY_LIMIT_BYTES } from './request.js';

export interface ApiAppOptions {
  store: Store;
  metrics?: MetricsSource;
  /** Without it every request is allowed (only safe on loopback; startApiServer enforces that). */
  auth?: AuthConfig;
  /** /readyz answers 200 only while this returns true (default: always). */
  ready?: () => boolean;
  /** dockfence's version, reported by /version. */
  version?: string;
  /** Host preflight and packet verdicts, served for `dockfence doctor` and `dockfence check`. */
  diagnostics?: Diagnostics;
  /** Extra routers (e.g. GitOps status/sync), mounted behind auth and before resource routes. */
  routers?: Router[];
  /** CRDs to serve (default: the package's crds/). */
  crds?: CrdRegistry;
  now?: () => Date;
  log?: Log;
  bookmarkIntervalMs?: number;
  defaultWatchTimeoutSeconds?: number;
}

/** Marks on app.locals that startApiServer reads. */
export interface AppMarks {
  dockfenceAuth?: boolean;
  dockfenceReadOnly?: boolean;
}

function baseApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Bodies are read raw (any media type) and parsed by the handlers that know what they accept.
  app.use(express.raw({ type: () => true, limit: BODY_LIMIT_BYTES }));
  return app;
}

function finish(app: Express, log: Log): Express {
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new NotFoundError('the server could not find the requested resource'));
  });
  app.use(errorHandler(log));
  return app;
}

function createApiAppImpl(options: ApiAppOptions): Express {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const crds = options.crds ?? loadCrds();
  const ctx: ApiContext = {
    store: options.store,
    crds,
    validator: new ResourceValidator(crds),
    now: options.now ?? (() => new Date()),
    log,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    defaultWatchTimeoutSeconds: options.defaultWatchTimeoutSeconds ?? 1800,
  };
  const app = baseApp();
  (app.locals as AppMarks).dockfenceAuth = options.auth !== undefined;
  if (options.auth) app.use(authenticate(options.auth));
  app.use(
    metaRoutes({
      crds,
      version: options.version ?? '0.0.0',
      ready: options.ready ?? (() => true),
      metrics: options.metrics,
      diagnostics: options.diagnostics,
    }),
  );
  for (const router of options.routers ?? []) app.use(router);
  app.use(resourceRoutes(ctx));
  return finish(app, log);
}

/** An app serving only /metrics, /healthz and /readyz (a separate metrics listener). Read-only. */
function metricsOnly(metrics: MetricsSource, options: { log?: Log } = {}): Express {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const app = baseApp();
  (app.locals as AppMarks).dockfenceReadOnly = true;
  app.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next(new MethodNotAllowedError(`${req.method} is not allowed here`));
    next();
  });
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/metrics', async (_req, res) => {
    const text = await metrics.render();
    res.type(metrics.contentType).send(text);
  });
  return finish(app, log);
}

/**
 * The API application over `options.store`. Throws at creation when the CRDs cannot be loaded.
 * Listen with startApiServer, which refuses non-loopback addresses unless `auth` is set.
 * `createApiApp.metricsOnly(metrics)` builds a read-only app serving just the metrics.
 */
export const createApiApp = Object.assign(createApiAppImpl, { metricsOnly });
