import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/backend.js';
import { cliEnvFor } from '../../../test/cli-env.js';
import { runCli } from '../../../test/cli.js';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders, runWorkflow } from '../../../test/workflow.js';
import { findOrder } from '../orders/order.repository.js';
import type { Tenant } from '../tenants/tenant.repository.js';

const GATEWAY = { GATEWAY_SUCCESS_RATE: '1', GATEWAY_REFUND_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' };

// The CLI is a second process on the same database: PGlite is one process's database.
describe.runIf(onPostgres)('ordersys refund', () => {
  let ctx: TestContext;
  let tenant: Tenant;
  let env: Record<string, string | undefined>;
  let cleanup = () => {};
  beforeAll(async () => {
    ctx = await createTestContext('cli', GATEWAY);
    tenant = await newTenant(ctx.db);
    ({ env, cleanup } = cliEnvFor(ctx, tenant.slug, GATEWAY));
  });
  afterAll(async () => {
    await ctx.dispose();
    cleanup();
  });

  it('refunds by order code once per key, and refuses more than is left', async () => {
    const product = await newProduct(ctx.db, tenant);
    const order = newOrder({ [product.sku]: 10 });
    const [id] = await placeOrders(ctx, tenant.id, [order]);
    await runWorkflow(ctx, tenant.id, [id!]);

    const first = await runCli(['refund', order.orderCode, '--amount', '3000', '--reason', 'damaged', '--key', 'K'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^refund \\S+ of order ${order.orderCode}: 3000 EUR minor units, succeeded\\n$`));
    expect(await findOrder(ctx.db, tenant.id, id!)).toMatchObject({ refundStatus: 'partial', refundedTotal: 3000 });

    const again = await runCli(['refund', id!, '--amount', '3000', '--reason', 'damaged', '--key', 'K'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already used for this refund: nothing changed/);
    expect(again.stdout).toBe(first.stdout);
    expect(await findOrder(ctx.db, tenant.id, id!)).toMatchObject({ refundedTotal: 3000 });

    const tooMuch = await runCli(['refund', order.orderCode, '--amount', '8000', '--reason', 'x', '--key', 'K3'], env);
    expect(tooMuch.code).toBe(1);
    expect(tooMuch.stderr).toMatch(/^ordersys: amount: 8000 is more than .* 7000 left/);
  });
});
