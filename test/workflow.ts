import type { AppContext } from '../src/context.js';
import { createOrders } from '../src/modules/orders/order.create.js';
import type { NewOrder } from '../src/modules/orders/order.types.js';
import { reserveBatch } from '../src/modules/orders/order.workflow.js';
import { gatewayOf } from '../src/modules/payments/gateway.runtime.js';
import { requestPayments } from '../src/modules/payments/payment.service.js';

let seq = 0;

/** An order of `items` (sku -> quantity) at the given unit price, placed now. */
export function newOrder(items: Record<string, number>, fields: Partial<NewOrder> = {}): NewOrder {
  seq += 1;
  return {
    orderCode: `T-${process.pid}-${Date.now().toString(36)}-${seq}`,
    customerEmail: `buyer${seq % 7}@example.com`,
    customerName: 'Buyer',
    currency: 'EUR',
    placedAt: new Date(),
    items: Object.entries(items).map(([sku, quantity]) => ({ sku, quantity, unitPrice: 1000 })),
    ...fields,
  };
}

export async function placeOrders(ctx: AppContext, tenantId: string, orders: NewOrder[]): Promise<string[]> {
  const result = await ctx.db.transaction((tx) => createOrders(ctx, tx, tenantId, orders, { source: 'api' }));
  return result.created.map((c) => c.id);
}

/** Drives reserve -> pay -> finalize for these orders without workers, then waits for the webhooks. */
export async function runWorkflow(ctx: AppContext, tenantId: string, orderIds: string[]): Promise<void> {
  const outcome = await reserveBatch(ctx, tenantId, orderIds);
  await requestPayments(ctx, tenantId, outcome.reserved);
  await gatewayOf(ctx).drain();
}

export async function statusCounts(ctx: AppContext, tenantId: string): Promise<Record<string, number>> {
  const { rows } = await ctx.db.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM orders WHERE tenant_id = $1 GROUP BY status`,
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function stockOfProduct(ctx: AppContext, productId: string) {
  const { rows } = await ctx.db.query<{ onHand: number; reserved: number }>(
    `SELECT stock_on_hand AS "onHand", stock_reserved AS reserved FROM products WHERE id = $1`,
    [productId],
  );
  return rows[0]!;
}
