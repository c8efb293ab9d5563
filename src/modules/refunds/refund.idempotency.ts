import { createHash } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { DomainError } from '../../platform/errors.js';
import type { RefundBody, RefundDto } from './refund.dto.js';
import { toRefundDto } from './refund.dto.js';
import { bookRefund, orThrow } from './refund.service.js';

/** The scope POST /orders/:id/refunds stores its keys under; the CLI shares it. */
export const REFUND_SCOPE = 'POST /orders/:id/refunds';

/*
 * The CLI's copy of src/http/idempotency.ts: same table, same scope, same request hash
 * ({ params, body } as the route sees them), so a key used from the CLI replays over HTTP and
 * back. Keep the two in step (or hoist the core of idempotent() out of its Fastify wrapper).
 */
function requestHash(orderId: string, body: RefundBody): string {
  return createHash('sha256').update(JSON.stringify({ params: { id: orderId }, body })).digest('hex');
}

export interface KeyedRefund {
  status: number;
  body: RefundDto;
  replayed: boolean;
}

/**
 * Books a refund at most once per key; a replay returns the stored response and changes nothing.
 * The caller asks the gateway right after (askGateway); the queued request is the fallback.
 */
export async function refundWithKey(ctx: AppContext, tenantId: string, orderId: string, body: RefundBody, key: string): Promise<KeyedRefund> {
  if (key.length === 0 || key.length > 255) throw new DomainError('INVALID_DATA', '--key: must be 1 to 255 characters.');
  const hash = requestHash(orderId, body);
  return ctx.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [tenantId, REFUND_SCOPE, key, hash],
    );
    if (inserted.rowCount === 0) {
      const { rows } = await tx.query<{ requestHash: string; statusCode: number; response: RefundDto }>(
        `SELECT request_hash AS "requestHash", status_code AS "statusCode", response FROM idempotency_keys
         WHERE tenant_id = $1 AND scope = $2 AND key = $3`,
        [tenantId, REFUND_SCOPE, key],
      );
      const prior = rows[0]!;
      if (prior.requestHash !== hash) {
        throw new DomainError('IDEMPOTENCY_MISMATCH', `--key "${key}" was already used with a different refund request; use a new key.`);
      }
      return { status: prior.statusCode, body: prior.response, replayed: true };
    }
    const refund = toRefundDto(orThrow(await bookRefund(ctx, tx, tenantId, orderId, body, { askedAfterCommit: true })));
    await tx.query(`UPDATE idempotency_keys SET status_code = $4, response = $5 WHERE tenant_id = $1 AND scope = $2 AND key = $3`, [
      tenantId,
      REFUND_SCOPE,
      key,
      201,
      JSON.stringify(refund),
    ]);
    return { status: 201, body: refund, replayed: false };
  });
}
