import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { findOrder, findOrderByCode, lockOrders } from '../orders/order.repository.js';
import type { Order } from '../orders/order.types.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import {
  boughtBySku,
  capturedLateUnrefunded,
  insertRefund,
  pendingRefunds,
  refundMoneyOf,
  refundsOfOrder,
  restockedBySku,
  type Refund,
} from './refund.repository.js';
import { checkRefundAmount, checkRestock, remainingRestock, type RefundCheck, type RestockLine } from './refund.rules.js';

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
 * Undo: a refund.failed answer moves it to failed, which frees its amount again.
 */
export async function bookRefund(
  ctx: Pick<AppContext, 'queue'>,
  tx: Executor,
  tenantId: string,
  orderId: string,
  input: RefundRequestInput,
  opts: { askedAfterCommit?: boolean } = {},
): Promise<RefundCheck<Refund>> {
  const [order] = await lockOrders(tx, tenantId, [orderId]);
  if (!order) throw notFound('Order', orderId);
  const money = await refundMoneyOf(tx, tenantId, order.id);
  const amount = checkRefundAmount(order, money, input.amount);
  if (!amount.ok) return amount;
  const restock = checkRestock(input.restock ?? [], await boughtBySku(tx, order.id), await restockedBySku(tx, order.id));
  if (!restock.ok) return restock;
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
 * back on the shelf everything not restocked yet (a paid order cancelled before shipping; not for
 * money captured late, whose stock was released, never taken). Nothing left (already refunded, or
 * a free order) books nothing.
 */
export async function refundInFull(
  ctx: Pick<AppContext, 'queue'>,
  tx: Executor,
  order: Order,
  opts: { reason: string; restock: boolean },
): Promise<Refund | undefined> {
  const restock = opts.restock ? remainingRestock(await boughtBySku(tx, order.id), await restockedBySku(tx, order.id)) : [];
  const booked = await bookRefund(ctx, tx, order.tenantId, order.id, { reason: opts.reason, restock });
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
  const pending = await pendingRefunds(ctx.db, tenantId, refundIds);
  const gateway = gatewayOf(ctx);
  for (const r of pending) await gateway.refund(r);
  return pending.length;
}

/** An order id, or an order code of the tenant (the CLI accepts both). */
export async function resolveOrder(ex: Executor, tenantId: string, ref: string): Promise<Order> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const order = (isUuid ? await findOrder(ex, tenantId, ref) : undefined) ?? (await findOrderByCode(ex, tenantId, ref));
  if (!order) throw new DomainError('NOT_FOUND', `ORDER: no order with id or code "${ref}" in this tenant.`, { order: ref });
  return order;
}

const SWEEP_BATCH = 200;

/**
 * Money captured for an order already cancelled (payment.captured_late) goes back in full. Each
 * order is booked in its own transaction under its lock; one that was refunded meanwhile books
 * nothing, and an order with any refund (even a failed one) is left to an operator.
 */
export async function refundCapturedLate(ctx: AppContext): Promise<number> {
  const found = await capturedLateUnrefunded(ctx.db, SWEEP_BATCH);
  let booked = 0;
  for (const { tenantId, orderId } of found) {
    const refund = await ctx.db.transaction(async (tx) => {
      const [order] = await lockOrders(tx, tenantId, [orderId]);
      // Re-checked under the lock: another sweep may have booked it since the read above.
      if (!order || order.status !== 'cancelled' || (await refundsOfOrder(tx, order.id)).length > 0) return undefined;
      return refundInFull(ctx, tx, order, { reason: 'payment captured after the order was cancelled', restock: false });
    });
    if (refund) booked += 1;
  }
  return booked;
}
