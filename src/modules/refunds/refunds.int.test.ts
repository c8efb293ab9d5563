import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { onPostgres } from '../../../test/backend.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow, stockOfProduct } from '../../../test/workflow.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import type { Product } from '../inventory/product.repository.js';
import { signPayload, SIGNATURE_HEADER } from '../payments/gateway/index.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { webhookSecret } from '../payments/webhook.js';
import { findOrder } from '../orders/order.repository.js';
import { reserveBatch } from '../orders/order.workflow.js';
import { openPayments } from '../payments/payment.repository.js';
import type { AppContext } from '../../context.js';
import { todayIn } from '../analytics/kpi.js';
import { Projector } from '../analytics/projector.js';
import { verifyKpis } from '../analytics/analytics.service.js';
import { refundBody, type RefundDto } from './refund.dto.js';
import { refundWithKey } from './refund.idempotency.js';
import { bookRefund, reaskStaleRefunds, refundCapturedLate, requestRefunds } from './refund.service.js';
import { REASK_AFTER_MS } from '../payments/payment.reask.js';

const DETERMINISTIC = { GATEWAY_SUCCESS_RATE: '1', GATEWAY_REFUND_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' };

interface World {
  t: TestApp;
  tenant: Tenant;
  product: Product;
  key: string;
}

async function world(overrides: Record<string, string> = DETERMINISTIC): Promise<World> {
  return tenantIn(await createTestApp(overrides));
}

/** A new tenant with one product and an operator key, in an existing app. */
async function tenantIn(t: TestApp): Promise<World> {
  const tenant = await newTenant(t.ctx.db);
  const product = await newProduct(t.ctx.db, tenant, { stock: 1000 });
  return { t, tenant, product, key: await newApiKey(t.ctx.db, tenant, 'operator') };
}

/** With Redis the KPIs are read from the projection: bring it up to date, as the worker would. */
async function catchUp(ctx: AppContext): Promise<void> {
  if (!ctx.redis) return;
  const projector = new Projector({ db: ctx.db, redis: ctx.redis, logger: ctx.logger, metrics: ctx.metrics });
  while ((await projector.runOnce()) > 0);
}

/**
 * The projector only reads events older than every running transaction in the cluster, and other
 * test files' transactions count: poll until it has caught up.
 */
const POLL = { timeout: 15_000, interval: 100 };

/** Today's revenue and the top customer's net spend, through the analytics API. */
async function kpis(w: World) {
  await catchUp(w.t.ctx);
  const today = await w.t.app.inject({ url: `/analytics/kpis?date=${todayIn('UTC')}`, headers: bearer(w.key) });
  const board = await w.t.app.inject({ url: '/analytics/leaderboard', headers: bearer(w.key) });
  return { revenue: today.json().currencies[0]?.revenue, netSpend: board.json().leaderboards[0]?.customers[0]?.netSpend };
}

async function expectNoDrift(w: World): Promise<void> {
  await catchUp(w.t.ctx);
  expect((await verifyKpis(w.t.ctx, w.tenant.id)).drift).toEqual([]);
}

/** A completed (paid) order of `quantity` units at 1000: total quantity * 1000. */
async function paidOrder(w: World, quantity = 10): Promise<string> {
  const [id] = await placeOrders(w.t.ctx, w.tenant.id, [newOrder({ [w.product.sku]: quantity })]);
  await runWorkflow(w.t.ctx, w.tenant.id, [id!]);
  expect((await findOrder(w.t.ctx.db, w.tenant.id, id!))?.status).toBe('completed');
  return id!;
}

function postRefund(w: World, orderId: string, body: object, idempotencyKey: string | undefined = `k-${Math.random()}`) {
  return w.t.app.inject({
    method: 'POST',
    url: `/orders/${orderId}/refunds`,
    headers: { ...bearer(w.key), ...(idempotencyKey && { 'idempotency-key': idempotencyKey }) },
    payload: body,
  });
}

async function orderState(w: World, id: string) {
  const order = await findOrder(w.t.ctx.db, w.tenant.id, id);
  return { refundStatus: order?.refundStatus, refundedTotal: order?.refundedTotal };
}

async function refundEvents(w: World, orderId: string) {
  const { rows } = await w.t.ctx.db.query<{ type: string; data: Record<string, unknown> }>(
    `SELECT type, data FROM order_events WHERE order_id = $1 AND type LIKE 'refund.%' ORDER BY id`,
    [orderId],
  );
  return rows;
}

describe('refunds', () => {
  let shared: World;
  let w: World;
  beforeAll(async () => {
    shared = w = await world();
  });
  afterAll(() => shared.t.close());

  it('refunds 3000 then 7000 of a 10000 order: partial, replay, refusal with what is left, full', async () => {
    const w = await tenantIn(shared.t); // its own tenant: the KPIs below count only this order
    const id = await paidOrder(w);
    await expect.poll(() => kpis(w), POLL).toEqual({ revenue: 10000, netSpend: 10000 });
    const first = await postRefund(w, id, { amount: 3000, reason: 'damaged box' }, 'K');
    expect(first.statusCode).toBe(201);
    const refund = first.json<RefundDto>();
    expect(refund).toMatchObject({ orderId: id, amount: 3000, currency: 'EUR', status: 'pending', reason: 'damaged box' });
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'partial', refundedTotal: 3000 });
    await expect.poll(() => kpis(w), POLL).toEqual({ revenue: 7000, netSpend: 7000 });

    const again = await postRefund(w, id, { amount: 3000, reason: 'damaged box' }, 'K');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(refund);
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'partial', refundedTotal: 3000 });
    expect((await refundEvents(w, id)).map((e) => e.type)).toEqual(['refund.succeeded']);
    await expect.poll(() => kpis(w), POLL).toEqual({ revenue: 7000, netSpend: 7000 });

    const tooMuch = await postRefund(w, id, { amount: 8000, reason: 'goodwill' });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error.message).toMatch(/7000 left/);
    expect(tooMuch.json().error.details).toMatchObject({ field: 'amount', left: 7000 });

    const rest = await postRefund(w, id, { amount: 7000, reason: 'goodwill' });
    expect(rest.statusCode).toBe(201);
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'full', refundedTotal: 10000 });
    await expect.poll(() => kpis(w), POLL).toEqual({ revenue: 0, netSpend: 0 });
    await expectNoDrift(w);
    const events = await refundEvents(w, id);
    expect(events.map((e) => e.data)).toEqual([
      { refundId: refund.id, amount: 3000, currency: 'EUR' },
      { refundId: rest.json<RefundDto>().id, amount: 7000, currency: 'EUR' },
    ]);

    const listed = await w.t.app.inject({ url: `/orders/${id}/refunds`, headers: bearer(w.key) });
    expect(listed.json().items.map((r: RefundDto) => [r.amount, r.status])).toEqual([
      [3000, 'succeeded'],
      [7000, 'succeeded'],
    ]);
    const one = await w.t.app.inject({ url: `/refunds/${refund.id}`, headers: bearer(w.key) });
    expect(one.json()).toMatchObject({ id: refund.id, status: 'succeeded' });
    const detail = await w.t.app.inject({ url: `/orders/${id}`, headers: bearer(w.key) });
    expect(detail.json().refunds).toHaveLength(2);
  });

  it('queues the gateway request with the booking: delayed as a fallback when the API asks at once, immediate on cancel', async () => {
    const queued = async (refundId: string) => {
      const { rows } = await w.t.ctx.db.query<{ delayed: boolean }>(
        `SELECT start_after > now() + interval '20 seconds' AS delayed FROM pgboss.job WHERE name = 'refunds_request' AND data->'refundIds' ? $1`,
        [refundId],
      );
      return rows.map((r) => r.delayed);
    };
    const viaApi = (await postRefund(w, await paidOrder(w), { amount: 100, reason: 'x' })).json<RefundDto>();
    expect(await queued(viaApi.id)).toEqual([true]);
    const cancel = await w.t.app.inject({ method: 'POST', url: `/orders/${await paidOrder(w)}/cancel`, headers: bearer(w.key), payload: {} });
    expect(await queued(cancel.json().refunds[0].id)).toEqual([false]);
    const refused = await postRefund(w, await paidOrder(w), { amount: 999_999, reason: 'x' });
    expect(refused.statusCode).toBe(409);
    const { rows } = await w.t.ctx.db.query(`SELECT 1 FROM pgboss.job WHERE name = 'refunds_request' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE data->'refundIds' ? r.id::text)`);
    expect(rows).toEqual([]); // a refused booking rolled back its job too
  });

  it('answers 422 for a key reused with another body and 400 without a key', async () => {
    const id = await paidOrder(w);
    expect((await postRefund(w, id, { amount: 100, reason: 'a' }, 'K2')).statusCode).toBe(201);
    const mismatch = await postRefund(w, id, { amount: 200, reason: 'a' }, 'K2');
    expect(mismatch.statusCode).toBe(422);
    const missing = await postRefund(w, id, { amount: 100, reason: 'a' }, '');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/Idempotency-Key/);
  });

  it('replays a request that spells the order id in upper case instead of answering 422', async () => {
    const id = await paidOrder(w);
    const upper = await postRefund(w, id.toUpperCase(), { amount: 100, reason: 'a' }, 'K-case');
    expect(upper.statusCode).toBe(201);
    expect(upper.json()).toMatchObject({ orderId: id, amount: 100 });
    for (const spelled of [id, id.toUpperCase()]) {
      const again = await postRefund(w, spelled, { amount: 100, reason: 'a' }, 'K-case');
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(upper.json());
    }
    const viaCli = await refundWithKey(w.t.ctx, w.tenant.id, id.toUpperCase(), refundBody.parse({ amount: 100, reason: 'a' }), 'K-case');
    expect(viaCli).toMatchObject({ status: 201, replayed: true });
    const { rows } = await w.t.ctx.db.query(`SELECT id FROM refunds WHERE order_id = $1`, [id]);
    expect(rows).toHaveLength(1);
  });

  it('shares keys with the CLI path: a key used there replays over HTTP, another body is a 422', async () => {
    const id = await paidOrder(w);
    const viaCli = await refundWithKey(w.t.ctx, w.tenant.id, id, refundBody.parse({ amount: 1500, reason: 'from the CLI' }), 'shared');
    expect(viaCli).toMatchObject({ status: 201, replayed: false, body: { amount: 1500 } });
    const viaHttp = await postRefund(w, id, { amount: 1500, reason: 'from the CLI' }, 'shared');
    expect(viaHttp.headers['idempotent-replayed']).toBe('true');
    expect(viaHttp.json()).toEqual(viaCli.body);
    expect((await postRefund(w, id, { amount: 1600, reason: 'from the CLI' }, 'shared')).statusCode).toBe(422);
    const { rows } = await w.t.ctx.db.query(`SELECT id FROM refunds WHERE order_id = $1`, [id]);
    expect(rows).toHaveLength(1);
  });

  it('refunds everything left when no amount is given', async () => {
    const id = await paidOrder(w, 4);
    expect((await postRefund(w, id, { amount: 1000, reason: 'a' })).statusCode).toBe(201);
    const rest = await postRefund(w, id, { reason: 'the rest' });
    expect(rest.json()).toMatchObject({ amount: 3000, status: 'pending' });
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'full', refundedTotal: 4000 });
  });

  it('refuses amount <= 0 (400) and orders that were never paid (409 with the status)', async () => {
    const id = await paidOrder(w);
    const zero = await postRefund(w, id, { amount: 0, reason: 'x' });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error.message).toMatch(/^amount: /);

    const short = await newProduct(w.t.ctx.db, w.tenant, { stock: 1 });
    const [failed, pending] = await placeOrders(w.t.ctx, w.tenant.id, [newOrder({ [short.sku]: 5 }), newOrder({ [w.product.sku]: 1 })]);
    await reserveBatch(w.t.ctx, w.tenant.id, [failed!]);
    const onFailed = await postRefund(w, failed!, { reason: 'x' });
    expect(onFailed.statusCode).toBe(409);
    expect(onFailed.json().error).toMatchObject({ code: 'CONFLICT', details: { status: 'failed' } });
    expect(onFailed.json().error.message).toMatch(/is failed; only paid orders/);
    expect((await postRefund(w, pending!, { reason: 'x' })).json().error.details).toMatchObject({ status: 'pending' });
  });

  it('restocks what was asked when the refund succeeds, with a ledger row', async () => {
    const id = await paidOrder(w, 5);
    const before = await stockOfProduct(w.t.ctx, w.product.id);
    const notInOrder = await postRefund(w, id, { amount: 1000, reason: 'x', restock: [{ sku: 'NOPE', quantity: 1 }] });
    expect(notInOrder.statusCode).toBe(400);
    expect(notInOrder.json().error.message).toBe('restock: SKU NOPE is not in this order.');
    const tooMany = await postRefund(w, id, { amount: 1000, reason: 'x', restock: [{ sku: w.product.sku, quantity: 6 }] });
    expect(tooMany.statusCode).toBe(400);

    const res = await postRefund(w, id, { amount: 2000, reason: 'returned', restock: [{ sku: w.product.sku, quantity: 2 }] });
    expect(res.statusCode).toBe(201);
    expect(await stockOfProduct(w.t.ctx, w.product.id)).toEqual(before); // nothing moves before the gateway says yes
    await gatewayOf(w.t.ctx).drain();
    expect(await stockOfProduct(w.t.ctx, w.product.id)).toEqual({ ...before, onHand: before.onHand + 2 });
    const { rows } = await w.t.ctx.db.query(`SELECT delta, kind, order_id AS "orderId" FROM inventory_adjustments WHERE order_id = $1`, [id]);
    expect(rows).toEqual([{ delta: 2, kind: 'refund_restock', orderId: id }]);
  });

  it('applies a refund webhook delivered twice once, and ignores a contradicting late answer', async () => {
    const id = await paidOrder(w);
    const refund = (await postRefund(w, id, { amount: 2500, reason: 'x' })).json<RefundDto>();
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'partial', refundedTotal: 2500 });

    const data = { refund_id: refund.id, payment_id: refund.paymentId, order_id: id, tenant_id: w.tenant.id, amount: 2500, currency: 'EUR' };
    const deliver = (event: object) => {
      const body = JSON.stringify(event);
      return w.t.app.inject({
        method: 'POST',
        url: '/webhooks/payments',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signPayload(webhookSecret(w.t.ctx.config.secret), body) },
        payload: body,
      });
    };
    const replayed = { id: 'evt_Replayed1', type: 'refund.succeeded', created: 1, data };
    expect((await deliver(replayed)).json()).toEqual({ received: true, applied: true }); // new id, but the refund is no longer pending
    expect((await deliver(replayed)).json()).toEqual({ received: true, applied: false });
    expect((await deliver({ id: 'evt_LateFail1', type: 'refund.failed', created: 1, data: { ...data, reason: 'declined' } })).statusCode).toBe(200);
    expect(await orderState(w, id)).toEqual({ refundStatus: 'partial', refundedTotal: 2500 });
    expect((await refundEvents(w, id)).map((e) => e.type)).toEqual(['refund.succeeded']);
  });

  it('cancelling a paid order refunds it in full and puts its units back', async () => {
    const id = await paidOrder(w, 3);
    const before = await stockOfProduct(w.t.ctx, w.product.id);
    const res = await w.t.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: bearer(w.key), payload: { reason: 'customer changed mind' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', refunds: [{ amount: 3000, status: 'pending', restock: [{ sku: w.product.sku, quantity: 3 }] }] });
    // No worker in this app: run what the queued refunds_request job runs.
    expect(await requestRefunds(w.t.ctx, w.tenant.id, [res.json().refunds[0].id])).toBe(1);
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'full', refundedTotal: 3000 });
    expect(await stockOfProduct(w.t.ctx, w.product.id)).toEqual({ ...before, onHand: before.onHand + 3 });
    expect(await requestRefunds(w.t.ctx, w.tenant.id, [res.json().refunds[0].id])).toBe(0); // answered: not asked again
  });

  it('refunds money captured after the order was cancelled, without restocking', async () => {
    const [id] = await placeOrders(w.t.ctx, w.tenant.id, [newOrder({ [w.product.sku]: 2 })]);
    await reserveBatch(w.t.ctx, w.tenant.id, [id!]);
    const [payment] = await w.t.ctx.db.transaction((tx) => openPayments(tx, w.tenant.id, [id!]));
    const cancel = await w.t.app.inject({ method: 'POST', url: `/orders/${id}/cancel`, headers: bearer(w.key), payload: {} });
    expect(cancel.json()).toMatchObject({ status: 'cancelled', refunds: [] });
    await gatewayOf(w.t.ctx).authorize(payment!);
    await gatewayOf(w.t.ctx).drain();
    const stock = await stockOfProduct(w.t.ctx, w.product.id);

    expect(await refundCapturedLate(w.t.ctx)).toBeGreaterThanOrEqual(1);
    expect(await refundCapturedLate(w.t.ctx)).toBe(0);
    const [refund] = (await w.t.app.inject({ url: `/orders/${id}/refunds`, headers: bearer(w.key) })).json().items as RefundDto[];
    expect(refund).toMatchObject({ amount: 2000, status: 'pending', restock: [] });
    await requestRefunds(w.t.ctx, w.tenant.id, [refund!.id]);
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id!)).toEqual({ refundStatus: 'full', refundedTotal: 2000 });
    expect(await stockOfProduct(w.t.ctx, w.product.id)).toEqual(stock);
  });

  it('hides another tenant\'s refunds', async () => {
    const id = await paidOrder(w, 1);
    const refund = (await postRefund(w, id, { reason: 'x' })).json<RefundDto>();
    const other = await newTenant(w.t.ctx.db);
    const otherKey = await newApiKey(w.t.ctx.db, other, 'operator');
    expect((await w.t.app.inject({ url: `/refunds/${refund.id}`, headers: bearer(otherKey) })).statusCode).toBe(404);
    expect((await w.t.app.inject({ url: `/orders/${id}/refunds`, headers: bearer(otherKey) })).statusCode).toBe(404);
    const post = await w.t.app.inject({ method: 'POST', url: `/orders/${id}/refunds`, headers: { ...bearer(otherKey), 'idempotency-key': 'x' }, payload: { reason: 'x' } });
    expect(post.statusCode).toBe(404);
  });

  it.runIf(onPostgres)('gives exactly one of two concurrent 6000 refunds of a 10000 order, whatever the timing', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await paidOrder(w);
      const results = await Promise.all([postRefund(w, id, { amount: 6000, reason: 'a' }), postRefund(w, id, { amount: 6000, reason: 'b' })]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
      expect(results.find((r) => r.statusCode === 409)!.json().error.message).toMatch(/4000 left/);
      await gatewayOf(w.t.ctx).drain();
      expect(await orderState(w, id)).toEqual({ refundStatus: 'partial', refundedTotal: 6000 });
    }
    await expectNoDrift(w);
  });

  it.runIf(onPostgres)('books the same key sent twice at once exactly once', async () => {
    const id = await paidOrder(w);
    const results = await Promise.all([postRefund(w, id, { amount: 1000, reason: 'a' }, 'same'), postRefund(w, id, { amount: 1000, reason: 'a' }, 'same')]);
    expect(results.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(results[0]!.json()).toEqual(results[1]!.json());
    const { rows } = await w.t.ctx.db.query(`SELECT id FROM refunds WHERE order_id = $1`, [id]);
    expect(rows).toHaveLength(1);
  });
});

