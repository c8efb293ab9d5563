import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import type { Product } from '../inventory/product.repository.js';
import { findOrder } from '../orders/order.repository.js';
import { reserveBatch } from '../orders/order.workflow.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { openPayments } from '../payments/payment.repository.js';
import { refundCapturedLate, requestRefunds } from '../refunds/refund.service.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { verifyLedger } from './analytics.service.js';

/**
 * The ledger against the order and refund rows, after the flows that make "was this order sold?"
 * subtle: a stock failure, partial refunds, a paid order cancelled (full refund, stock kept
 * committed) and money captured after a cancellation (refunded, never sold).
 */
describe('verifyLedger', () => {
  let t: TestApp;
  let tenant: Tenant;
  let product: Product;
  let key: string;
  let paid: string;

  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...bearer(key), ...headers }, payload });

  async function refundsAnswered(ids: string[]) {
    await requestRefunds(t.ctx, tenant.id, ids);
    await gatewayOf(t.ctx).drain();
  }

  beforeAll(async () => {
    t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_REFUND_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(t.ctx.db);
    key = await newApiKey(t.ctx.db, tenant, 'operator');
    product = await newProduct(t.ctx.db, tenant, { stock: 12 });

    const ids = await placeOrders(t.ctx, tenant.id, [4, 3, 2, 20].map((q) => newOrder({ [product.sku]: q })));
    await runWorkflow(t.ctx, tenant.id, ids); // the 20-unit order fails for stock
    const [partly, cancelled, another] = ids as [string, string, string];
    paid = another;

    const r1 = await post(`/orders/${partly}/refunds`, { amount: 1000, reason: 'dent' }, { 'idempotency-key': 'a' });
    const r2 = await post(`/orders/${partly}/refunds`, { amount: 500, reason: 'late' }, { 'idempotency-key': 'b' });
    const cancel = await post(`/orders/${cancelled}/cancel`, { reason: 'changed mind' });
    expect([r1.statusCode, r2.statusCode, cancel.statusCode]).toEqual([201, 201, 200]);
    await refundsAnswered([r1.json().id, r2.json().id, cancel.json().refunds[0].id]);

    // Captured late: cancelled while reserved, then the payment succeeds; the sweep refunds it.
    const [late] = await placeOrders(t.ctx, tenant.id, [newOrder({ [product.sku]: 1 })]);
    await reserveBatch(t.ctx, tenant.id, [late!]);
    const [payment] = await t.ctx.db.transaction((tx) => openPayments(tx, tenant.id, [late!]));
    expect((await post(`/orders/${late}/cancel`, {})).statusCode).toBe(200);
    await gatewayOf(t.ctx).authorize(payment!);
    await gatewayOf(t.ctx).drain();
    expect(await refundCapturedLate(t.ctx)).toBe(1);
    const { rows } = await t.ctx.db.query<{ id: string }>(`SELECT id FROM refunds WHERE order_id = $1`, [late]);
    await refundsAnswered(rows.map((r) => r.id));
    expect((await findOrder(t.ctx.db, tenant.id, late!))?.refundStatus).toBe('full');
  });
  afterAll(() => t.close());

  it('finds every counted event matching its rows after real completions, failures, cancellations and refunds', async () => {
    const check = await verifyLedger(t.ctx, tenant.id);
    expect(check).toEqual({ orders: 5, refunds: 4, drift: [], ordersMismatched: 0 });
  });

  it('names the order and the currency totals when a completion or a refund is counted twice', async () => {
    const { orderCode } = (await findOrder(t.ctx.db, tenant.id, paid))!;
    await t.ctx.db.query(
      `INSERT INTO order_events (tenant_id, order_id, type, from_status, to_status, data)
       SELECT tenant_id, order_id, type, from_status, to_status, data FROM order_events
       WHERE order_id = $1 AND type IN ('order.completed', 'refund.succeeded')`,
      [paid],
    );
    const check = await verifyLedger(t.ctx, tenant.id);
    expect(check.ordersMismatched).toBe(1);
    expect(check.drift).toEqual([
      { what: 'EUR gross_revenue', ledger: expect.any(Number), rows: expect.any(Number) },
      { what: 'EUR orders_completed', ledger: 4, rows: 3 },
      { what: `order ${orderCode} EUR gross_revenue`, ledger: 4000, rows: 2000 },
      { what: `order ${orderCode} EUR orders_completed`, ledger: 2, rows: 1 },
    ]);
  });
});
