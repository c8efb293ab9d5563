/**
 * Errors that reach a user carry a stable code, an HTTP status and one sentence that says what
 * was wrong and what to do. The HTTP error handler and the CLI both print them as they are.
 */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_DATA'
  | 'NOT_ALLOWED'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'IDEMPOTENCY_MISMATCH'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  INVALID_DATA: 400,
  NOT_ALLOWED: 400,
  CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  IDEMPOTENCY_MISMATCH: 422,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

export class DomainError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
    this.httpStatus = STATUS[code];
  }
}

export const notFound = (what: string, id: string) => new DomainError('NOT_FOUND', `${what} ${id} does not exist.`, { id });
export const invalid = (field: string, message: string) =>
  new DomainError('INVALID_DATA', `${field}: ${message}`, { field });
export const conflict = (message: string, details?: Record<string, unknown>) => new DomainError('CONFLICT', message, details);

/** Expected business refusals are values, not exceptions: the caller must look at them. */
export type Result<T, E = { reason: string }> = { ok: true; value: T } | ({ ok: false } & E);
