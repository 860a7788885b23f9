// The Kubernetes `Status` object and the one mapping from dockfence's typed errors to it, used by
// the API's error middleware (and by clients reading errors back). Pure.

import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  MethodNotAllowedError,
  ServiceUnavailableError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type FieldCause,
} from '../lib/errors.js';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: FieldCause[];
  retryAfterSeconds?: number;
}

/** metav1.Status as Kubernetes sends it for errors (and for a few successes). */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** What a request was about, to fill `details` the way kubectl prints it. */
export interface StatusTarget {
  group?: string;
  kind?: string; // the resource (plural), as Kubernetes puts it in details.kind
  name?: string;
  /** The Kind, which Kubernetes puts in details.kind of Invalid errors instead. */
  objectKind?: string;
}

const TABLE: Array<[new (...args: never[]) => Error, number, string]> = [
  [NotFoundError, 404, 'NotFound'],
  [AlreadyExistsError, 409, 'AlreadyExists'],
  [ConflictError, 409, 'Conflict'],
  [InvalidError, 422, 'Invalid'],
  [BadRequestError, 400, 'BadRequest'],
  [UnauthorizedError, 401, 'Unauthorized'],
  [ForbiddenError, 403, 'Forbidden'],
  [GoneError, 410, 'Expired'],
  [PayloadTooLargeError, 413, 'RequestEntityTooLarge'],
  [UnsupportedMediaTypeError, 415, 'UnsupportedMediaType'],
  [MethodNotAllowedError, 405, 'MethodNotAllowed'],
  [ServiceUnavailableError, 503, 'ServiceUnavailable'],
];

/** A failure Status with the given code, reason and message. */
export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): KubeStatus {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details && Object.keys(details).length > 0) status.details = details;
  return status;
}

/** A success Status (DELETE of a collection, for instance). */
export function successStatus(details?: StatusDetails): KubeStatus {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', code: 200 };
  if (details) status.details = details;
  return status;
}

/**
 * Map a typed dockfence error to its Status. Returns undefined for any other error: the caller
 * answers 500 without revealing it. InvalidError causes become details.causes.
 */
export function statusFromError(err: unknown, target: StatusTarget = {}): KubeStatus | undefined {
  const row = TABLE.find(([type]) => err instanceof type);
  if (!row) return undefined;
  const [, code, reason] = row;
  const e = err as Error;
  const details: StatusDetails = {};
  if (target.name) details.name = target.name;
  if (target.group) details.group = target.group;
  if (target.kind) details.kind = target.kind;
  if (err instanceof InvalidError && target.objectKind) details.kind = target.objectKind;
  if (err instanceof InvalidError && err.causes.length > 0) details.causes = err.causes;
  if (err instanceof ConflictError && (err as { causes?: FieldCause[] }).causes) {
    details.causes = (err as { causes?: FieldCause[] }).causes;
  }
  return failureStatus(code, reason, e.message, details);
}

/** The Status for an error nothing typed describes: a fixed message, never the cause. */
export function internalErrorStatus(): KubeStatus {
  return failureStatus(500, 'InternalError', 'Internal error occurred: see the dockfence server log');
}

/** True when `value` looks like a Kubernetes Status object. */
export function isKubeStatus(value: unknown): value is KubeStatus {
  const v = value as KubeStatus | null;
  return typeof v === 'object' && v !== null && v.kind === 'Status' && typeof v.code === 'number';
}
