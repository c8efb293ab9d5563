import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { newOrder, placeOrders } from '../../../test/workflow.js';
import { reserveBatch } from '../orders/order.workflow.js';
import type { Tenant } from '../tenants/tenant.repository.js';

const INT4_MAX = 2_147_483_647;
const INT4_MIN = -2_147_483_648;

describe('inventory API', () => {
  let t: TestApp;
  let tenant: Tenant;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await newTenant(t.ctx.db);
    auth = bearer(await newApiKey(t.ctx.db, tenant, 'operator'));
  });
  afterAll(() => t?.close());

  const adjust = (sku: string, body: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: `/inventory/${sku}/adjust`, headers: auth, payload: { reason: 'count', ...body } });
  const ledger = async (sku: string) =>
    (
      await t.ctx.db.query<{ delta: number }>(
        `SELECT a.delta FROM inventory_adjustments a JOIN products p ON p.id = a.product_id WHERE p.tenant_id = $1 AND p.sku = $2 ORDER BY a.id`,
        [tenant.id, sku],
      )
    ).rows.map((r) => r.delta);

  describe('POST /inventory/:sku/adjust', () => {
    it.each([3_000_000_000, INT4_MAX + 1, INT4_MIN - 1, -3_000_000_000, 2 ** 53])('refuses delta %d, outside whole-unit stock, with a 400 naming body.delta', async (delta) => {
      const { sku } = await newProduct(t.ctx.db, tenant, { stock: 10 });
      const res = await adjust(sku, { delta, kind: 'correction' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/^body\.delta: /);
      expect(res.json().error.message).toContain(String(INT4_MAX));
      expect(await ledger(sku)).toEqual([10]);
    });

    it('accepts the largest restock that fits, then refuses one more unit with a 409 naming delta', async () => {
      const { sku } = await newProduct(t.ctx.db, tenant, { stock: 0 });
      expect((await adjust(sku, { delta: 2_147_483_000 })).statusCode).toBe(200);
      const over = await adjust(sku, { delta: 1000 });
      expect(over.statusCode).toBe(409);
      expect(over.json().error).toMatchObject({ code: 'CONFLICT', details: { onHand: 2_147_483_000, max: INT4_MAX } });
      expect(over.json().error.message).toBe(`delta: ${sku} has 2147483000 on hand; stock can hold at most ${INT4_MAX} units, so it can gain at most 647.`);
      const fits = await adjust(sku, { delta: 647 });
      expect(fits.statusCode).toBe(200);
      expect(fits.json()).toMatchObject({ onHand: INT4_MAX, available: INT4_MAX });
      expect((await adjust(sku, { delta: 1 })).statusCode).toBe(409);
      expect(await ledger(sku)).toEqual([2_147_483_000, 647]);
    });

    it('still refuses to drop on hand below what is reserved, or a zero delta', async () => {
      const { sku } = await newProduct(t.ctx.db, tenant, { stock: 5 });
      const [orderId] = await placeOrders(t.ctx, tenant.id, [newOrder({ [sku]: 3 })]);
      await reserveBatch(t.ctx, tenant.id, [orderId!]);
      const below = await adjust(sku, { delta: -3, kind: 'correction' });
      expect(below.statusCode).toBe(409);
      expect(below.json().error.message).toBe(`delta: ${sku} has 5 on hand of which 3 are reserved; it can lose at most 2.`);
      expect((await adjust(sku, { delta: INT4_MIN, kind: 'correction' })).statusCode).toBe(409);
      expect((await adjust(sku, { delta: 0 })).statusCode).toBe(400);
      expect((await adjust(sku, { delta: -2, kind: 'correction' })).json()).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
    });
  });

  it('documents delta in the int4 range the stock columns hold', () => {
    const doc = JSON.parse(readFileSync('docs/openapi.json', 'utf8')) as {
      paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>>;
    };
    const body = doc.paths['/inventory/{sku}/adjust']!.post!.requestBody.content['application/json']!.schema;
    expect(body.properties.delta).toMatchObject({ type: 'integer', minimum: INT4_MIN, maximum: INT4_MAX });
  });
});
