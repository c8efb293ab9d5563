import type { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { onPostgres } from '../../../test/backend.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow, stockOfProduct } from '../../../test/workflow.js';
import type { Product } from '../inventory/product.repository.js';
import { findOrder } from '../orders/order.repository.js';
import { signPayload, SIGNATURE_HEADER } from '../payments/gateway/index.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { webhookSecret } from '../payments/webhook.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { verifyInvariants } from '../verify/verify.service.js';
import { refundBody } from './refund.dto.js';
import { refundWithKey } from './refund.idempotency.js';
import { refundsOfOrder } from './refund.repository.js';
import { MAX_FAILED_REFUNDS } from './refund.rules.js';
import { refundCapturedLate, requestRefunds } from './refund.service.js';

// Every refund the simulated gateway is asked about is declined; successes are sent by hand (answer).
const DECLINING = { GATEWAY_SUCCESS_RATE: '1', GATEWAY_REFUND_SUCCESS_RATE: '0', GATEWAY_LATENCY_MS: '0-5' };

describe('the refund sweep, for cancelled orders still owed money', () => {
  let t: TestApp;
  let tenant: Tenant;
  let product: Product;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp(DECLINING);
    tenant = await newTenant(t.ctx.db);
    product = await newProduct(t.ctx.db, tenant, { stock: 1000 });
    key = await newApiKey(t.ctx.db, tenant, 'operator');
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...bearer(key), ...headers }, payload });

  async function paidOrder(quantity = 10): Promise<string> {
    const [id] = await placeOrders(t.ctx, tenant.id, [newOrder({ [product.sku]: quantity })]);
    await runWorkflow(t.ctx, tenant.id, [id!]);
    expect((await findOrder(t.ctx.db, tenant.id, id!))?.status).toBe('completed');
    return id!;
  }

  /** An operator's refund, booked without asking the gateway at once: the answer is up to the test. */
  const byHand = (orderId: string, body: object) => refundWithKey(t.ctx, tenant.id, orderId, refundBody.parse(body), `k-${Math.random()}`);

  const refunds = (orderId: string) => refundsOfOrder(t.ctx.db, orderId);
  const pendingOf = async (orderId: string) => (await refunds(orderId)).filter((r) => r.status === 'pending');

  /** What the queued refunds_request job does; this gateway declines every one. */
  async function declinePending(orderId: string): Promise<void> {
    await requestRefunds(t.ctx, tenant.id, (await pendingOf(orderId)).map((r) => r.id));
    await gatewayOf(t.ctx).drain();
  }

  /** A signed refund.succeeded, straight to the webhook route. */
  async function succeed(refund: { id: string; paymentId: string; orderId: string; amount: number; currency: string }) {
    const data = { refund_id: refund.id, payment_id: refund.paymentId, order_id: refund.orderId, tenant_id: tenant.id, amount: refund.amount, currency: refund.currency };
    const body = JSON.stringify({ id: `evt_${Math.random().toString(36).slice(2)}`, type: 'refund.succeeded', created: 1, data });
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/payments',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signPayload(webhookSecret(t.ctx.config.secret), body) },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
  }

  /** A paid order cancelled, whose cancellation refund the gateway declined: owed everything. */
  async function cancelledAndDeclined(): Promise<string> {
    const id = await paidOrder();
    expect((await post(`/orders/${id}/cancel`, { reason: 'changed mind' })).statusCode).toBe(200);
    await declinePending(id);
    expect(await findOrder(t.ctx.db, tenant.id, id)).toMatchObject({ status: 'cancelled', refundedTotal: 0 });
    return id;
  }

  it('books again, with the owed restock, what declined refunds left after a partial refund then a cancel', async () => {
    const beforeSale = await stockOfProduct(t.ctx, product.id);
    const id = await paidOrder();
    // Booked without asking the gateway at once (as the CLI does): still pending when the order is cancelled.
    expect((await byHand(id, { amount: 3000, reason: 'dent' })).status).toBe(201);
    const cancel = await post(`/orders/${id}/cancel`, { reason: 'changed mind' });
    expect(cancel.json().refunds).toMatchObject([{ amount: 3000 }, { amount: 7000, restock: [{ sku: product.sku, quantity: 10 }] }]);
    await declinePending(id); // both declined: 10000 captured, nothing refunded, nothing pending
    expect(await findOrder(t.ctx.db, tenant.id, id)).toMatchObject({ status: 'cancelled', refundedTotal: 0 });

    expect(await refundCapturedLate(t.ctx)).toBe(1);
    const [again] = await pendingOf(id);
    expect(again).toMatchObject({ amount: 10000, restock: [{ sku: product.sku, quantity: 10 }], reason: expect.stringMatching(/booked again after 2 declined/) });
    expect(await refundCapturedLate(t.ctx)).toBe(0); // pending counts as spent: nothing booked twice

    await succeed(again!);
    expect(await findOrder(t.ctx.db, tenant.id, id)).toMatchObject({ status: 'cancelled', refundStatus: 'full', refundedTotal: 10000 });
    expect(await stockOfProduct(t.ctx, product.id)).toEqual(beforeSale);
    expect(await refundCapturedLate(t.ctx)).toBe(0);
    expect((await verifyInvariants(t.ctx, tenant.id)).breaches).toEqual([]);
  });

  it(`gives up after ${MAX_FAILED_REFUNDS} declined refunds: one refund.abandoned event, a metric, and verify names the order`, async () => {
    const id = await cancelledAndDeclined(); // the first declined refund
    for (let attempt = 2; attempt <= MAX_FAILED_REFUNDS; attempt++) {
      expect(await refundCapturedLate(t.ctx)).toBe(1);
      await declinePending(id);
    }
    expect((await refunds(id)).map((r) => r.status)).toEqual(Array(MAX_FAILED_REFUNDS).fill('failed'));

    expect(await refundCapturedLate(t.ctx)).toBe(0);
    expect(await refundCapturedLate(t.ctx)).toBe(0);
    expect(await refunds(id)).toHaveLength(MAX_FAILED_REFUNDS);
    const { rows } = await t.ctx.db.query<{ data: unknown }>(`SELECT data FROM order_events WHERE order_id = $1 AND type = 'refund.abandoned'`, [id]);
    expect(rows).toEqual([{ data: { amount: 10000, currency: 'EUR', failedRefunds: MAX_FAILED_REFUNDS, reason: expect.any(String) } }]);
    const metric = t.ctx.metrics.registry.getSingleMetric('ordersys_refund_sweep_orders_total') as Counter | undefined;
    expect((await metric!.get()).values.find((v) => v.labels.outcome === 'abandoned')?.value).toBe(1);

    const breach = (await verifyInvariants(t.ctx, tenant.id)).breaches.find((b) => b.name === 'cancelled-orders-refunded');
    expect(breach?.sample).toEqual([expect.objectContaining({ order_id: id, failed_refunds: MAX_FAILED_REFUNDS })]);

    // An operator refunds it by hand: the order is settled and verify is clean again.
    const manual = await byHand(id, { reason: 'by hand' });
    expect(manual.body).toMatchObject({ amount: 10000, status: 'pending' });
    await succeed(manual.body);
    expect((await verifyInvariants(t.ctx, tenant.id)).breaches).toEqual([]);
  });

  it.runIf(onPostgres)('books one refund per order when two sweeps run at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await cancelledAndDeclined());
    const [a, b] = await Promise.all([refundCapturedLate(t.ctx), refundCapturedLate(t.ctx)]);
    expect(a + b).toBe(ids.length);
    for (const id of ids) expect(await pendingOf(id)).toHaveLength(1);
  });
});
