import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { lockOrders } from './order.repository.js';
import { createOrders, type CreatedOrder } from './order.create.js';
import { transitionGuard, type TransitionName } from './order.state.js';
import { applyTransition } from './order.transitions.js';
import { settleReservations } from './reservation.js';
import type { Order } from './order.types.js';

export interface PlaceOrderInput {
  orderCode: string;
  customer: { email: string; name: string };
  placedAt?: Date;
  items: { sku: string; quantity: number }[];
}

/**
 * Orders from the API, of one tenant: catalog prices, one currency, lines of one SKU merged.
 * Each input comes back, by position, as the order created or the refusal a user reads (unknown
 * SKU, mixed currencies, an order code that exists or appears twice).
 */
export async function placeOrders(ctx: AppContext, tx: Executor, tenantId: string, inputs: readonly PlaceOrderInput[]): Promise<(CreatedOrder | DomainError)[]> {
  const orders = inputs.map((input) => {
    const merged = new Map<string, number>();
    for (const item of input.items) merged.set(item.sku, (merged.get(item.sku) ?? 0) + item.quantity);
    return {
      orderCode: input.orderCode,
      customerEmail: input.customer.email,
      customerName: input.customer.name,
      placedAt: input.placedAt ?? new Date(),
      items: [...merged].map(([sku, quantity]) => ({ sku, quantity })),
    };
  });
  const result = await createOrders(ctx, tx, tenantId, orders, { source: 'api', priceFromCatalog: true });
  const created = new Map(result.created.map((c) => [c.orderCode, c]));
  const existing = new Set(result.existing);
  const rejected = new Map(result.rejected.map((r) => [r.orderCode, r]));
  const seen = new Set<string>();
  return inputs.map(({ orderCode }) => {
    const first = !seen.has(orderCode);
    seen.add(orderCode);
    const order = created.get(orderCode);
    if (first && order) return order;
    if (!first || existing.has(orderCode)) return new DomainError('CONFLICT', `orderCode: order ${orderCode} already exists.`, { orderCode });
    const r = rejected.get(orderCode)!;
    return new DomainError('INVALID_DATA', `${r.field}: ${r.reason}.`, r.skus && { skus: r.skus });
  });
}

/** Loads and locks one order, or answers 404 (also for another tenant's order). */
async function lockOne(tx: Executor, tenantId: string, orderId: string): Promise<Order> {
  const [order] = await lockOrders(tx, tenantId, [orderId]);
  if (!order) throw notFound('Order', orderId);
  return order;
}

function refuse(order: Order, name: TransitionName): never {
  const check = transitionGuard(order, name);
  throw new DomainError('CONFLICT', check.ok ? 'refused' : `Cannot ${name} order ${order.orderCode}: ${check.reason}.`, { status: order.status });
}

/**
 * Cancels an order. Pending or reserved: stock released now. Completed (paid): the order is
 * cancelled and its full remaining amount refunded through `refundInFull` (the refunds module).
 */
export async function cancelOrder(
  ctx: AppContext,
  tenantId: string,
  orderId: string,
  reason: string,
  refundInFull?: (tx: Executor, order: Order) => Promise<void>,
): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const order = await lockOne(tx, tenantId, orderId);
    if (!transitionGuard(order, 'cancel').ok) refuse(order, 'cancel');
    if (order.status === 'completed') {
      if (!refundInFull) throw new DomainError('CONFLICT', `Order ${order.orderCode} is paid; cancelling it needs a refund, which is not available.`, { status: order.status });
      await refundInFull(tx, order);
    }
    const moved = await applyTransition(tx, tenantId, 'cancel', [{ orderId, reason, data: { by: 'api', reason } }]);
    await settleReservations(tx, { release: moved.map((m) => m.orderId) });
  });
}

/** ship and deliver: a guarded transition with nothing else to undo. */
export async function advanceOrder(ctx: AppContext, tenantId: string, orderId: string, name: 'ship' | 'deliver', data: Record<string, unknown> = {}) {
  await ctx.db.transaction(async (tx) => {
    const order = await lockOne(tx, tenantId, orderId);
    if (!transitionGuard(order, name).ok) refuse(order, name);
    await applyTransition(tx, tenantId, name, [{ orderId, data }]);
  });
}