describe('refunds the gateway declines', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ ...DETERMINISTIC, GATEWAY_REFUND_SUCCESS_RATE: '0' });
  });
  afterAll(() => w.t.close());

  it('fail, change no total, and free their amount again', async () => {
    const id = await paidOrder(w);
    const res = await postRefund(w, id, { reason: 'x', restock: [{ sku: w.product.sku, quantity: 1 }] });
    expect(res.json()).toMatchObject({ amount: 10000, status: 'pending' });
    const stock = await stockOfProduct(w.t.ctx, w.product.id);
    await gatewayOf(w.t.ctx).drain();
    const refund = (await w.t.app.inject({ url: `/refunds/${res.json<RefundDto>().id}`, headers: bearer(w.key) })).json<RefundDto>();
    expect(refund.status).toBe('failed');
    expect(refund.failureReason).toMatch(/^refund declined by the gateway/);
    expect(await orderState(w, id)).toEqual({ refundStatus: 'none', refundedTotal: 0 });
    expect(await stockOfProduct(w.t.ctx, w.product.id)).toEqual(stock);
    const events = await refundEvents(w, id);
    expect(events).toEqual([{ type: 'refund.failed', data: { refundId: refund.id, amount: 10000, currency: 'EUR', reason: refund.failureReason } }]);
    await expect.poll(() => kpis(w), POLL).toEqual({ revenue: 10000, netSpend: 10000 });
    await expectNoDrift(w);

    const retry = await postRefund(w, id, { reason: 'try again', restock: [{ sku: w.product.sku, quantity: 10 }] });
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toMatchObject({ amount: 10000, status: 'pending' });
  });
});

describe('refunds whose answer never came', () => {
  let w: World;
  beforeAll(async () => {
    w = await world();
  });
  afterAll(() => w.t.close());

  it('are asked about again once they are stale, and then settle once', async () => {
    const id = await paidOrder(w);
    // Booked, and never asked about: the worker that would have asked was killed.
    await w.t.ctx.db.transaction((tx) => bookRefund(w.t.ctx, tx, w.tenant.id, id, { amount: 3000, reason: 'lost answer' }));
    expect(await reaskStaleRefunds(w.t.ctx)).toBe(0); // not stale yet
    const later = new Date(Date.now() + REASK_AFTER_MS + 1_000);
    expect(await reaskStaleRefunds(w.t.ctx, later)).toBe(1);
    await gatewayOf(w.t.ctx).drain();
    expect(await orderState(w, id)).toEqual({ refundStatus: 'partial', refundedTotal: 3000 });
    expect((await refundEvents(w, id)).map((e) => e.type)).toEqual(['refund.succeeded']);
    expect(await reaskStaleRefunds(w.t.ctx, later)).toBe(0);
  });
});
