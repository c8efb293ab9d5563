import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow, statusCounts } from '../../../test/workflow.js';
import { applyTransition } from './order.transitions.js';
import { reserveBatch } from './order.workflow.js';
import { countOrdersByStatus, foldStatusTallies } from './status-tallies.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '0.5', GATEWAY_LATENCY_MS: '0-5' });
});
afterAll(() => ctx.dispose());

const tallied = async (tenantId: string) => Object.fromEntries(await countOrdersByStatus(ctx.db, tenantId));
const tallyRows = async (tenantId: string) =>
  (await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_status_tallies WHERE tenant_id = $1`, [tenantId])).rows[0]!.n;

describe('orders per status', () => {
  it('follows every insert and status change of the tenant\'s orders, and folding keeps the counts', async () => {
    const tenant = await newTenant(ctx.db);
    const other = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 12 });
    const ids = await placeOrders(ctx, tenant.id, Array.from({ length: 10 }, () => newOrder({ [p.sku]: 2 })));
    await placeOrders(ctx, other.id, [newOrder({ [(await newProduct(ctx.db, other)).sku]: 1 })]);
    expect(await tallied(tenant.id)).toEqual({ pending: 10 });

    await runWorkflow(ctx, tenant.id, ids.slice(0, 8)); // 6 reserved (stock 12), then paid or declined
    await ctx.db.transaction((tx) => applyTransition(tx, tenant.id, 'cancel', [{ orderId: ids[9]! }]));
    const actual = await statusCounts(ctx, tenant.id);
    expect(actual).toMatchObject({ failed: 2, pending: 1, cancelled: 1 });
    expect(await tallied(tenant.id)).toEqual(actual);
    expect(await tallied(other.id)).toEqual({ pending: 1 });

    expect(await tallyRows(tenant.id)).toBeGreaterThan(Object.keys(actual).length);
    expect(await foldStatusTallies(ctx.db, 0)).toBeGreaterThan(0);
    expect(await tallyRows(tenant.id)).toBe(Object.keys(actual).length);
    expect(await tallied(tenant.id)).toEqual(actual);
    expect(await tallied(other.id)).toEqual({ pending: 1 });
    // An update that moves no status (a refund's amounts, a touch) adds no row.
    await ctx.db.query(`UPDATE orders SET updated_at = now() WHERE tenant_id = $1`, [tenant.id]);
    expect(await tallyRows(tenant.id)).toBe(Object.keys(actual).length);
  });

  it.runIf(process.env.DATABASE_URL)('stays exact while transitions and folds race on several connections', async () => {
    const tenant = await newTenant(ctx.db);
    const p = await newProduct(ctx.db, tenant, { stock: 400 });
    const writers = Array.from({ length: 4 }, async () => {
      for (let round = 0; round < 5; round += 1) {
        const ids = await placeOrders(ctx, tenant.id, Array.from({ length: 12 }, () => newOrder({ [p.sku]: 3 })));
        await reserveBatch(ctx, tenant.id, ids);
      }
    });
    let folding = true;
    const folder = (async () => {
      let folds = 0;
      while (folding || folds === 0) {
        await foldStatusTallies(ctx.db, 0);
        folds += 1;
      }
      return folds;
    })();
    await Promise.all(writers);
    folding = false;
    expect(await folder).toBeGreaterThan(0);
    const actual = await statusCounts(ctx, tenant.id);
    expect(actual).toEqual({ reserved: 133, failed: 107 });
    expect(await tallied(tenant.id)).toEqual(actual);
  });
});
