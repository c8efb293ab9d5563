import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { TEST_SECRET } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, statusCounts, stockOfProduct } from '../../../test/workflow.js';
import { reserveBatch } from '../orders/order.workflow.js';
import { signPayload } from './gateway/index.js';
import { openPayments } from './payment.repository.js';
import { webhookSecret } from './webhook.js';

describe('POST /webhooks/payments', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** A reserved order with a pending payment, and events about it signed like the gateway signs. */
  async function reservedOrder() {
    const tenant = await newTenant(t.ctx.db);
    const product = await newProduct(t.ctx.db, tenant, { stock: 5 });
    const [orderId] = await placeOrders(t.ctx, tenant.id, [newOrder({ [product.sku]: 2 })]);
    await reserveBatch(t.ctx, tenant.id, [orderId!]);
    const [payment] = await t.ctx.db.transaction((tx) => openPayments(tx, tenant.id, [orderId!]));
    const data = { payment_id: payment!.paymentId, order_id: orderId!, tenant_id: tenant.id, amount: payment!.amount, currency: 'EUR' };
    const event = (id: string, type: string, extra = {}) => JSON.stringify({ id, type, created: Math.floor(Date.now() / 1000), data: { ...data, ...extra } });
    return { tenant, product, orderId: orderId!, event };
  }

  const post = (body: string, signature?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/webhooks/payments',
      headers: { 'content-type': 'application/json', ...(signature !== undefined && { 'stripe-signature': signature }) },
      payload: body,
    });
  const sign = (body: string, at?: number) => signPayload(webhookSecret(TEST_SECRET), body, at);

  it('applies a success delivered 5 times once, and ignores a failure that arrives after it', async () => {
    const { tenant, product, orderId, event } = await reservedOrder();
    const success = event('evt_success1', 'payment.succeeded');
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(success, sign(success))));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.json().applied)).toHaveLength(1);
    const failure = event('evt_failure1', 'payment.failed', { decline_code: 'card_declined' });
    expect((await post(failure, sign(failure))).statusCode).toBe(200);

    expect(await statusCounts(t.ctx, tenant.id)).toEqual({ completed: 1 });
    expect(await stockOfProduct(t.ctx, product.id)).toEqual({ onHand: 3, reserved: 0 });
    const { rows } = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND type = 'order.completed'`, [orderId]);
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses forged, tampered, stale and unsigned deliveries with 400 and changes nothing', async () => {
    const { tenant, product, event } = await reservedOrder();
    const body = event('evt_forged1', 'payment.succeeded');
    const cases = [
      ['unsigned', body, undefined],
      ['forged (wrong secret)', body, signPayload('not-our-secret', body)],
      ['tampered (amount changed after signing)', body.replace(/"amount":\d+/, '"amount":1'), sign(body)],
      ['stale (signed 10 minutes ago)', body, sign(body, Math.floor(Date.now() / 1000) - 600)],
      ['malformed header', body, 'v1=abc'],
    ] as const;
    for (const [what, payload, signature] of cases) {
      const res = await post(payload, signature);
      expect(res.statusCode, what).toBe(400);
      expect(res.json().error.message, what).toMatch(/^Stripe-Signature: /);
    }
    expect(await statusCounts(t.ctx, tenant.id)).toEqual({ reserved: 1 });
    expect(await stockOfProduct(t.ctx, product.id)).toEqual({ onHand: 5, reserved: 2 });
    const { rows } = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM gateway_events WHERE event_id = 'evt_forged1'`);
    expect(rows[0]!.n).toBe(0);
  });

  it('refuses a correctly signed body that is not a gateway event', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const res = await post(body, sign(body));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^body: /);
  });

  it('rolls a declined payment back: stock released, order payment_failed', async () => {
    const { tenant, product, event } = await reservedOrder();
    const failure = event('evt_decline2', 'payment.failed', { decline_code: 'insufficient_funds' });
    expect((await post(failure, sign(failure))).json()).toEqual({ received: true, applied: true });
    expect(await statusCounts(t.ctx, tenant.id)).toEqual({ payment_failed: 1 });
    expect(await stockOfProduct(t.ctx, product.id)).toEqual({ onHand: 5, reserved: 0 });
  });
});
