// The one mapping from typed errors to Kubernetes Status objects.
import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../lib/errors.js';
import { internalErrorStatus, statusFromError } from './status.js';

describe('statusFromError', () => {
  it.each([
    [new NotFoundError('x'), 404, 'NotFound'],
    [new AlreadyExistsError('x'), 409, 'AlreadyExists'],
    [new ConflictError('x'), 409, 'Conflict'],
    [new BadRequestError('x'), 400, 'BadRequest'],
    [new UnauthorizedError('x'), 401, 'Unauthorized'],
    [new ForbiddenError('x'), 403, 'Forbidden'],
    [new GoneError('x'), 410, 'Expired'],
    [new PayloadTooLargeError('x'), 413, 'RequestEntityTooLarge'],
    [new UnsupportedMediaTypeError('x'), 415, 'UnsupportedMediaType'],
  ])('maps %s', (err, code, reason) => {
    expect(statusFromError(err)).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'x', reason, code });
  });

  it('puts field causes and the Kind of an invalid object in details', () => {
    const err = new InvalidError('bad', [{ field: 'spec.mode', message: 'Unsupported value', reason: 'FieldValueNotSupported' }]);
    const status = statusFromError(err, { group: 'dockfence.io', kind: 'isolationpolicies', objectKind: 'IsolationPolicy', name: 'p' });
    expect(status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: { name: 'p', group: 'dockfence.io', kind: 'IsolationPolicy', causes: [{ field: 'spec.mode' }] },
    });
    expect(statusFromError(new NotFoundError('gone'), { kind: 'isolationpolicies', objectKind: 'IsolationPolicy' })?.details?.kind).toBe('isolationpolicies');
  });

  it('does not describe unknown errors', () => {
    expect(statusFromError(new Error('secret path /etc/x'))).toBeUndefined();
    expect(JSON.stringify(internalErrorStatus())).not.toContain('secret');
    expect(internalErrorStatus().code).toBe(500);
  });
});
