import { z } from 'zod';

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .describe('The one error shape');

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: the message names the field or parameter',
  401: 'Missing, unknown or revoked API key',
  403: 'The key does not have the role this route needs',
  404: 'Not found (or belongs to another tenant)',
  409: 'Conflict: the current state does not allow this',
  413: 'Body or upload too large',
  422: 'Idempotency-Key reused with a different request',
  429: 'Rate limited: see Retry-After',
};

/** Response schemas for the listed error statuses, for a route's `response` map. */
export function errorResponses(...codes: number[]): Record<number, z.ZodType> {
  return Object.fromEntries(codes.map((c) => [c, errorBody.describe(DESCRIPTIONS[c] ?? 'Error')]));
}

export const idParams = z.object({ id: z.uuid({ error: 'id must be a UUID' }) });
