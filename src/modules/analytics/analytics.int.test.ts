import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { onPostgres, testRedisUrl } from '../../../test/backend.js';
import { bearer, newApiKey, newCustomer, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import type { Customer } from '../customers/customer.repository.js';
import { appendEvents } from '../orders/order.events.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { getKpis, getRevenueSeries, REDIS_BEHIND_SECONDS } from './analytics.service.js';
import { todayIn } from './kpi.js';
import { catchUp } from './testing.js';

const GATEWAY = { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' };

/** A pending order of the given total; its counted events are written by the test at chosen instants. */
async function orderFor(t: TestApp, tenant: Tenant, sku: string, customer: Customer, total: number): Promise<string> {
  const [id] = await placeOrders(t.ctx, tenant.id, [
    newOrder({}, { customerEmail: customer.email, customerName: customer.name, items: [{ sku, quantity: 1, unitPrice: total }] }),
  ]);
  return id!;
}

async function eventAt(t: TestApp, tenantId: string, orderId: string, type: string, at: string, data: Record<string, unknown> = {}) {
  await t.ctx.db.query(`INSERT INTO order_events (tenant_id, order_id, type, data, created_at) VALUES ($1, $2, $3, $4, $5)`, [
    tenantId,
    orderId,
    type,
    JSON.stringify(data),
    at,
  ]);
}

describe('analytics API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(GATEWAY);
  });
  afterAll(() => t.close());

  async function get(key: string, url: string) {
    const res = await t.app.inject({ method: 'GET', url, headers: bearer(key) });
    return { status: res.statusCode, body: res.json() };
  }

  it.runIf(!onPostgres && !testRedisUrl)('embedded: remembers a range\'s sums until this process appends an event (it is the only writer)', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const product = await newProduct(t.ctx.db, tenant, { price: 10_000 });
    const c = await newCustomer(t.ctx.db, tenant);
    const first = await orderFor(t, tenant, product.sku, c, 10_000);
    await runWorkflow(t.ctx, tenant.id, [first]);
    const day = todayIn('UTC');
    const revenue = async () => (await get(key, `/analytics/kpis?date=${day}`)).body.currencies[0].revenue as number;
    expect(await revenue()).toBe(10_000);

    // A completion written behind the application's back is not seen: the sum is remembered ...
    const second = await orderFor(t, tenant, product.sku, c, 5_000);
    await eventAt(t, tenant.id, second, 'order.completed', new Date().toISOString());
    expect(await revenue()).toBe(10_000);
    // ... until the application appends an event of its own, which any real change does.
    await t.ctx.db.transaction((tx) => appendEvents(tx, tenant.id, [{ orderId: first, type: 'order.note' }]));
    expect(await revenue()).toBe(15_000);
  });

  it('counts a finalized order on its completion day and a refund net, in KPIs and on the leaderboard', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const product = await newProduct(t.ctx.db, tenant, { price: 10_000 });
    const c = await newCustomer(t.ctx.db, tenant, { name: 'Carla C' });
    const orderId = await orderFor(t, tenant, product.sku, c, 10_000);
    await runWorkflow(t.ctx, tenant.id, [orderId]);
    await catchUp(t.ctx, tenant.id);
    const day = todayIn('UTC');

    const kpis = await get(key, `/analytics/kpis?date=${day}`);
    expect(kpis.status).toBe(200);
    expect(kpis.body.source).toBe(t.ctx.redis ? 'redis' : 'postgres');
    expect(kpis.body.currencies).toEqual([
      expect.objectContaining({ currency: 'EUR', revenue: 10_000, grossRevenue: 10_000, ordersCompleted: 1, averageOrderValue: 10_000, refundsAmount: 0 }),
    ]);
    const board = await get(key, '/analytics/leaderboard');
    expect(board.body.leaderboards).toEqual([
      { currency: 'EUR', customers: [{ rank: 1, customerId: c.id, name: 'Carla C', email: c.email, netSpend: 10_000, orders: 1 }] },
    ]);

    // What the refunds module writes when the gateway confirms a refund.
    await t.ctx.db.transaction((tx) =>
      appendEvents(tx, tenant.id, [{ orderId, type: 'refund.succeeded', data: { refundId: 'r-1', amount: 3000, currency: 'EUR' } }]),
    );
    await catchUp(t.ctx, tenant.id);
    const after = await get(key, `/analytics/kpis?date=${day}`);
    expect(after.body.currencies[0]).toMatchObject({ revenue: 7000, grossRevenue: 10_000, averageOrderValue: 10_000, refundsCount: 1, refundsAmount: 3000 });
    const boardAfter = await get(key, '/analytics/leaderboard');
    expect(boardAfter.body.leaderboards[0].customers[0]).toMatchObject({ customerId: c.id, netSpend: 7000, orders: 1 });
  });

  it("puts events on the tenant's local day, across midnight and a DST change", async () => {
    const tenant = await newTenant(t.ctx.db);
    await t.ctx.db.query(`UPDATE tenants SET time_zone = 'America/New_York' WHERE id = $1`, [tenant.id]);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const product = await newProduct(t.ctx.db, tenant);
    const c = await newCustomer(t.ctx.db, tenant);
    const late = await orderFor(t, tenant, product.sku, c, 1000);
    const early = await orderFor(t, tenant, product.sku, c, 2000);
    const failed = await orderFor(t, tenant, product.sku, c, 4000);
    await eventAt(t, tenant.id, late, 'order.completed', '2024-03-10T04:30:00Z'); // 23:30 on the 9th, EST
    await eventAt(t, tenant.id, early, 'order.completed', '2024-03-10T05:30:00Z'); // 00:30 on the 10th, EST
    await eventAt(t, tenant.id, late, 'refund.succeeded', '2024-03-11T03:30:00Z', { refundId: 'r', amount: 500, currency: 'EUR' }); // 23:30 on the 10th, EDT
    await eventAt(t, tenant.id, failed, 'order.payment_failed', '2024-03-11T04:30:00Z'); // 00:30 on the 11th, EDT
    await catchUp(t.ctx, tenant.id);

    const series = await get(key, '/analytics/revenue?from=2024-03-08&to=2024-03-12');
    expect(series.status).toBe(200);
    expect(series.body.timeZone).toBe('America/New_York');
    const days = series.body.series[0].days as { date: string; grossRevenue: number; refundsAmount: number; ordersFailed: number; revenue: number }[];
    expect(days.map((d) => [d.date, d.grossRevenue, d.refundsAmount, d.ordersFailed])).toEqual([
      ['2024-03-08', 0, 0, 0],
      ['2024-03-09', 1000, 0, 0],
      ['2024-03-10', 2000, 500, 0],
      ['2024-03-11', 0, 0, 1],
      ['2024-03-12', 0, 0, 0],
    ]);

    const range = await get(key, '/analytics/kpis?from=2024-03-09&to=2024-03-10');
    expect(range.body.currencies[0]).toMatchObject({ grossRevenue: 3000, revenue: 2500, ordersCompleted: 2, averageOrderValue: 1500 });
    const quiet = await get(key, '/analytics/kpis?date=2024-03-12');
    expect(quiet.body.currencies).toEqual([expect.objectContaining({ currency: 'EUR', revenue: 0, ordersCompleted: 0, averageOrderValue: 0 })]);
  });

  /*
   * Where clocks go back from 01:00 to 00:00, a day's first hour comes before the midnight
   * `D::timestamp AT TIME ZONE z` names; where they jump from 00:00 to 01:00, that midnight never
   * happens. Either way an event counts on the date the tenant's wall clock showed, as the
   * projector cuts Redis days, and a read from the ledger must agree with Redis to the order.
   */
  const twiceOrNever = [
    {
      zone: 'Atlantic/Azores',
      change: 'midnight twice on 2026-10-25 (01:00 UTC+0 back to 00:00 UTC-1)',
      completions: [['2026-10-24T23:30:00Z', 1000], ['2026-10-25T00:30:00Z', 2000], ['2026-10-25T01:30:00Z', 4000]] as const,
      days: [['2026-10-24', 1, 1000], ['2026-10-25', 2, 6000], ['2026-10-26', 0, 0]] as const,
    },
    {
      zone: 'America/Havana',
      change: 'midnight twice on 2026-11-01 (01:00 UTC-4 back to 00:00 UTC-5)',
      completions: [['2026-11-01T03:30:00Z', 1000], ['2026-11-01T04:30:00Z', 2000], ['2026-11-01T05:30:00Z', 4000]] as const,
      days: [['2026-10-31', 1, 1000], ['2026-11-01', 2, 6000], ['2026-11-02', 0, 0]] as const,
    },
    {
      zone: 'America/Havana',
      change: 'no midnight on 2026-03-08 (00:00 UTC-5 forward to 01:00 UTC-4)',
      completions: [['2026-03-08T04:30:00Z', 1000], ['2026-03-08T05:30:00Z', 2000], ['2026-03-09T03:30:00Z', 4000]] as const,
      days: [['2026-03-07', 1, 1000], ['2026-03-08', 2, 6000], ['2026-03-09', 0, 0]] as const,
    },
  ];
  for (const { zone, change, completions, days } of twiceOrNever) {
    it(`counts an event on its local date in ${zone}, ${change}, from the ledger as from Redis`, async () => {
      const tenant = await newTenant(t.ctx.db);
      await t.ctx.db.query(`UPDATE tenants SET time_zone = $2 WHERE id = $1`, [tenant.id, zone]);
      const key = await newApiKey(t.ctx.db, tenant, 'viewer');
      const product = await newProduct(t.ctx.db, tenant);
      const c = await newCustomer(t.ctx.db, tenant);
      for (const [at, total] of completions) await eventAt(t, tenant.id, await orderFor(t, tenant, product.sku, c, total), 'order.completed', at);
      await catchUp(t.ctx, tenant.id);
      const [first, second, third] = days.map(([day]) => day);
      const ledger = { ...t.ctx, redis: undefined };

      for (const [day, orders, gross] of days) {
        const live = await get(key, `/analytics/kpis?date=${day}`);
        expect(live.body.source).toBe(t.ctx.redis ? 'redis' : 'postgres');
        expect([day, live.body.currencies[0].ordersCompleted, live.body.currencies[0].grossRevenue]).toEqual([day, orders, gross]);
        expect((await getKpis(ledger, tenant.id, { date: day })).currencies).toEqual(live.body.currencies);
      }
      // A range that starts on the changing day keeps its first hour; one that ends the day before leaves it out.
      const changing = await get(key, `/analytics/kpis?from=${second}&to=${third}`);
      expect(changing.body.currencies[0]).toMatchObject({ ordersCompleted: 2, grossRevenue: 6000 });
      expect((await getKpis(ledger, tenant.id, { from: second, to: third })).currencies).toEqual(changing.body.currencies);
      const before = await get(key, `/analytics/kpis?from=${first}&to=${first}`);
      expect(before.body.currencies[0]).toMatchObject({ ordersCompleted: 1, grossRevenue: 1000 });

      const series = await get(key, `/analytics/revenue?from=${first}&to=${third}`);
      const points = series.body.series[0].days as { date: string; ordersCompleted: number; grossRevenue: number }[];
      expect(points.map((d) => [d.date, d.ordersCompleted, d.grossRevenue])).toEqual(days);
      expect((await getRevenueSeries(ledger, tenant.id, { from: first, to: third })).series).toEqual(series.body.series);
      const tail = await get(key, `/analytics/revenue?from=${second}&to=${third}`);
      expect(tail.body.series[0].days.map((d: { grossRevenue: number }) => d.grossRevenue)).toEqual([6000, 0]);
    });
  }

  it("answers zeros in every currency of the tenant's catalog, once each, and none of another tenant's", async () => {
    const tenant = await newTenant(t.ctx.db);
    const other = await newTenant(t.ctx.db);
    for (const currency of ['GBP', 'EUR', 'JPY', 'EUR', 'GBP']) await newProduct(t.ctx.db, tenant, { currency });
    await newProduct(t.ctx.db, other, { currency: 'USD' });
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const quiet = await get(key, '/analytics/kpis?date=2024-01-02');
    expect(quiet.status).toBe(200);
    expect(quiet.body.currencies.map((c: { currency: string; revenue: number }) => [c.currency, c.revenue])).toEqual([
      ['EUR', 0],
      ['GBP', 0],
      ['JPY', 0],
    ]);
  });

  it('answers 400 naming the parameter for a bad date or range', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const bad = await get(key, '/analytics/kpis?date=2024-13-01');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/(^|\.)date:/);
    const notReal = await get(key, '/analytics/kpis?date=2023-02-29');
    expect(notReal.status).toBe(400);
    expect(notReal.body.error.message).toMatch(/(^|\.)date:/);
    const backwards = await get(key, '/analytics/revenue?from=2024-03-05&to=2024-03-01');
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.message).toMatch(/(^|\.)to:/);
    const half = await get(key, '/analytics/revenue?from=2024-03-05');
    expect(half.status).toBe(400);
    expect(half.body.error.message).toMatch(/(^|\.)to:/);
  });

  it('ranks customers by net spend, default 10, at most 100', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const product = await newProduct(t.ctx.db, tenant);
    const spends = [3000, 9000, 6000];
    const customers: Customer[] = [];
    for (const [i, spend] of spends.entries()) {
      const c = await newCustomer(t.ctx.db, tenant, { name: `Customer ${i}` });
      customers.push(c);
      await eventAt(t, tenant.id, await orderFor(t, tenant, product.sku, c, spend), 'order.completed', new Date().toISOString());
    }
    await catchUp(t.ctx, tenant.id);

    const all = await get(key, '/analytics/leaderboard');
    expect(all.body.limit).toBe(10);
    expect(all.body.leaderboards[0].customers.map((e: { netSpend: number; name: string }) => [e.name, e.netSpend])).toEqual([
      ['Customer 1', 9000],
      ['Customer 2', 6000],
      ['Customer 0', 3000],
    ]);
    const two = await get(key, '/analytics/leaderboard?limit=2');
    expect(two.body.leaderboards[0].customers).toHaveLength(2);
    expect((await get(key, '/analytics/leaderboard?limit=101')).status).toBe(400);
    expect((await get(key, '/analytics/leaderboard?limit=0')).status).toBe(400);
    expect((await get(key, '/analytics/leaderboard?currency=USD')).body.leaderboards).toEqual([]);
  });

  it.runIf(testRedisUrl)('answers from the ledger while the live projection is far behind it, and from Redis once caught up', async () => {
    const tenant = await newTenant(t.ctx.db);
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const product = await newProduct(t.ctx.db, tenant);
    const customer = await newCustomer(t.ctx.db, tenant);
    const now = Date.now();
    await eventAt(t, tenant.id, await orderFor(t, tenant, product.sku, customer, 1000), 'order.completed', new Date(now).toISOString());
    await catchUp(t.ctx, tenant.id);
    const stale = new Date(now - (REDIS_BEHIND_SECONDS + 30) * 1000).toISOString();
    // Both days, should the minute between the two events cross midnight.
    const range = `from=${stale.slice(0, 10)}&to=${new Date(now).toISOString().slice(0, 10)}`;
    const read = async () => {
      const kpis = (await get(key, `/analytics/kpis?${range}`)).body;
      const board = (await get(key, '/analytics/leaderboard')).body;
      return { source: kpis.source, revenue: kpis.currencies[0]?.revenue, boardSource: board.source, netSpend: board.leaderboards[0]?.customers[0]?.netSpend };
    };
    expect(await read()).toEqual({ source: 'redis', revenue: 1000, boardSource: 'redis', netSpend: 1000 });
    // A completion committed a minute ago that the projector never applied (it stopped).
    await eventAt(t, tenant.id, await orderFor(t, tenant, product.sku, customer, 500), 'order.completed', stale);
    expect(await read()).toEqual({ source: 'postgres', revenue: 1500, boardSource: 'postgres', netSpend: 1500 });
    await catchUp(t.ctx, tenant.id);
    expect(await read()).toEqual({ source: 'redis', revenue: 1500, boardSource: 'redis', netSpend: 1500 });
  });

  it('needs an API key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/analytics/kpis' })).statusCode).toBe(401);
  });
});
