import type { AppContext } from '../../context.js';
import type { Executor } from '../../platform/db/types.js';
import { DomainError, notFound } from '../../platform/errors.js';
import { lockOrders } from './order.repository.js';
import { createOrders } from './order.create.js';
import { transitionGuard, type TransitionName } from './order.state.js';
import { applyTransition } from './order.transitions.js';
import { settleReservations } from './reservation.js';
import type { NewOrder, Order } from './order.types.js';

export interface PlaceOrderInput {
  orderCode: string;
  customer: { email: string; name: string };
  placedAt?: Date;
  items: { sku: string; quantity: number }[];
}

/** One order from the API: catalog prices, one currency, lines of one SKU merged. */
export async function placeOrder(ctx: AppContext, tx: Executor, tenantId: string, input: PlaceOrderInput): Promise<string> {
  const merged = new Map<string, number>();
  for (const item of input.items) merged.set(item.sku, (merged.get(item.sku) ?? 0) + item.quantity);
  const { rows } = await tx.query<{ sku: string; currency: string }>(
    `SELECT sku, currency FROM products WHERE tenant_id = $1 AND sku = ANY($2::text[])`,
    [tenantId, [...merged.keys()]],
  );
  const unknown = [...merged.keys()].filter((sku) => !rows.some((r) => r.sku === sku));
  if (unknown.length) throw new DomainError('INVALID_DATA', `items: unknown SKU ${unknown.join(', ')}; no such product in the catalog.`, { skus: unknown });
  const currencies = [...new Set(rows.map((r) => r.currency))];
  if (currencies.length > 1) throw new DomainError('INVALID_DATA', `items: products are priced in ${currencies.join(' and ')}; one order takes one currency.`);
  const order: NewOrder = {
    orderCode: input.orderCode,
    customerEmail: input.customer.email,
    customerName: input.customer.name,
    currency: currencies[0]!,
    placedAt: input.placedAt ?? new Date(),
    items: [...merged].map(([sku, quantity]) => ({ sku, quantity })),
  };
  const result = await createOrders(ctx, tx, tenantId, [order], { source: 'api', priceFromCatalog: true });
  if (result.existing.length) throw new DomainError('CONFLICT', `orderCode: order ${input.orderCode} already exists.`, { orderCode: input.orderCode });
  const rejected = result.rejected[0];
  if (rejected) throw new DomainError('INVALID_DATA', `${rejected.field}: ${rejected.reason}`);
  return result.created[0]!.id;
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
