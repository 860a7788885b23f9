// Typed errors used across dockfence. The API edge maps them to Kubernetes Status objects;
// the CLI prints them as one line. Wrap with `{ cause }` and say what was being attempted.

export interface FieldCause {
  field: string;
  message: string;
  reason?: string; // FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, ...
}

export class DockfenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DockfenceError {}
export class AlreadyExistsError extends DockfenceError {}
export class ConflictError extends DockfenceError {}
export class BadRequestError extends DockfenceError {}
export class UnauthorizedError extends DockfenceError {}
export class ForbiddenError extends DockfenceError {}
export class GoneError extends DockfenceError {}
/** The request body is over the server's limit (HTTP 413). */
export class PayloadTooLargeError extends DockfenceError {}
/** The request body's media type is not accepted here (HTTP 415). */
export class UnsupportedMediaTypeError extends DockfenceError {}
/** A dependency (Docker, the first reconcile) is not available yet (HTTP 503). */
export class ServiceUnavailableError extends DockfenceError {}
/** The path exists but not with this HTTP method (HTTP 405). */
export class MethodNotAllowedError extends DockfenceError {}

export class InvalidError extends DockfenceError {
  readonly causes: FieldCause[];
  constructor(message: string, causes: FieldCause[], options?: { cause?: unknown }) {
    super(message, options);
    this.causes = causes;
  }
}

/** A command failed: what ran, its exit code, stderr and the input it was fed. */
export class ExecError extends DockfenceError {
  constructor(
    message: string,
    readonly details: { command: string; exitCode?: number; stderr: string; input?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Applying a ruleset to the kernel failed; nothing of it took effect (transactions are atomic). */
export class ApplyError extends ExecError {}

export class ParseError extends DockfenceError {}

/** A broken invariant inside dockfence itself. */
export function bug(message: string): Error {
  return new Error(`dockfence bug: ${message}`);
}
