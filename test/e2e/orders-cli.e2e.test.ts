import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../backend.js';
import { runCli } from '../cli.js';
import { createTestContext, TEST_SECRET, type TestContext } from '../context.js';
import { newProduct } from '../factories.js';
import { ensureTenant } from '../../src/modules/tenants/tenant.repository.js';
import { newOrder, placeOrders, runWorkflow } from '../workflow.js';

/** The operator CLI against a live database (PostgreSQL: PGlite allows one process). */
describe.runIf(onPostgres)('ordersys orders', () => {
  let ctx: TestContext;
  let env: Record<string, string | undefined>;
  let code: string;

  beforeAll(async () => {
    ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    const tenant = await ensureTenant(ctx.db, 'demo');
    const product = await newProduct(ctx.db, tenant, { stock: 5, price: 1999 });
    const order = newOrder({ [product.sku]: 2 });
    code = order.orderCode;
    const ids = await placeOrders(ctx, tenant.id, [order]);
    await runWorkflow(ctx, tenant.id, ids);
    env = { DATABASE_URL: (ctx.config.database as { url: string }).url, ORDERSYS_SECRET: TEST_SECRET, ORDERSYS_DATA_DIR: ctx.config.dataDir };
  });
  afterAll(() => ctx.dispose());

  it('shows an order by its code with items and timeline', async () => {
    const res = await runCli(['orders', 'show', code], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`${code}  completed`);
    expect(res.stdout).toMatch(/order\.completed -> completed/);
  });

  it('ships it, and refuses to ship it twice naming the status', async () => {
    const shipped = await runCli(['orders', 'ship', code], env);
    expect(shipped.code).toBe(0);
    expect(shipped.stdout).toContain(`${code}  shipped`);
    const again = await runCli(['orders', 'ship', code], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Cannot ship order ${code}: order is already shipped.`);
  });

  it('answers an unknown order by name', async () => {
    const res = await runCli(['orders', 'show', 'NOPE-1'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Order NOPE-1 does not exist.');
  });
});
