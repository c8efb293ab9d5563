import { z } from 'zod';
import { inYears, YEARS_RULE } from '../platform/years.js';

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .describe('The one error shape');

const ERRORS: Record<number, { description: string; example: { code: string; message: string; details?: unknown } }> = {
  400: {
    description: 'Invalid input: the message names the field or parameter',
    example: {
      code: 'INVALID_DATA',
      message: 'body.items.0.quantity: Too small: expected number to be >0',
      details: { issues: [{ field: 'body.items.0.quantity', message: 'Too small: expected number to be >0' }] },
    },
  },
  401: {
    description: 'Missing, unknown or revoked API key',
    example: { code: 'UNAUTHORIZED', message: 'This API key is unknown or revoked.' },
  },
  403: {
    description: 'The key does not have the role this route needs',
    example: { code: 'FORBIDDEN', message: 'This route needs the operator role; the key has viewer.' },
  },
  404: {
    description: 'Not found (or belongs to another tenant)',
    example: { code: 'NOT_FOUND', message: 'Order 3b1f6c2e-8d4a-4f7b-9c2d-5e6a7b8c9d01 does not exist.', details: { id: '3b1f6c2e-8d4a-4f7b-9c2d-5e6a7b8c9d01' } },
  },
  409: {
    description: 'Conflict: the current state does not allow this',
    example: {
      code: 'CONFLICT',
      message: 'Cannot ship order SO-1042: order is pending; it can be shipped only while completed.',
      details: { status: 'pending' },
    },
  },
  413: {
    description: 'Body or upload too large',
    example: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this endpoint accepts.' },
  },
  415: {
    description: 'The Content-Type is not one this route reads',
    example: { code: 'INVALID_DATA', message: 'Content-Type application/xml is not accepted here; send JSON (application/json), or text/csv to POST /imports.' },
  },
  422: {
    description: 'Idempotency-Key reused with a different request',
    example: { code: 'IDEMPOTENCY_MISMATCH', message: 'Idempotency-Key "order-SO-1042" was already used with a different request; use a new key.' },
  },
  429: {
    description: 'Rate limited: see Retry-After',
    example: { code: 'RATE_LIMITED', message: 'Rate limit of 600 requests per minute reached for this API key; retry after 12 s.' },
  },
};

/** The error shape for one status, described and with an example, for a route's `response` map. */
export function errorResponse(code: number): z.ZodType {
  const known = ERRORS[code];
  return errorBody.meta({ description: known?.description ?? 'Error', ...(known && { examples: [{ error: known.example }] }) });
}

/** Response schemas for the listed error statuses, for a route's `response` map. */
export function errorResponses(...codes: number[]): Record<number, z.ZodType> {
  return Object.fromEntries(codes.map((c) => [c, errorResponse(c)]));
}

export const idParams = z.object({ id: z.uuid({ error: 'id must be a UUID' }) });

/** YYYY-MM-DD in the accepted years. */
export const isoDay = (error = 'must be a date YYYY-MM-DD') => z.iso.date({ error }).refine(inYears, YEARS_RULE);

/** An ISO 8601 timestamp with Z or an offset, in the accepted years. */
export const isoInstant = () => z.iso.datetime({ offset: true }).refine(inYears, YEARS_RULE);

/** A date (UTC midnight) or a timestamp, in the accepted years: for `from`, `to`, `since` filters. */
export const dayOrInstant = () => z.iso.date().or(z.iso.datetime({ offset: true })).refine(inYears, YEARS_RULE);

/**
 * A request body object that refuses fields it does not know. A dropped field is a silent lie: a
 * refund naming another currency was booked in the order's, a price sent with an order item was
 * ignored for the catalog's, `timezone` for `timeZone` changed nothing and answered 200.
 */
export function bodyObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; the fields here are ${known}`
        : undefined,
  });
}
