import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { runWorkflow } from '../../../test/workflow.js';
import { reserveBatch } from './order.workflow.js';
import type { Tenant } from '../tenants/tenant.repository.js';

describe('orders API', () => {
  let t: TestApp;
  let tenant: Tenant;
  let auth: Record<string, string>;
  let sku: string;

  beforeAll(async () => {
    t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    tenant = await newTenant(t.ctx.db);
    auth = bearer(await newApiKey(t.ctx.db, tenant, 'operator'));
    sku = (await newProduct(t.ctx.db, tenant, { stock: 20, price: 1250 })).sku;
  });
  afterAll(() => t.close());

  const place = (orderCode: string, key?: string, quantity = 2) =>
    t.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...auth, ...(key && { 'idempotency-key': key }) },
      payload: { orderCode, customer: { email: 'Ada@Example.com', name: 'Ada' }, items: [{ sku, quantity }] },
    });

  it('places an order at catalog prices, pending, with its creation on the timeline', async () => {
    const res = await place('API-1');
    expect(res.statusCode).toBe(201);
    const order = res.json();
    expect(order).toMatchObject({ orderCode: 'API-1', status: 'pending', total: 2500, currency: 'EUR', refundStatus: 'none', refundedTotal: 0 });
    expect(order.customer.email).toBe('ada@example.com');
    expect(order.items).toEqual([expect.objectContaining({ sku, quantity: 2, unitPrice: 1250, lineTotal: 2500 })]);
    expect(order.events.map((e: { type: string }) => e.type)).toEqual(['order.created']);
  });

  it('replays the same Idempotency-Key with the same answer, and refuses it for another body', async () => {
    const first = await place('API-2', 'key-2');
    const again = await place('API-2', 'key-2');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    const other = await place('API-3', 'key-2');
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_MISMATCH');
  });

  it('refuses fields it does not know, naming them, rather than dropping them (a price, a currency)', async () => {
    const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, headers: auth, payload });
    const priced = await post('/orders', { orderCode: 'API-P', customer: { email: 'a@b.co', name: 'A' }, items: [{ sku, quantity: 1, unitPrice: 1 }] });
    expect(priced.statusCode).toBe(400);
    expect(priced.json().error.message).toBe('body.items.0: unknown field "unitPrice"; the fields here are sku, quantity');
    const currency = await post('/orders', { orderCode: 'API-P', currency: 'USD', customer: { email: 'a@b.co', name: 'A' }, items: [{ sku, quantity: 1 }] });
    expect(currency.json().error.message).toBe('body: unknown field "currency"; the fields here are orderCode, customer, placedAt, items');
    const refund = await post(`/orders/${crypto.randomUUID()}/refunds`, { amount: 100, reason: 'z', currency: 'JPY' });
    expect(refund.statusCode).toBe(400);
    expect(refund.json().error.message).toBe('body: unknown field "currency"; the fields here are amount, reason, restock');
    const { rows } = await t.ctx.db.query(`SELECT 1 FROM orders WHERE tenant_id = $1 AND order_code = 'API-P'`, [tenant.id]);
    expect(rows).toEqual([]);
  });

  it('refuses a duplicate order code, an unknown SKU and a bad quantity, naming the field', async () => {
    expect((await place('API-1')).json().error).toMatchObject({ code: 'CONFLICT', message: 'orderCode: order API-1 already exists.' });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/orders',
      headers: auth,
      payload: { orderCode: 'API-X', customer: { email: 'a@b.co', name: 'A' }, items: [{ sku: 'NOPE', quantity: 1 }] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toBe('items: unknown SKU NOPE; no such product in the catalog.');
    const zero = await place('API-Y', undefined, 0);
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error.message).toMatch(/^body\.items\.0\.quantity: /);
  });

  it('lists newest first with filters and a cursor that walks every order once', async () => {
    for (let i = 0; i < 5; i++) expect((await place(`PAGE-${i}`)).statusCode).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { statusCode: number; json(): { items: { orderCode: string }[]; nextCursor: string | null } } = await t.app.inject({
        method: 'GET',
        url: `/orders?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        headers: auth,
      });
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((o) => o.orderCode));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['API-1', 'API-2', 'PAGE-0', 'PAGE-4']));
    const byCustomer = await t.app.inject({ method: 'GET', url: '/orders?customer=ADA@example.com&status=pending', headers: auth });
    expect(byCustomer.json().items.length).toBe(seen.length);
    const pendingPage = await t.app.inject({ method: 'GET', url: `/orders?status=pending&limit=${seen.length + 5}`, headers: auth });
    expect(pendingPage.json()).toMatchObject({ items: expect.any(Array), nextCursor: null });
    expect(pendingPage.json().items.length).toBeGreaterThanOrEqual(seen.length);
    const none = await t.app.inject({ method: 'GET', url: '/orders?status=delivered', headers: auth });
    expect(none.json()).toEqual({ items: [], nextCursor: null });
    const bad = await t.app.inject({ method: 'GET', url: '/orders?status=lost', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^querystring\.status: /);
    const badCursor = await t.app.inject({ method: 'GET', url: '/orders?cursor=garbage', headers: auth });
    expect(badCursor.json().error.message).toMatch(/^cursor: /);
  });

  it('pages through orders that share one instant to the microsecond (one placement statement) without skipping any', async () => {
    const other = await newTenant(t.ctx.db);
    const key = bearer(await newApiKey(t.ctx.db, other, 'viewer'));
    const item = (await newProduct(t.ctx.db, other, { stock: 20 })).sku;
    const codes = ['SAME-1', 'SAME-2', 'SAME-3', 'SAME-4', 'SAME-5'];
    const op = bearer(await newApiKey(t.ctx.db, other, 'operator'));
    for (const orderCode of codes) {
      await t.app.inject({ method: 'POST', url: '/orders', headers: op, payload: { orderCode, customer: { email: 'b@example.com', name: 'B' }, items: [{ sku: item, quantity: 1 }] } });
    }
    // As a group placed by one statement: one now(), with microseconds a JavaScript Date cannot hold.
    await t.ctx.db.query(`UPDATE orders SET placed_at = '2026-03-04T05:06:07.123456Z' WHERE tenant_id = $1`, [other.id]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { json(): { items: { orderCode: string }[]; nextCursor: string | null } } = await t.app.inject({ method: 'GET', url: `/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: key });
      seen.push(...res.json().items.map((o) => o.orderCode));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(codes);
  });

  it('cancels a reserved order releasing its stock; illegal transitions answer 409 with the current status', async () => {
    const order = (await place('CANCEL-1')).json();
    const ship = await t.app.inject({ method: 'POST', url: `/orders/${order.id}/ship`, headers: auth });
    expect(ship.statusCode).toBe(409);
    expect(ship.json().error.details).toEqual({ status: 'pending' });
    expect(ship.json().error.message).toBe('Cannot ship order CANCEL-1: order is pending; it can be shipped only while completed.');
    const cancel = await t.app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: auth, payload: { reason: 'customer asked' } });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ status: 'cancelled', failureReason: 'customer asked' });
    const again = await t.app.inject({ method: 'POST', url: `/orders/${order.id}/cancel`, headers: auth });
    expect(again.statusCode).toBe(409);
  });

  it('ships and delivers a completed order', async () => {
    const order = (await place('SHIP-1')).json();
    await runWorkflow(t.ctx, tenant.id, [order.id]);
    for (const [action, status] of [['ship', 'shipped'], ['deliver', 'delivered']] as const) {
      const res = await t.app.inject({ method: 'POST', url: `/orders/${order.id}/${action}`, headers: auth });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe(status);
    }
    const detail = (await t.app.inject({ method: 'GET', url: `/orders/${order.id}`, headers: auth })).json();
    expect(detail.events.map((e: { type: string }) => e.type)).toEqual(['order.created', 'order.reserved', 'order.completed', 'order.shipped', 'order.delivered']);
    expect(detail.payments).toEqual([expect.objectContaining({ status: 'succeeded', amount: 2500 })]);
    expect(detail.reservations).toEqual([expect.objectContaining({ sku, quantity: 2, status: 'committed' })]);
  });

  it('adjusts stock with a reason, refusing to drop below what is reserved', async () => {
    const held = (await place('HOLD-1', undefined, 3)).json();
    await reserveBatch(t.ctx, tenant.id, [held.id]);
    const restock = await t.app.inject({ method: 'POST', url: `/inventory/${sku}/adjust`, headers: auth, payload: { delta: 5, reason: 'delivery from supplier' } });
    expect(restock.statusCode).toBe(200);
    const level = restock.json();
    expect(level.available).toBe(level.onHand - level.reserved);
    const tooMuch = await t.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/adjust`,
      headers: auth,
      payload: { delta: -level.onHand, kind: 'correction', reason: 'count' },
    });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error.message).toMatch(/are reserved; it can lose at most \d+\.$/);
    const { rows } = await t.ctx.db.query<{ kind: string; reason: string }>(
      `SELECT a.kind, a.reason FROM inventory_adjustments a JOIN products p ON p.id = a.product_id WHERE p.sku = $1 ORDER BY a.id`,
      [sku],
    );
    expect(rows).toEqual([{ kind: 'initial', reason: 'initial stock' }, { kind: 'restock', reason: 'delivery from supplier' }]);
  });
});
