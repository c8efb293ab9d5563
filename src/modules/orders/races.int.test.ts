import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/backend.js';
import { holdOpen } from '../../../test/locks.js';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, statusCounts } from '../../../test/workflow.js';
import { gatewayOf } from '../payments/gateway.runtime.js';
import { requestPayments } from '../payments/payment.service.js';
import { reserveBatch } from './order.workflow.js';

/** Real races: PostgreSQL with a pool of 20 connections. PGlite has one connection and never contends. */
describe.runIf(onPostgres)('workflow under contention (PostgreSQL)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-10' });
  });
  afterAll(() => ctx.dispose());

  it('200 concurrent single-unit orders for 50 in stock: exactly 50 complete, 150 fail, stock ends 0/0', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 50 });
    const ids = await placeOrders(ctx, tenant.id, Array.from({ length: 200 }, () => newOrder({ [p.sku]: 1 })));
    const retries = async () => (await ctx.metrics.reservationRetries.get()).values[0]?.value ?? 0;
    const retriesBefore = await retries();
    // Every order reserved in its own transaction, all at once.
    const outcomes = await Promise.all(ids.map((id) => reserveBatch(ctx, tenant.id, [id])));
    const reserved = outcomes.flatMap((o) => o.reserved);
    expect(reserved).toHaveLength(50);
    // Most decided optimistically on stock another one booked first, and were decided again locked.
    expect(await retries()).toBeGreaterThan(retriesBefore);
    await Promise.all(reserved.map((id) => requestPayments(ctx, tenant.id, [id])));
    await gatewayOf(ctx).drain();
    expect(await statusCounts(ctx, tenant.id)).toEqual({ completed: 50, failed: 150 });
    const { rows } = await ctx.db.query(`SELECT stock_on_hand AS "onHand", stock_reserved AS reserved FROM products WHERE id = $1`, [p.id]);
    expect(rows[0]).toEqual({ onHand: 0, reserved: 0 });
  });

  it('an order another transaction holds when its batch runs is skipped, not lost: its own job reserves it later', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 10 });
    const [held, free] = await placeOrders(ctx, tenant.id, [newOrder({ [p.sku]: 1 }), newOrder({ [p.sku]: 1 })]);
    // As a refused POST /orders/:id/ship holds it: the order row locked, nothing changed.
    const holder = holdOpen(ctx.db, (tx) => tx.query(`SELECT 1 FROM orders WHERE id = $1 FOR NO KEY UPDATE`, [held]));
    await holder.held;
    const outcome = await reserveBatch(ctx, tenant.id, [held!, free!]);
    expect(outcome).toMatchObject({ reserved: [free], skipped: [held] });
    holder.commit();
    await holder.done;
    const { rows: jobs } = await ctx.db.query<{ data: { orderIds: string[]; skipped?: true } }>(
      `SELECT data FROM pgboss.job WHERE name = 'orders_reserve' AND data->>'tenantId' = $1 AND start_after > now()`, [tenant.id]);
    expect(jobs.map((j) => j.data)).toEqual([{ tenantId: tenant.id, orderIds: [held], skipped: true }]);
    expect(await reserveBatch(ctx, tenant.id, jobs[0]!.data.orderIds)).toMatchObject({ reserved: [held], skipped: [] });
  });

  it('1000 concurrent multi-item orders over 20 products, items in random order: no deadlock, no oversell, stock conserved', async () => {
    const declining = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '0.8', GATEWAY_LATENCY_MS: '0-20' });
    try {
      const tenant = await newTenant(declining.db);
      const products = await Promise.all(Array.from({ length: 20 }, () => newProduct(declining.db, tenant, { stock: 150 })));
      let seed = 42;
      const rand = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      const orders = Array.from({ length: 1000 }, () => {
        const picked = [...products].sort(() => rand(3) - 1).slice(0, 2 + rand(4)); // 2-5 products, shuffled
        return newOrder(Object.fromEntries(picked.map((p) => [p.sku, 1 + rand(3)])));
      });
      const ids: string[] = [];
      for (let i = 0; i < orders.length; i += 250) ids.push(...(await placeOrders(declining, tenant.id, orders.slice(i, i + 250))));
      // Reservations and payment webhooks all interleave: small random batches, all at once.
      const batches: string[][] = [];
      for (let i = 0; i < ids.length; ) {
        const n = 1 + rand(8);
        batches.push(ids.slice(i, i + n));
        i += n;
      }
      await Promise.all(
        batches.map(async (batch) => {
          const outcome = await reserveBatch(declining, tenant.id, batch);
          await requestPayments(declining, tenant.id, outcome.reserved);
        }),
      );
      await gatewayOf(declining).drain();

      const counts = await statusCounts(declining, tenant.id);
      // A deadlock inside a webhook would show up as a retried delivery: there must be none.
      expect(gatewayOf(declining).stats()).toMatchObject({ retried: 0, failed: 0 });
      expect((counts.completed ?? 0) + (counts.failed ?? 0) + (counts.payment_failed ?? 0)).toBe(1000);
      expect(counts.completed).toBeGreaterThan(0);
      expect(counts.failed).toBeGreaterThan(0); // demand exceeds stock: contention was real
      const { rows } = await declining.db.query<{ ok: boolean; sku: string }>(
        `SELECT p.sku,
           p.stock_reserved = 0
           AND 150 = p.stock_on_hand + COALESCE((SELECT sum(quantity) FROM stock_reservations r WHERE r.product_id = p.id AND r.status = 'committed'), 0)
           AND p.stock_on_hand >= 0 AS ok
         FROM products p WHERE p.tenant_id = $1`,
        [tenant.id],
      );
      expect(rows.filter((r) => !r.ok)).toEqual([]);
      // Sold units equal the items of completed orders, exactly.
      const sold = await declining.db.query<{ a: number; b: number }>(
        `SELECT (SELECT COALESCE(sum(quantity), 0)::int FROM stock_reservations r JOIN orders o ON o.id = r.order_id WHERE o.tenant_id = $1 AND r.status = 'committed') AS a,
                (SELECT COALESCE(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.tenant_id = $1 AND o.status = 'completed') AS b`,
        [tenant.id],
      );
      expect(sold.rows[0]!.a).toBe(sold.rows[0]!.b);
    } finally {
      await declining.dispose();
    }
  });
});
