import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, statusCounts, stockOfProduct } from '../../../test/workflow.js';
import { expireHolds, reserveBatch } from '../orders/order.workflow.js';
import { gatewayOf } from './gateway.runtime.js';
import { REASK_AFTER_MS, reaskStalePayments } from './payment.reask.js';
import { openPayments } from './payment.repository.js';

describe('payments whose answer never came', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('worker', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
  });
  afterAll(() => ctx.dispose());

  /** A reserved order whose payment was opened and never reached the gateway (a worker killed in between). */
  async function orphaned() {
    const tenant = await newTenant(ctx.db);
    const product = await newProduct(ctx.db, tenant, { stock: 5 });
    const [orderId] = await placeOrders(ctx, tenant.id, [newOrder({ [product.sku]: 2 })]);
    await reserveBatch(ctx, tenant.id, [orderId!]);
    await ctx.db.transaction((tx) => openPayments(tx, tenant.id, [orderId!]));
    return { tenant, product, orderId: orderId! };
  }
  const later = () => new Date(Date.now() + REASK_AFTER_MS + 1_000);

  it('are asked about again once they are stale, and their order completes instead of expiring', async () => {
    const { tenant, product } = await orphaned();
    expect(await reaskStalePayments(ctx)).toBe(0); // not stale yet: its answer may still be on its way
    expect(await reaskStalePayments(ctx, later())).toBe(1);
    await gatewayOf(ctx).drain();
    expect(await statusCounts(ctx, tenant.id)).toEqual({ completed: 1 });
    expect(await stockOfProduct(ctx, product.id)).toEqual({ onHand: 3, reserved: 0 });
    // Answered: no longer pending, so not asked about again.
    const { rows } = await ctx.db.query(`SELECT 1 FROM payments WHERE tenant_id = $1 AND status = 'pending'`, [tenant.id]);
    expect(rows).toEqual([]);
  });

  it('are not asked about once their order no longer waits for them (its hold expired)', async () => {
    const { tenant, orderId } = await orphaned();
    await expireHolds(ctx, new Date(Date.now() + 24 * 3_600_000));
    expect(await statusCounts(ctx, tenant.id)).toEqual({ cancelled: 1 });
    await reaskStalePayments(ctx, later());
    await gatewayOf(ctx).drain();
    const { rows } = await ctx.db.query<{ status: string }>(`SELECT status FROM payments WHERE order_id = $1`, [orderId]);
    expect(rows).toEqual([{ status: 'pending' }]);
  });
});
