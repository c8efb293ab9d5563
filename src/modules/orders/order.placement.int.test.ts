import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { onPostgres } from '../../../test/backend.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { PlacementBatcher, placementBatcher, type Placement } from './order.placement.js';

describe(PlacementBatcher.name, () => {
  let t: TestApp;
  let tenant: Tenant;
  let auth: Record<string, string>;
  let sku: string;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await newTenant(t.ctx.db);
    auth = bearer(await newApiKey(t.ctx.db, tenant, 'operator'));
    sku = (await newProduct(t.ctx.db, tenant, { stock: 1000, price: 700 })).sku;
  });
  afterAll(() => t.close());

  const body = (orderCode: string, items: { sku: string; quantity: number }[] = [{ sku, quantity: 1 }]) => ({
    orderCode,
    customer: { email: `buyer-${seq++ % 3}@example.com`, name: 'Buyer' },
    items,
  });
  const post = (payload: object, key?: string) =>
    t.app.inject({ method: 'POST', url: '/orders', headers: { ...auth, ...(key && { 'idempotency-key': key }) }, payload });
  const placement = (orderCode: string): Placement => ({
    tenantId: tenant.id,
    input: { orderCode, customer: { email: 'group@example.com', name: 'Group' }, items: [{ sku, quantity: 2 }] },
  });

  /** orderIds of every reservation job of this tenant, one array per job. */
  const reservationJobs = async () =>
    (
      await t.ctx.db.query<{ orderIds: string[] }>(`SELECT data->'orderIds' AS "orderIds" FROM pgboss.job WHERE name = 'orders_reserve' AND data->>'tenantId' = $1`, [
        tenant.id,
      ])
    ).rows.map((r) => r.orderIds);

  it('answers 201 with exactly what GET /orders/:id reads back afterwards', async () => {
    const other = (await newProduct(t.ctx.db, tenant, { price: 125 })).sku;
    const created = await post(body('SAME-1', [{ sku, quantity: 2 }, { sku: other, quantity: 3 }, { sku, quantity: 1 }]));
    expect(created.statusCode).toBe(201);
    const read = await t.app.inject({ method: 'GET', url: `/orders/${created.json().id}`, headers: auth });
    expect(read.json()).toEqual(created.json());
    expect(created.json()).toMatchObject({ total: 3 * 700 + 3 * 125, itemsCount: 2, status: 'pending' });
  });

  it('prices an order from the catalog as it is now, not as this process last saw it', async () => {
    const product = await newProduct(t.ctx.db, tenant, { stock: 10, price: 500 });
    const line = [{ sku: product.sku, quantity: 2 }];
    expect((await post(body('PRICE-1', line))).json()).toMatchObject({ total: 1000 });
    // Changed behind the process's back (no ordersys path changes a price today).
    await t.ctx.db.query(`UPDATE products SET price = 650, name = 'Renamed' WHERE id = $1`, [product.id]);
    const again = await post(body('PRICE-2', line));
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ total: 1300, items: [{ sku: product.sku, name: 'Renamed', unitPrice: 650, lineTotal: 1300 }] });
  });

  it('finds a product created just after an order naming it was refused', async () => {
    const code = `LATE-${seq}`;
    const line = [{ sku: code, quantity: 1 }];
    expect((await post(body(`${code}-1`, line))).json().error.message).toBe(`items: unknown SKU ${code}; no such product in the catalog.`);
    await t.ctx.db.query(`INSERT INTO products (tenant_id, sku, name, price, currency, stock_on_hand) VALUES ($1, $2, 'Late', 300, 'EUR', 5)`, [tenant.id, code]);
    expect((await post(body(`${code}-2`, line))).json()).toMatchObject({ total: 300 });
  });

  it('gives each of many concurrent requests its own answer', async () => {
    const keyed = body('KEYED');
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => post(body(`MANY-${i}`))),
      post(body('TWICE')),
      post(body('TWICE')),
      post(body('NOPE', [{ sku: 'NO-SUCH-SKU', quantity: 1 }])),
      post(keyed, 'k-1'),
      post(keyed, 'k-1'),
      post(body('OTHER'), 'k-2'),
      post(body('REFUSED', [{ sku: 'NO-SUCH-SKU', quantity: 1 }]), 'k-3'),
    ]);
    const status = answers.map((a) => a.statusCode);
    expect(status.slice(0, 20)).toEqual(Array(20).fill(201));
    expect(status.slice(20, 22).sort()).toEqual([201, 409]);
    expect(answers[22]!.json().error.message).toBe('items: unknown SKU NO-SUCH-SKU; no such product in the catalog.');
    // The same key twice: one creates, the other replays it (whichever came first).
    expect(status.slice(23, 25)).toEqual([201, 201]);
    expect(answers[23]!.json().id).toBe(answers[24]!.json().id);
    expect(answers.slice(23, 25).filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(1);
    expect(status[25]).toBe(201);
    expect(status[26]).toBe(400);

    // A key is stored with its order, never with a refusal: k-3 is free for a corrected request.
    expect((await post(body('REFUSED'), 'k-3')).statusCode).toBe(201);
    expect((await post(body('SOMETHING-ELSE'), 'k-2')).json().error.code).toBe('IDEMPOTENCY_MISMATCH');
  });

  it('puts every created order in exactly one reservation job, and no order that was not created', async () => {
    const { rows } = await t.ctx.db.query<{ id: string; events: number }>(
      `SELECT o.id, (SELECT count(*)::int FROM order_events e WHERE e.order_id = o.id AND e.type = 'order.created') AS events
       FROM orders o WHERE o.tenant_id = $1`,
      [tenant.id],
    );
    expect(rows.every((r) => r.events === 1)).toBe(true);
    const jobbed = (await reservationJobs()).flat();
    expect(jobbed.sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('writes placements that arrive together in one transaction with one reservation job', async () => {
    const before = (await reservationJobs()).length;
    const placed = await Promise.all(Array.from({ length: 30 }, (_, i) => placementBatcher(t.ctx).place(placement(`GROUP-${i}`))));
    expect(placed.map((p) => p.status)).toEqual(Array(30).fill(201));
    const ids = placed.map((p) => (p.body as { id: string }).id);
    const jobs = await reservationJobs();
    expect(jobs.length).toBe(before + 1);
    const theirs = jobs.filter((j) => j.some((id) => ids.includes(id)));
    expect(theirs.map((j) => [...j].sort())).toEqual([ids.sort()]);
  });

  it('writes the placements of two tenants that arrive together in groups of one tenant each', async () => {
    const other = await newTenant(t.ctx.db);
    const otherSku = (await newProduct(t.ctx.db, other, { stock: 10 })).sku;
    const batcher = new PlacementBatcher(t.ctx, 1);
    const placed = await Promise.all([
      batcher.place(placement('MIXED-1')),
      batcher.place({ tenantId: other.id, input: { orderCode: 'MIXED-1', customer: { email: 'o@example.com', name: 'O' }, items: [{ sku: otherSku, quantity: 1 }] } }),
      batcher.place(placement('MIXED-2')),
    ]);
    expect(placed.map((p) => p.status)).toEqual([201, 201, 201]);
    const ids = placed.map((p) => (p.body as { id: string }).id);
    const jobs = await t.ctx.db.query<{ tenantId: string; orderIds: string[] }>(
      `SELECT data->>'tenantId' AS "tenantId", data->'orderIds' AS "orderIds" FROM pgboss.job
       WHERE name = 'orders_reserve' AND data->'orderIds' ?| $1::text[]`,
      [ids],
    );
    expect(jobs.rows.map((j) => ({ ...j, orderIds: [...j.orderIds].sort() })).sort((a, b) => a.orderIds.length - b.orderIds.length)).toEqual([
      { tenantId: other.id, orderIds: [ids[1]] },
      { tenantId: tenant.id, orderIds: [ids[0], ids[2]].sort() },
    ]);
  });

  it.runIf(onPostgres)('races new customers across processes: every order gets its one customer, none is doubled (PostgreSQL)', async () => {
    // Eight batchers stand for eight API processes, each writing three groups at once: the same
    // twelve new customers are inserted by many statements at the same moment.
    const batchers = Array.from({ length: 8 }, () => new PlacementBatcher(t.ctx, 3));
    const emails = Array.from({ length: 12 }, (_, i) => `race-${i}-${seq}@example.com`);
    const placed = await Promise.all(
      Array.from({ length: 240 }, (_, i) =>
        batchers[i % 8]!.place({
          tenantId: tenant.id,
          input: { orderCode: `RACE-${seq}-${i}`, customer: { email: emails[i % 12]!.toUpperCase(), name: `Racer ${i % 12}` }, items: [{ sku, quantity: 1 }] },
        }),
      ),
    );
    expect(placed.map((p) => p.status)).toEqual(Array(240).fill(201));
    const { rows } = await t.ctx.db.query<{ email: string; orders: number; customers: number }>(
      `SELECT c.email, count(o.id)::int AS orders, count(DISTINCT c.id)::int AS customers
       FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
       WHERE c.tenant_id = $1 AND c.email = ANY($2::text[]) GROUP BY c.email ORDER BY c.email`,
      [tenant.id, emails],
    );
    expect(rows).toEqual([...emails].sort().map((email) => ({ email, orders: 20, customers: 1 })));
    expect(placed.every((p, i) => (p.body as { customer: { email: string } }).customer.email === emails[i % 12])).toBe(true);
  });

  /** The database, with the first `failures` order writes failing as a lost connection would. */
  function failingWrites(failures: number) {
    const db = {
      ...t.ctx.db,
      query: ((text, params, opts) =>
        opts?.prepareAs === 'orders.create' && failures-- > 0 ? Promise.reject(new Error('connection lost')) : t.ctx.db.query(text, params, opts)) as typeof t.ctx.db.query,
    };
    return { db, failuresLeft: () => failures };
  }

  it('writes a group that failed again one placement at a time, so no request fails for another', async () => {
    const { db, failuresLeft } = failingWrites(1);
    const batcher = new PlacementBatcher({ ...t.ctx, db }, 1);
    const placed = await Promise.all(['RETRY-1', 'RETRY-2', 'RETRY-3'].map((code) => batcher.place(placement(code))));
    expect(placed.map((p) => p.status)).toEqual([201, 201, 201]);
    expect(failuresLeft()).toBe(-3);
  });

  it('fails a lone placement whose write fails with that error, and writes nothing of it', async () => {
    const { db } = failingWrites(Infinity);
    await expect(new PlacementBatcher({ ...t.ctx, db }, 1).place(placement('LONE'))).rejects.toThrow('connection lost');
    const { rows } = await t.ctx.db.query(`SELECT 1 FROM orders WHERE tenant_id = $1 AND order_code = 'LONE'`, [tenant.id]);
    expect(rows).toEqual([]);
  });
});
