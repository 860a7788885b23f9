// The one place errors become HTTP answers: typed errors map to a Kubernetes Status (see
// resources/status.ts); anything else is a 500 whose cause is logged and never sent.

import type { NextFunction, Request, Response } from 'express';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../lib/errors.js';
import { internalErrorStatus, statusFromError, type StatusTarget } from '../resources/status.js';
import type { Log } from './context.js';
import { BODY_LIMIT_BYTES } from './request.js';

/** Translate errors raised by express' own body reader into typed errors. */
function fromBodyParser(err: unknown): unknown {
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.too.large') return new PayloadTooLargeError(`the request body is larger than the limit of ${BODY_LIMIT_BYTES} bytes`);
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new UnsupportedMediaTypeError((err as Error).message);
  if (type === 'request.aborted' || type === 'entity.verify.failed' || type === 'request.size.invalid') return new BadRequestError((err as Error).message);
  return err;
}

/** Express error middleware (four arguments): writes the Status, or ends a stream already started. */
export function errorHandler(log: Log) {
  return (raw: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const err = fromBodyParser(raw);
    if (res.headersSent) {
      log(`${req.method} ${req.originalUrl}: failed after the response started: ${describe(err)}`);
      res.end();
      return;
    }
    const target = (res.locals.target ?? {}) as StatusTarget;
    let status = statusFromError(err, target);
    if (!status) {
      log(`${req.method} ${req.originalUrl}: internal error: ${describe(err)}`);
      status = internalErrorStatus();
    }
    res.status(status.code).type('application/json').send(JSON.stringify(status));
  };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let text = err.stack ?? err.message;
  let cause = err.cause;
  while (cause instanceof Error) {
    text += `\n  caused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return text;
}
