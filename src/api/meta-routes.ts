// Everything that is not an object: /version, health and readiness, /metrics, discovery, OpenAPI,
// and the diagnostics the dockfence CLI asks for (/debug/doctor, .../check).

import { Router, type Request, type Response } from 'express';
import { BadRequestError, NotFoundError } from '../lib/errors.js';
import type { CrdRegistry } from '../resources/crd.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, coreResourceList, versionInfo } from './discovery.js';
import { openApiV2, openApiV3, openApiV3Index } from './openapi.js';
import { queryString } from './request.js';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface Diagnostics {
  /** The host preflight report (`dockfence doctor`). */
  doctor(): Promise<unknown>;
  /** The verdict for traffic from a container to TARGET:PORT/PROTO (`dockfence check`). */
  check(from: string, to: string): Promise<unknown>;
}

export interface MetaRouteOptions {
  crds: CrdRegistry;
  version: string;
  ready: () => boolean;
  metrics?: MetricsSource;
  diagnostics?: Diagnostics;
}

function json(res: Response, body: unknown): void {
  res.status(200).type('application/json').send(JSON.stringify(body));
}

/** OpenAPI is served as JSON only; a client asking for protobuf alone gets 406 and falls back. */
function acceptsJson(req: Request): boolean {
  const accept = req.get('accept') ?? '';
  return accept === '' || /json|\*\/\*/.test(accept);
}

export function metaRoutes(options: MetaRouteOptions): Router {
  const { crds } = options;
  const router = Router();
  router.get('/version', (_req, res) => json(res, versionInfo(options.version)));
  router.get(['/healthz', '/livez'], (_req, res) => void res.type('text/plain').send('ok'));
  router.get('/readyz', (_req, res) => {
    if (options.ready()) res.type('text/plain').send('ok');
    else res.status(500).type('text/plain').send('[-]controller failed: not ready\nreadyz check failed\n');
  });
  router.get('/metrics', async (_req, res) => {
    if (!options.metrics) throw new NotFoundError('metrics are not served here');
    const text = await options.metrics.render();
    res.type(options.metrics.contentType).send(text);
  });

  router.get('/api', (req, res) => json(res, apiVersions(req.get('host') ?? '127.0.0.1')));
  router.get('/api/v1', (_req, res) => json(res, coreResourceList()));
  router.get('/apis', (_req, res) => json(res, apiGroupList(crds)));
  router.get('/apis/:group', (req, res) => {
    const doc = apiGroup(crds, String(req.params.group));
    if (!doc) throw new NotFoundError('the server could not find the requested resource');
    json(res, doc);
  });
  router.get('/apis/:group/:version', (req, res) => {
    const doc = apiResourceList(crds, String(req.params.group), String(req.params.version));
    if (!doc) throw new NotFoundError('the server could not find the requested resource');
    json(res, doc);
  });

  router.get('/openapi/v2', (req, res) => {
    if (!acceptsJson(req)) return void res.status(406).type('text/plain').send('only application/json is served');
    json(res, openApiV2(crds));
  });
  router.get('/openapi/v3', (_req, res) => json(res, openApiV3Index(crds)));
  router.get('/openapi/v3/apis/:group/:version', (req, res) => {
    if (!acceptsJson(req)) return void res.status(406).type('text/plain').send('only application/json is served');
    const doc = openApiV3(crds, String(req.params.group), String(req.params.version));
    if (!doc) throw new NotFoundError('the server could not find the requested resource');
    json(res, doc);
  });

  router.get('/debug/doctor', async (_req, res) => {
    if (!options.diagnostics) throw new NotFoundError('diagnostics are not served here');
    json(res, await options.diagnostics.doctor());
  });
  const gvs = [...new Set(crds.all.map((c) => `${c.group}/${c.version}`))];
  router.get(gvs.map((gv) => `/apis/${gv}/check`), async (req, res) => {
    if (!options.diagnostics) throw new NotFoundError('diagnostics are not served here');
    const from = queryString(req, 'from');
    const to = queryString(req, 'to');
    if (!from || !to) throw new BadRequestError('check needs ?from=CONTAINER&to=TARGET:PORT/PROTO');
    json(res, await options.diagnostics.check(from, to));
  });
  return router;
}
