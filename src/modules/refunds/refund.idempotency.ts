import type { AppContext } from '../../context.js';
import { requestHash, runOnce } from '../../http/idempotency.js';
import { DomainError } from '../../platform/errors.js';
import { isUuid } from '../../platform/uuid.js';
import type { RefundBody, RefundDto } from './refund.dto.js';
import { toRefundDto } from './refund.dto.js';
import { bookRefund, orThrow } from './refund.service.js';

/** The scope POST /orders/:id/refunds stores its keys under; the CLI shares it. */
export const REFUND_SCOPE = 'POST /orders/:id/refunds';

export interface KeyedRefund {
  status: number;
  body: RefundDto;
  replayed: boolean;
}

/**
 * Books a refund at most once per key; a replay returns the stored response and changes nothing.
 * Same table, scope and request hash ({ params, body } as the route sees them) as the HTTP route,
 * through the same core (runOnce), so a key used from the CLI replays over HTTP and back.
 * The caller asks the gateway right after (askGateway); the queued request is the fallback.
 */
export async function refundWithKey(ctx: AppContext, tenantId: string, orderId: string, body: RefundBody, key: string): Promise<KeyedRefund> {
  if (key.length === 0 || key.length > 255) throw new DomainError('INVALID_DATA', '--key: must be 1 to 255 characters.');
  // Hashed as the route hashes its parsed params: a UUID in lower case.
  const id = isUuid(orderId) ? orderId.toLowerCase() : orderId;
  const claim = { tenantId, scope: REFUND_SCOPE, key, hash: requestHash({ id }, body) };
  return ctx.db.transaction((tx) =>
    runOnce(
      tx,
      claim,
      async () => ({ status: 201, body: toRefundDto(orThrow(await bookRefund(ctx, tx, tenantId, id, body, { askedAfterCommit: true }))) }),
      `--key "${key}" was already used with a different refund request; use a new key.`,
    ),
  );
}
