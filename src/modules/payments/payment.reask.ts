import type { AppContext } from '../../context.js';
import { gatewayOf } from './gateway.runtime.js';
import type { PendingPayment } from './payment.repository.js';

/*
 * The gateway answers by webhook, and an answer can be lost: the shipped simulator keeps the
 * deliveries it has not made yet in memory, so a worker killed between asking and delivering
 * takes them with it; a real gateway's webhook can be lost to a long outage of ours. The payment
 * then stays pending, and its order sits reserved until the hold expires and cancels it: the
 * customer loses an order nobody declined. So payments still pending this long after they were
 * opened are asked about again, while their order still waits for them. Asking again is safe:
 * the answer about one payment is one event id, applied once (a real gateway's idempotent
 * request, keyed by the payment id, answers the same).
 */

/** Far beyond any answer's normal delay (milliseconds), well inside the reservation hold (minutes). Refunds use it too. */
export const REASK_AFTER_MS = 2 * 60_000;
/** Payments (or refunds) asked about again per sweep. */
export const REASK_BATCH = 5_000;

/** Asks the gateway again about payments pending since before `now - REASK_AFTER_MS` whose order is still reserved. */
export async function reaskStalePayments(ctx: AppContext, now = new Date()): Promise<number> {
  const { rows } = await ctx.db.query<PendingPayment>(
    `SELECT p.id AS "paymentId", p.order_id AS "orderId", p.tenant_id AS "tenantId", p.amount, p.currency
     FROM payments p JOIN orders o ON o.id = p.order_id AND o.status = 'reserved'
     WHERE p.status = 'pending' AND p.created_at < $1
     ORDER BY p.created_at LIMIT ${REASK_BATCH}`,
    [new Date(now.getTime() - REASK_AFTER_MS)],
  );
  if (rows.length > 0) await gatewayOf(ctx).authorizeMany(rows);
  return rows.length;
}
