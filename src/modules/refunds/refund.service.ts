import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { counterIn } from '../../platform/metrics.js';
import { STOCK_MAX } from '../inventory/inventory.service.js';
import { appendEvents } from '../orders/order.events.js';
import { findOrder, findOrderByCode, lockOrders } from '../orders/order.repository.js';
import type { Order } from '../orders/order.types.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { REASK_AFTER_MS, REASK_BATCH } from '../payments/payment.reask.js';
import {
  cancelledOrdersOwed,
  insertRefund,
  itemStockBySku,
  pendingRefunds,
  refundAbandoned,
  refundMoneyOf,
  refundsOfOrder,
  restockedBySku,
  stalePendingRefunds,
  type PendingRefund,
  type Refund,
} from './refund.repository.js';
import {
  checkRefundAmount,
  checkRestock,
  checkRestockRoom,
  leftToRefund,
  MAX_FAILED_REFUNDS,
  remainingRestock,
  type RefundCheck,
  type RestockLine,
} from './refund.rules.js';

/** How long a refund asked about right after commit waits before its queued request re-asks. */
const FALLBACK_AFTER_SECONDS = 30;

export interface RefundRequestInput {
  amount?: number;
  reason: string;
  restock?: RestockLine[];
}

/**
 * Books a pending refund: lock the order, sum what is captured, refunded and pending, check, insert,
 * and enqueue the gateway request, all in the caller's transaction. The order lock serialises
 * bookings of one order, so two concurrent refunds can never both spend the same money.
 * Restock is bounded by what left the shelf (committed reservations) and, for what a caller asks,
 * by the room left in the int4 stock column. `owedRestock`: the restock is what a cancellation
 * owes; it is booked whole (the money must go back) and bounded when the refund succeeds instead.
 * Undo: a refund.failed answer moves it to failed, which frees its amount (and restock) again.
 */
export async function bookRefund(
  ctx: Pick<AppContext, 'queue'>,
  tx: Executor,
  tenantId: string,
  orderId: string,
  input: RefundRequestInput,
  opts: { askedAfterCommit?: boolean; owedRestock?: boolean } = {},
): Promise<RefundCheck<Refund>> {
  const [order] = await lockOrders(tx, tenantId, [orderId]);
  if (!order) throw notFound('Order', orderId);
  const money = await refundMoneyOf(tx, tenantId, order.id);
  const amount = checkRefundAmount(order, money, input.amount);
  if (!amount.ok) return amount;
  const items = await itemStockBySku(tx, order.id);
  const restock = checkRestock(input.restock ?? [], items, await restockedBySku(tx, order.id));
  if (!restock.ok) return restock;
  if (!opts.owedRestock) {
    const room = checkRestockRoom(restock.value, new Map([...items].map(([sku, i]) => [sku, i.onHand])), STOCK_MAX);
    if (!room.ok) return room;
  }
  const refund = await insertRefund(tx, tenantId, {
    orderId: order.id,
    paymentId: money.paymentId!,
    amount: amount.value,
    currency: order.currency,
    reason: input.reason,
    restock: restock.value,
  });
  // The job is the durable half of "ask the gateway": it exists iff the booking commits. A caller
  // that asks right after commit (askGateway) leaves it as the fallback for a crash in between.
  await ctx.queue.send(tx, 'refunds_request', { tenantId, refundIds: [refund.id] }, opts.askedAfterCommit ? { startAfterSeconds: FALLBACK_AFTER_SECONDS } : {});
  return { ok: true, value: refund };
}

/** A refusal becomes the DomainError the API and CLI print (400 or 409, with the field). */
export function orThrow<T>(check: RefundCheck<T>): T {
  if (check.ok) return check.value;
  throw new DomainError(check.code, check.message, check.details);
}

/**
 * Refunds whatever is left of an order the caller has locked, in its transaction. `restock`: put
 * back on the shelf everything taken from it and not restocked yet (a paid order cancelled before
 * shipping). Units whose reservation was released (money captured late) never left the shelf and
 * are never put back. Nothing left (already refunded, or a free order) books nothing.
 */
export async function refundInFull(
  ctx: Pick<AppContext, 'queue'>,
  tx: Executor,
  order: Order,
  opts: { reason: string; restock: boolean },
): Promise<Refund | undefined> {
  const restock = opts.restock ? remainingRestock(await itemStockBySku(tx, order.id), await restockedBySku(tx, order.id)) : [];
  const booked = await bookRefund(ctx, tx, order.tenantId, order.id, { reason: opts.reason, restock }, { owedRestock: true });
  if (booked.ok) return booked.value;
  if (booked.field === 'amount') return undefined; // nothing left to refund
  throw new DomainError(booked.code, booked.message, booked.details);
}

/** Asks the gateway about a refund just committed; its answer arrives by signed webhook. */
export async function askGateway(ctx: AppContext, refund: Refund): Promise<void> {
  const { id: refundId, paymentId, orderId, tenantId, amount, currency } = refund;
  await gatewayOf(ctx).refund({ refundId, paymentId, orderId, tenantId, amount, currency });
}

