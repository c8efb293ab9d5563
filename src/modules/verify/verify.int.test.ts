import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { orderRouteHooks } from '../orders/order.routes.js';
import { cancelOrder } from '../orders/order.service.js';
import { reserveBatch } from '../orders/order.workflow.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { refundsOfOrder } from '../refunds/refund.repository.js';
import { refundCapturedLate, requestRefunds } from '../refunds/refund.service.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { REFUND_OWED_GRACE_MINUTES } from './invariants.js';
import { verifyInvariants } from './verify.service.js';

describe('verifyInvariants', () => {
  let ctx: TestContext;
  let tenant: Tenant;
  let orderIds: string[];
  let productId: string;

  beforeAll(async () => {
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '0.7', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(ctx.db);
    const products = await Promise.all([1, 2, 3].map(() => newProduct(ctx.db, tenant, { stock: 20 })));
    productId = products[0]!.id;
    orderIds = await placeOrders(ctx, tenant.id, Array.from({ length: 12 }, (_, i) => newOrder({ [products[i % 3]!.sku]: 1 + (i % 2), [products[(i + 1) % 3]!.sku]: 1 })));
    await runWorkflow(ctx, tenant.id, orderIds.slice(0, 10));
    // Two left reserved (enough stock for every order: they must be): not final, not a breach.
    expect((await reserveBatch(ctx, tenant.id, orderIds.slice(10))).reserved).toHaveLength(2);
  });
  afterAll(() => ctx.dispose());

  const breachesOf = async () => (await verifyInvariants(ctx, tenant.id)).breaches.map((b) => b.name);

  it('finds nothing wrong after a real run, and counts orders not yet final', async () => {
    const report = await verifyInvariants(ctx, tenant.id);
    expect(report.breaches).toEqual([]);
    expect(report.checked.length).toBeGreaterThanOrEqual(8);
  });

  /** Corrupts one thing behind the application's back, runs verify, and puts it back. */
  async function corrupted(sql: string, undo: string, params: unknown[]): Promise<string[]> {
    await ctx.db.query('ALTER TABLE order_events DISABLE TRIGGER order_events_no_update');
    await ctx.db.query(sql, params);
    try {
      return await breachesOf();
    } finally {
      await ctx.db.query(undo, params);
      await ctx.db.query('ALTER TABLE order_events ENABLE TRIGGER order_events_no_update');
    }
  }

  it('notices stock that changed without the ledger', async () => {
    const found = await corrupted(
      `UPDATE products SET stock_on_hand = stock_on_hand + 1 WHERE id = $1`,
      `UPDATE products SET stock_on_hand = stock_on_hand - 1 WHERE id = $1`,
      [productId],
    );
    expect(found).toContain('stock-ledger');
  });

  it('notices a total that is not the sum of its items', async () => {
    expect(await corrupted(`UPDATE orders SET total = total + 1 WHERE id = $1`, `UPDATE orders SET total = total - 1 WHERE id = $1`, [orderIds[0]])).toEqual(
      expect.arrayContaining(['order-total']),
    );
  });

  it('notices a status changed behind the audit trail', async () => {
    const { rows } = await ctx.db.query<{ status: string }>(`SELECT status FROM orders WHERE id = $1`, [orderIds[11]]);
    const found = await corrupted(`UPDATE orders SET status = 'cancelled' WHERE id = $1`, `UPDATE orders SET status = '${rows[0]!.status}' WHERE id = $1`, [orderIds[11]]);
    expect(found).toEqual(expect.arrayContaining(['status-matches-last-event', 'reservations-match-status']));
  });

  it('notices orders-per-status tallies that drifted from the orders', async () => {
    const found = await corrupted(
      `INSERT INTO order_status_tallies (tenant_id, status, n) VALUES ($1, 'completed', 1)`,
      `INSERT INTO order_status_tallies (tenant_id, status, n) VALUES ($1, 'completed', -1)`,
      [tenant.id],
    );
    expect(found).toEqual(['status-counts-tallied']);
  });

  it('notices reserved stock that no reservation explains', async () => {
    expect(
      await corrupted(
        // Both move, so the CHECK (reserved <= on hand) still holds whatever the run left.
        `UPDATE products SET stock_on_hand = stock_on_hand + 1, stock_reserved = stock_reserved + 1 WHERE id = $1`,
        `UPDATE products SET stock_on_hand = stock_on_hand - 1, stock_reserved = stock_reserved - 1 WHERE id = $1`,
        [productId],
      ),
    ).toContain('stock-reserved');
  });
  it('notices an order pointing at a customer outside its tenant (the insert-time check bypassed)', async () => {
    const { rows } = await ctx.db.query<{ customerId: string }>(`SELECT customer_id AS "customerId" FROM orders WHERE id = $1`, [orderIds[1]]);
    await ctx.db.query('ALTER TABLE orders DISABLE TRIGGER orders_fixed');
    try {
      await ctx.db.query(`UPDATE orders SET customer_id = gen_random_uuid() WHERE id = $1`, [orderIds[1]]);
      const report = await verifyInvariants(ctx, tenant.id);
      const breach = report.breaches.find((b) => b.name === 'references-within-tenant');
      expect(breach?.sample).toEqual([{ reference: 'orders.customer_id', row_id: orderIds[1] }]);
    } finally {
      await ctx.db.query(`UPDATE orders SET customer_id = $2 WHERE id = $1`, [orderIds[1], rows[0]!.customerId]);
      await ctx.db.query('ALTER TABLE orders ENABLE TRIGGER orders_fixed');
    }
    expect(await breachesOf()).toEqual([]);
  });
});

