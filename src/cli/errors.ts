// Errors the CLI reports to its user: each becomes exactly one line on stderr and an exit code.
// A Kubernetes `Status` from the server prints as kubectl does (`Error from server (Reason): ...`),
// with its field causes on the same line; user mistakes never print a stack trace.

/** A user-facing failure: `message` is printed as one line, `exitCode` is returned by runCli. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }

  /** The one line printed on stderr. */
  line(): string {
    return `error: ${oneLine(this.message)}`;
  }
}

export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}

/** The fields of a Kubernetes meta/v1 Status the CLI reads. */
export interface KubeStatus {
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

/** The server answered with an error: a Status when it sent one, else the HTTP code and body. */
export class ServerError extends CliError {
  constructor(
    readonly httpStatus: number,
    readonly status: KubeStatus | undefined,
    readonly body: string,
  ) {
    super(describeServerError(httpStatus, status, body));
    this.name = 'ServerError';
  }

  override line(): string {
    return oneLine(this.message);
  }

  get reason(): string | undefined {
    return this.status?.reason;
  }
}

/** The server could not be reached at all (refused, unknown host, TLS failure, ...). */
export class ConnectionError extends CliError {}

/** True when `value` looks like a Kubernetes Status object. */
export function isStatus(value: unknown): value is KubeStatus {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/**
 * Format a server error as kubectl does: `Error from server (NotFound): <message>`, with field
 * causes appended when the message does not already name them.
 */
export function describeServerError(httpStatus: number, status: KubeStatus | undefined, body: string): string {
  if (!status) {
    const text = oneLine(body).slice(0, 200) || 'no response body';
    return `Error from server (HTTP ${httpStatus}): ${text}`;
  }
  const message = oneLine(status.message ?? `HTTP ${httpStatus}`);
  const missing = (status.details?.causes ?? [])
    .map((c) => [c.field, c.message].filter((p) => p !== undefined && p !== '').join(': '))
    .filter((text, i) => {
      const cause = status.details!.causes![i]!;
      const named = message.includes(text) || (!!cause.field && !!cause.message && message.includes(cause.field) && message.includes(oneLine(cause.message)));
      return text !== '' && !named;
    });
  const causes = missing.length > 0 ? ` [${missing.join('; ')}]` : '';
  const reason = status.reason ? ` (${status.reason})` : '';
  return `Error from server${reason}: ${message}${causes}`;
}

/** Collapse whitespace so any message fits on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
