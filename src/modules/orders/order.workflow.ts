import type { AppContext } from '../../context.js';
import { reserveOrders, settleReservations, StockMoved } from './reservation.js';
import { applyTransition } from './order.transitions.js';

/** How long orders a batch skipped (locked by someone else) wait before their own job tries them. */
const SKIPPED_RETRY_SECONDS = 2;

/**
 * Step 1 of reserve -> pay -> finalize. Reserves a batch and, in the same transaction, enqueues
 * payment for the orders that got their stock, and a follow-up job for the pending orders it
 * skipped. Undo: settleReservations(tx, { release }) on payment failure, cancellation or hold expiry.
 */
export async function reserveBatch(ctx: AppContext, tenantId: string, orderIds: readonly string[]) {
  const holdUntil = new Date(Date.now() + ctx.config.reservationHoldMinutes * 60_000);
  const attempt = (mode: 'optimistic' | 'locked') =>
    ctx.db.transaction(async (tx) => {
      const outcome = await reserveOrders(tx, tenantId, orderIds, holdUntil, mode);
      if (outcome.reserved.length > 0) await ctx.queue.send(tx, 'payments_request', { tenantId, orderIds: outcome.reserved });
      // Pending orders another transaction held: looked at again shortly, in a job of their own.
      if (outcome.skipped.length > 0) {
        await ctx.queue.send(tx, 'orders_reserve', { tenantId, orderIds: outcome.skipped, skipped: true }, { startAfterSeconds: SKIPPED_RETRY_SECONDS });
      }
      return outcome;
    });
  try {
    return await attempt('optimistic');
  } catch (err) {
    // Another batch took the stock this one decided on: decide again on locked rows.
    if (!(err instanceof StockMoved)) throw err;
    ctx.metrics.reservationRetries.inc();
    return attempt('locked');
  }
}

const SWEEP_BATCH = 500;

/**
 * Cancels reservations nobody paid for in time and releases their stock. Several workers may
 * sweep at once: SKIP LOCKED hands each order to one of them.
 */
export async function expireHolds(ctx: AppContext, now = new Date()): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; tenantId: string }>(
        // A reserved order is one with active stock reservations: the small partial index on those
        // finds them (orders keep no index on status, so that status changes stay HOT).
        `SELECT o.id, o.tenant_id AS "tenantId" FROM orders o
         WHERE o.id IN (SELECT r.order_id FROM stock_reservations r WHERE r.status = 'active')
           AND o.status = 'reserved' AND o.reserved_until < $1
         ORDER BY o.id LIMIT ${SWEEP_BATCH} FOR NO KEY UPDATE OF o SKIP LOCKED`,
        [now],
      );
      const byTenant = new Map<string, string[]>();
      for (const r of rows) byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), r.id]);
      for (const [tenantId, ids] of byTenant) {
        const cancelled = await applyTransition(
          tx,
          tenantId,
          'cancel',
          ids.map((orderId) => ({ orderId, reason: 'reservation hold expired before payment', data: { by: 'hold-expiry' } })),
        );
        await settleReservations(tx, { release: cancelled.map((c) => c.orderId) });
      }
      return rows.length;
    });
    total += n;
    if (n < SWEEP_BATCH) return total;
  }
}