/**
 * Asks the gateway about refunds still pending. Safe to repeat: the gateway's answer for one
 * refund id always has the same event id, which the webhook path applies once; refunds already
 * answered are not pending and are not asked about again.
 */
export async function requestRefunds(ctx: AppContext, tenantId: string, refundIds: readonly string[]): Promise<number> {
  return askAbout(ctx, await pendingRefunds(ctx.db, tenantId, refundIds));
}

async function askAbout(ctx: AppContext, pending: readonly PendingRefund[]): Promise<number> {
  const gateway = gatewayOf(ctx);
  for (const r of pending) await gateway.refund(r);
  return pending.length;
}

/**
 * Refunds still pending REASK_AFTER_MS after they were booked are asked about again: their answer
 * was lost (the simulator keeps undelivered answers in memory, and a killed worker takes them
 * with it), and nothing else would ever ask. Safe for the same reason requestRefunds is.
 */
export async function reaskStaleRefunds(ctx: AppContext, now = new Date()): Promise<number> {
  return askAbout(ctx, await stalePendingRefunds(ctx.db, new Date(now.getTime() - REASK_AFTER_MS), REASK_BATCH));
}

/** An order id, or an order code of the tenant (the CLI accepts both). */
export async function resolveOrder(ex: Executor, tenantId: string, ref: string): Promise<Order> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const order = (isUuid ? await findOrder(ex, tenantId, ref) : undefined) ?? (await findOrderByCode(ex, tenantId, ref));
  if (!order) throw new DomainError('NOT_FOUND', `ORDER: no order with id or code "${ref}" in this tenant.`, { order: ref });
  return order;
}

const SWEEP_BATCH = 200;

type SweepOutcome = { booked: Refund } | { abandoned: { owed: number; failed: number } } | undefined;

/**
 * A cancelled order gives back every captured cent, and the units its cancellation owes the shelf.
 * Two paths leave money owed after the cancel transaction: payment captured after the order was
 * cancelled (payment.captured_late), and a refund the gateway declined (its amount is freed and
 * nothing else books it again). Each order is booked in its own transaction under its lock and
 * re-checked there: a concurrent sweep (or operator) that booked first left nothing to refund, as
 * pending counts as spent, so two sweeps never book twice. After MAX_FAILED_REFUNDS declined
 * refunds the order is left to an operator: one `refund.abandoned` event, a warning, a metric, and
 * `ordersys verify` names it until its money is back. Returns the number of refunds booked.
 */
export async function refundCapturedLate(ctx: AppContext): Promise<number> {
  const found = await cancelledOrdersOwed(ctx.db, SWEEP_BATCH);
  const counter = counterIn(ctx.metrics.registry, {
    name: 'ordersys_refund_sweep_orders_total',
    help: 'Cancelled orders still owed money: refund booked by the sweep, or abandoned after too many declined refunds',
    labelNames: ['outcome'] as const,
  });
  let booked = 0;
  let firstError: unknown;
  for (const { tenantId, orderId } of found) {
    try {
      const outcome = await ctx.db.transaction((tx) => sweepOne(ctx, tx, tenantId, orderId));
      if (outcome && 'booked' in outcome) {
        booked += 1;
        counter.inc({ outcome: 'booked' });
      } else if (outcome) {
        counter.inc({ outcome: 'abandoned' });
        ctx.logger.warn(
          { tenantId, orderId, owed: outcome.abandoned.owed, failedRefunds: outcome.abandoned.failed },
          `cancelled order still owed money after ${outcome.abandoned.failed} declined refunds; not retried, refund it by hand (POST /orders/:id/refunds)`,
        );
      }
    } catch (err) {
      // One order must not hold up the others; the job still fails, and the next sweep tries again.
      ctx.logger.error({ err, tenantId, orderId }, 'refund sweep failed for an order');
      firstError ??= err;
    }
  }
  if (firstError) throw firstError;
  return booked;
}

async function sweepOne(ctx: AppContext, tx: Executor, tenantId: string, orderId: string): Promise<SweepOutcome> {
  const [order] = await lockOrders(tx, tenantId, [orderId]);
  // Re-checked under the lock: another sweep may have booked (or given up) since the read.
  if (!order || order.status !== 'cancelled') return undefined;
  const failed = (await refundsOfOrder(tx, order.id)).filter((r) => r.status === 'failed').length;
  if (failed < MAX_FAILED_REFUNDS) {
    const reason = failed === 0 ? 'payment captured after the order was cancelled' : `order ${order.orderCode} cancelled; booked again after ${failed} declined refund(s)`;
    const refund = await refundInFull(ctx, tx, order, { reason, restock: true });
    return refund && { booked: refund };
  }
  const owed = leftToRefund(await refundMoneyOf(tx, tenantId, order.id));
  if (owed === 0 || (await refundAbandoned(tx, order.id))) return undefined;
  await appendEvents(tx, tenantId, [
    {
      orderId: order.id,
      type: 'refund.abandoned',
      data: { amount: owed, currency: order.currency, failedRefunds: failed, reason: `${failed} refunds declined by the gateway; left to an operator` },
    },
  ]);
  return { abandoned: { owed, failed } };
}
