import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow, stockOfProduct } from '../../../test/workflow.js';
import { adjustStock, STOCK_MAX } from '../inventory/inventory.service.js';
import type { Product } from '../inventory/product.repository.js';
import { findOrder } from '../orders/order.repository.js';
import { reserveBatch } from '../orders/order.workflow.js';
import { signPayload, SIGNATURE_HEADER } from '../payments/gateway/index.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { openPayments } from '../payments/payment.repository.js';
import { webhookSecret } from '../payments/webhook.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { verifyInvariants } from '../verify/verify.service.js';
import type { RefundDto } from './refund.dto.js';

const DETERMINISTIC = { GATEWAY_SUCCESS_RATE: '1', GATEWAY_REFUND_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' };

describe('refund restock', () => {
  let t: TestApp;
  let tenant: Tenant;
  let key: string;
  beforeAll(async () => {
    t = await createTestApp(DETERMINISTIC);
    tenant = await newTenant(t.ctx.db);
    key = await newApiKey(t.ctx.db, tenant, 'operator');
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { ...bearer(key), ...headers }, payload });
  const postRefund = (orderId: string, body: object) => post(`/orders/${orderId}/refunds`, body, { 'idempotency-key': `k-${Math.random()}` });

  /** The gateway's signed answer, straight to the webhook route: its status code is what the gateway sees. */
  function answer(refund: RefundDto, type: 'refund.succeeded' | 'refund.failed') {
    const data = { refund_id: refund.id, payment_id: refund.paymentId, order_id: refund.orderId, tenant_id: tenant.id, amount: refund.amount, currency: refund.currency };
    const body = JSON.stringify({ id: `evt_${Math.random().toString(36).slice(2)}`, type, created: 1, data: type === 'refund.failed' ? { ...data, reason: 'declined' } : data });
    return t.app.inject({
      method: 'POST',
      url: '/webhooks/payments',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signPayload(webhookSecret(t.ctx.config.secret), body) },
      payload: body,
    });
  }

  async function paidOrder(product: Product, quantity: number): Promise<string> {
    const [id] = await placeOrders(t.ctx, tenant.id, [newOrder({ [product.sku]: quantity })]);
    await runWorkflow(t.ctx, tenant.id, [id!]);
    expect((await findOrder(t.ctx.db, tenant.id, id!))?.status).toBe('completed');
    return id!;
  }

  it('refuses to restock units of an order cancelled while reserved and paid late: they never left the shelf', async () => {
    const product = await newProduct(t.ctx.db, tenant, { stock: 50 });
    const [id] = await placeOrders(t.ctx, tenant.id, [newOrder({ [product.sku]: 3 })]);
    await reserveBatch(t.ctx, tenant.id, [id!]);
    const [payment] = await t.ctx.db.transaction((tx) => openPayments(tx, tenant.id, [id!]));
    expect((await post(`/orders/${id}/cancel`, {})).statusCode).toBe(200); // reservation released
    await gatewayOf(t.ctx).authorize(payment!);
    await gatewayOf(t.ctx).drain(); // payment.captured_late: the order stays cancelled, money taken
    const before = await stockOfProduct(t.ctx, product.id);
    expect(before).toEqual({ onHand: 50, reserved: 0 });

    const res = await postRefund(id!, { reason: 'returned', restock: [{ sku: product.sku, quantity: 3 }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_DATA', details: { field: 'restock', sku: product.sku, taken: 0 } });
    expect(res.json().error.message).toMatch(new RegExp(`^restock: ${product.sku} never left the shelf for this order`));

    const money = await postRefund(id!, { reason: 'paid after cancel' });
    expect(money.json()).toMatchObject({ amount: 3000, status: 'pending', restock: [] });
    await gatewayOf(t.ctx).drain();
    expect(await findOrder(t.ctx.db, tenant.id, id!)).toMatchObject({ refundStatus: 'full', refundedTotal: 3000 });
    expect(await stockOfProduct(t.ctx, product.id)).toEqual(before);
    expect((await verifyInvariants(t.ctx, tenant.id)).breaches).toEqual([]);
  });

  it('refuses (409, naming the SKU) a restock that would push stock past the int4 maximum', async () => {
    const product = await newProduct(t.ctx.db, tenant, { stock: STOCK_MAX - 1 });
    const id = await paidOrder(product, 5); // STOCK_MAX - 6 on hand
    await t.ctx.db.transaction((tx) => adjustStock(tx, tenant.id, product.sku, 4, 'restock', 'delivery')); // STOCK_MAX - 2
    const res = await postRefund(id, { amount: 1000, reason: 'returned', restock: [{ sku: product.sku, quantity: 2 }, { sku: product.sku, quantity: 1 }] });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'CONFLICT', details: { field: 'restock', sku: product.sku, onHand: STOCK_MAX - 2, max: STOCK_MAX } });
    expect(res.json().error.message).toBe(
      `restock: ${product.sku} has ${STOCK_MAX - 2} on hand and stock can hold at most ${STOCK_MAX} units, so this refund can put back at most 2 of the 3 asked.`,
    );
    expect((await postRefund(id, { amount: 1000, reason: 'returned', restock: [{ sku: product.sku, quantity: 2 }] })).statusCode).toBe(201);
    await gatewayOf(t.ctx).drain();
    expect(await stockOfProduct(t.ctx, product.id)).toEqual({ onHand: STOCK_MAX, reserved: 0 });
  });

  it('applies a refund success whose restock no longer fits: the units that fit go back, the rest is named on the event', async () => {
    const product = await newProduct(t.ctx.db, tenant, { stock: STOCK_MAX - 1 });
    const id = await paidOrder(product, 4); // STOCK_MAX - 5 on hand
    // Cancelling owes the 4 units: booked whole, since the money must go back whatever the shelf holds.
    const cancel = await post(`/orders/${id}/cancel`, { reason: 'changed mind' });
    expect(cancel.statusCode).toBe(200);
    const refund = cancel.json().refunds[0] as RefundDto;
    expect(refund).toMatchObject({ status: 'pending', restock: [{ sku: product.sku, quantity: 4 }] });
    // Stock rises before the gateway answers: only 2 of the 4 units fit now.
    await t.ctx.db.transaction((tx) => adjustStock(tx, tenant.id, product.sku, 3, 'restock', 'delivery'));

    const delivered = await answer(refund, 'refund.succeeded');
    expect(delivered.statusCode).toBe(200); // was a 500 'integer out of range' on every delivery
    expect(await findOrder(t.ctx.db, tenant.id, id)).toMatchObject({ status: 'cancelled', refundStatus: 'full', refundedTotal: 4000 });
    expect(await stockOfProduct(t.ctx, product.id)).toEqual({ onHand: STOCK_MAX, reserved: 0 });
    const { rows } = await t.ctx.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM order_events WHERE order_id = $1 AND type = 'refund.succeeded'`, [id]);
    expect(rows).toEqual([
      {
        data: {
          refundId: refund.id,
          amount: 4000,
          currency: 'EUR',
          restockSkipped: [{ sku: product.sku, quantity: 2, reason: `${product.sku} had ${STOCK_MAX - 2} on hand and stock holds at most ${STOCK_MAX} units` }],
        },
      },
    ]);
    const ledger = await t.ctx.db.query(`SELECT delta FROM inventory_adjustments WHERE order_id = $1 AND kind = 'refund_restock'`, [id]);
    expect(ledger.rows).toEqual([{ delta: 2 }]);
    expect((await verifyInvariants(t.ctx, tenant.id)).breaches).toEqual([]);
  });
});