describe('verifyInvariants: cancelled orders still owed money', () => {
  let ctx: TestContext;
  let tenant: Tenant;
  beforeAll(async () => {
    // Every refund the simulated gateway is asked about is declined.
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_REFUND_SUCCESS_RATE: '0', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(ctx.db);
  });
  afterAll(() => ctx.dispose());

  const owed = async () => (await verifyInvariants(ctx, tenant.id)).breaches.find((b) => b.name === 'cancelled-orders-refunded')?.sample;

  /** Moves the order's whole audit trail back in time, as if nothing had happened to it since. */
  async function quietFor(orderId: string, minutes: number): Promise<void> {
    await ctx.db.query('ALTER TABLE order_events DISABLE TRIGGER order_events_no_update');
    try {
      await ctx.db.query(`UPDATE order_events SET created_at = created_at - make_interval(mins => $2) WHERE order_id = $1`, [orderId, minutes]);
    } finally {
      await ctx.db.query('ALTER TABLE order_events ENABLE TRIGGER order_events_no_update');
    }
  }

  it('names a paid order cancelled whose refund was declined and never booked again, once the sweep had time to', async () => {
    const product = await newProduct(ctx.db, tenant, { stock: 10 });
    const [id] = await placeOrders(ctx, tenant.id, [newOrder({ [product.sku]: 2 })]);
    await runWorkflow(ctx, tenant.id, [id!]);
    await cancelOrder(ctx, tenant.id, id!, 'changed mind', orderRouteHooks.refundInFull);
    const [refund] = await refundsOfOrder(ctx.db, id!);
    expect(refund).toMatchObject({ amount: 2000, status: 'pending' });
    expect(await owed()).toBeUndefined(); // pending: on its way back
    await requestRefunds(ctx, tenant.id, [refund!.id]);
    await gatewayOf(ctx).drain();
    expect((await refundsOfOrder(ctx.db, id!)).map((r) => r.status)).toEqual(['failed']);

    expect(await owed()).toBeUndefined(); // just declined: the sweep books it again within a minute
    await quietFor(id!, REFUND_OWED_GRACE_MINUTES + 1);
    expect(await owed()).toEqual([expect.objectContaining({ order_id: id, captured: expect.anything(), failed_refunds: 1 })]);

    expect(await refundCapturedLate(ctx)).toBe(1);
    expect(await owed()).toBeUndefined();
  });
});

describe('verifyInvariants: a tenant whose sums no number holds', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
  });
  afterAll(() => ctx.dispose());

  it('is named with the reason, and verify goes on to the other tenants', async () => {
    const huge = await newTenant(ctx.db);
    // Each order is within the per-order bound; two of them sum past 2^53 yen.
    const product = await newProduct(ctx.db, huge, { price: 999_999_999_999, currency: 'JPY', stock: 20_000 });
    const yen = () => newOrder({}, { currency: 'JPY', items: [{ sku: product.sku, quantity: 9_000, unitPrice: 999_999_999_999 }] });
    await runWorkflow(ctx, huge.id, await placeOrders(ctx, huge.id, [yen(), yen()]));
    const small = await newTenant(ctx.db);
    const cheap = await newProduct(ctx.db, small, { stock: 5 });
    await runWorkflow(ctx, small.id, await placeOrders(ctx, small.id, [newOrder({ [cheap.sku]: 1 })]));

    const report = await verifyInvariants(ctx, null);
    const ledger = report.breaches.filter((b) => b.name === 'kpi-ledger-matches-orders').flatMap((b) => b.sample);
    expect(ledger).toContainEqual(expect.objectContaining({ tenant: huge.id, error: expect.stringContaining('safe integer') }));
    // Before, the error ended verify for every tenant; now the others are checked and pass.
    expect(ledger.map((d) => d.tenant)).toEqual([huge.id]);
    expect(report.ordersNotFinal).toBe(0);
  });
});
