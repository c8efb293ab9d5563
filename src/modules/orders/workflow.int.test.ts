import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow, statusCounts, stockOfProduct } from '../../../test/workflow.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { requestPayments } from '../payments/payment.service.js';
import { findOrder } from './order.repository.js';
import { expireHolds, reserveBatch } from './order.workflow.js';

describe('order workflow', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
  });
  afterAll(() => ctx.dispose());

  it('reserves, takes payment and completes an order, committing its stock', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 10 });
    const [id] = await placeOrders(ctx, tenant.id, [newOrder({ [p.sku]: 3 })]);
    await runWorkflow(ctx, tenant.id, [id!]);
    const order = await findOrder(ctx.db, tenant.id, id!);
    expect(order?.status).toBe('completed');
    expect(await stockOfProduct(ctx, p.id)).toEqual({ onHand: 7, reserved: 0 });
    const { rows } = await ctx.db.query<{ type: string }>(`SELECT type FROM order_events WHERE order_id = $1 ORDER BY id`, [id]);
    expect(rows.map((r) => r.type)).toEqual(['order.created', 'order.reserved', 'order.completed']);
  });

  it('fails an order of two items when the second is short, reserving nothing', async () => {
    const tenant = await newTenant(ctx.db);
    const plenty = await newProduct(ctx.db, tenant, { stock: 10 });
    const short = await newProduct(ctx.db, tenant, { stock: 1 });
    const [id] = await placeOrders(ctx, tenant.id, [newOrder({ [plenty.sku]: 2, [short.sku]: 3 })]);
    const outcome = await reserveBatch(ctx, tenant.id, [id!]);
    expect(outcome.reserved).toEqual([]);
    const order = await findOrder(ctx.db, tenant.id, id!);
    expect(order?.status).toBe('failed');
    expect(order?.failureReason).toBe(`insufficient stock (${short.sku}: wanted 3, available 1)`);
    expect(await stockOfProduct(ctx, plenty.id)).toEqual({ onHand: 10, reserved: 0 });
    expect(await stockOfProduct(ctx, short.id)).toEqual({ onHand: 1, reserved: 0 });
  });

  it('serves a batch in placement order: later orders fail once stock runs out', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 5 });
    const t0 = Date.now();
    const ids = await placeOrders(
      ctx,
      tenant.id,
      [0, 1, 2].map((i) => newOrder({ [p.sku]: 2 }, { placedAt: new Date(t0 + i * 1000) })),
    );
    const outcome = await reserveBatch(ctx, tenant.id, ids);
    expect(outcome.reserved).toEqual(ids.slice(0, 2));
    expect(outcome.failed.map((f) => f.orderId)).toEqual([ids[2]]);
    expect(await stockOfProduct(ctx, p.id)).toEqual({ onHand: 5, reserved: 4 });
  });

  it('reserving the same batch twice changes nothing the second time', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 5 });
    const ids = await placeOrders(ctx, tenant.id, [newOrder({ [p.sku]: 1 })]);
    await reserveBatch(ctx, tenant.id, ids);
    const again = await reserveBatch(ctx, tenant.id, ids);
    expect(again).toEqual({ reserved: [], failed: [], skipped: [] });
    expect(await stockOfProduct(ctx, p.id)).toEqual({ onHand: 5, reserved: 1 });
  });

  it('releases expired holds and cancels their orders', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 5 });
    const ids = await placeOrders(ctx, tenant.id, [newOrder({ [p.sku]: 2 })]);
    await reserveBatch(ctx, tenant.id, ids);
    await expireHolds(ctx, new Date());
    expect((await findOrder(ctx.db, tenant.id, ids[0]!))?.status).toBe('reserved');
    // Other tests' reservations in this database expire too; at least ours must.
    expect(await expireHolds(ctx, new Date(Date.now() + 16 * 60_000))).toBeGreaterThanOrEqual(1);
    const order = await findOrder(ctx.db, tenant.id, ids[0]!);
    expect(order?.status).toBe('cancelled');
    expect(order?.failureReason).toBe('reservation hold expired before payment');
    expect(await stockOfProduct(ctx, p.id)).toEqual({ onHand: 5, reserved: 0 });
  });

  it('rolls back a declined payment: stock released, order payment_failed with the decline reason', async () => {
    const declining = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '0', GATEWAY_LATENCY_MS: '0' });
    try {
      const tenant = await newTenant(declining.db);
      const p = await newProduct(declining.db, tenant, { stock: 4 });
      const ids = await placeOrders(declining, tenant.id, [newOrder({ [p.sku]: 4 })]);
      await reserveBatch(declining, tenant.id, ids);
      expect(await stockOfProduct(declining, p.id)).toEqual({ onHand: 4, reserved: 4 });
      await requestPayments(declining, tenant.id, ids);
      await gatewayOf(declining).drain();
      const order = await findOrder(declining.db, tenant.id, ids[0]!);
      expect(order?.status).toBe('payment_failed');
      expect(order?.failureReason).toMatch(/^payment declined \(\w+\): /);
      expect(await stockOfProduct(declining, p.id)).toEqual({ onHand: 4, reserved: 0 });
    } finally {
      await declining.dispose();
    }
  });

  it('completes a free order without asking the gateway', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 5, price: 0 });
    const ids = await placeOrders(ctx, tenant.id, [{ ...newOrder({}), items: [{ sku: p.sku, quantity: 1, unitPrice: 0 }] }]);
    await reserveBatch(ctx, tenant.id, ids);
    expect(await requestPayments(ctx, tenant.id, ids)).toBe(0);
    expect(await statusCounts(ctx, tenant.id)).toEqual({ completed: 1 });
  });
});
