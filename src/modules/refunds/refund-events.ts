import type { Executor } from '../../platform/db/types.js';
import { enqueueNotifications } from '../notifications/index.js';
import { appendEvents } from '../orders/order.events.js';
import { lockOrders } from '../orders/order.repository.js';
import type { RefundEvent } from '../payments/payment-events.service.js';
import { ordersOfRefunds, restockRefunded, setRefundedTotals, settleRefunds } from './refund.repository.js';
import { refundStatusFor } from './refund.rules.js';
import { isUuid } from '../../platform/uuid.js';

/**
 * Applies the gateway's refund answers, already deduplicated by event id, in the webhook's
 * transaction. Only refunds still pending move, so a late duplicate or a failure after a success
 * changes nothing. A success adds to the order's refunded_total, restocks what was asked and
 * writes `refund.succeeded` { refundId, amount, currency } (what analytics and notifications
 * read); a failure writes `refund.failed` and, no longer pending, frees its amount. Units that
 * would not fit on the shelf (stock at the int4 maximum) are not put back: the event names them
 * in `restockSkipped` [{ sku, quantity, reason }].
 */
export async function applyRefundEvents(tx: Executor, tenantId: string, events: readonly RefundEvent[]): Promise<void> {
  const outcomes = events
    .filter((e) => isUuid(e.data.refund_id))
    .map((e) =>
      e.type === 'refund.succeeded'
        ? { refundId: e.data.refund_id, status: 'succeeded' as const }
        : { refundId: e.data.refund_id, status: 'failed' as const, failureReason: `refund declined by the gateway (${e.data.reason})` },
    );
  if (outcomes.length === 0) return;
  // Orders first, by id; restockRefunded then locks products by id: the global lock order.
  const orders = await lockOrders(tx, tenantId, await ordersOfRefunds(tx, tenantId, outcomes.map((o) => o.refundId)));
  const moved = await settleRefunds(tx, tenantId, outcomes);
  const succeeded = moved.filter((r) => r.status === 'succeeded');

  const added = new Map<string, number>();
  for (const r of succeeded) added.set(r.orderId, (added.get(r.orderId) ?? 0) + r.amount);
  await setRefundedTotals(
    tx,
    tenantId,
    orders
      .filter((o) => added.has(o.id))
      .map((o) => {
        const refundedTotal = o.refundedTotal + added.get(o.id)!;
        return { orderId: o.id, refundedTotal, refundStatus: refundStatusFor(refundedTotal, o.total) };
      }),
  );
  // Bounded, never raised: the money is already back, so a success must always apply.
  const skipped = await restockRefunded(tx, tenantId, succeeded);
  await appendEvents(
    tx,
    tenantId,
    moved.map((r) => {
      const restockSkipped = skipped.filter((s) => s.refundId === r.id).map(({ sku, quantity, reason }) => ({ sku, quantity, reason }));
      return {
        orderId: r.orderId,
        type: r.status === 'succeeded' ? 'refund.succeeded' : 'refund.failed',
        data: {
          refundId: r.id,
          amount: r.amount,
          currency: r.currency,
          ...(r.status === 'failed' && { reason: r.failureReason }),
          ...(restockSkipped.length > 0 && { restockSkipped }),
        },
      };
    }),
  );
  await enqueueNotifications(
    tx,
    tenantId,
    succeeded.map((r) => ({ type: 'refund_processed' as const, orderId: r.orderId, refundId: r.id, amount: r.amount, currency: r.currency })),
  );
}
