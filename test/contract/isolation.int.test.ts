import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../factories.js';
import { newOrder, placeOrders, runWorkflow } from '../workflow.js';
import { operations, type Operation } from './openapi-walk.js';

/**
 * Tenant isolation, table-driven over the live OpenAPI document: every route, called with a
 * second tenant's key against the first tenant's resources, must not return them. Every answer
 * must be a status the document declares for that operation.
 */
describe('API contract', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
  let ops: Operation[];
  const secrets: string[] = [];
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
    const a = await newTenant(t.ctx.db);
    const b = await newTenant(t.ctx.db);
    keyA = await newApiKey(t.ctx.db, a, 'admin');
    keyB = await newApiKey(t.ctx.db, b, 'admin');
    const product = await newProduct(t.ctx.db, a, { stock: 10, sku: `SECRET-SKU-${a.slug}` });
    const order = newOrder({ [product.sku]: 1 }, { customerEmail: `secret-${a.slug}@example.com` });
    const [orderId] = await placeOrders(t.ctx, a.id, [order]);
    await runWorkflow(t.ctx, a.id, [orderId!]);
    const { rows: keys } = await t.ctx.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE tenant_id = $1`, [a.id]);
    secrets.push(orderId!, order.orderCode, order.customerEmail, product.sku, keys[0]!.id);
    doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    // Path parameters point at tenant A's things; ids we do not have become A's order id.
    ops = operations(doc, (_path, param) => (param === 'sku' ? product.sku : param === 'id' && _path.startsWith('/keys') ? keys[0]!.id : orderId!));
  });
  afterAll(() => t.close());

  it('documents every route with its error responses', () => {
    expect(ops.length).toBeGreaterThan(10);
    for (const op of ops.filter((o) => o.needsAuth)) {
      expect(op.documented.has(401), `${op.method} ${op.path} documents 401`).toBe(true);
    }
  });

  it('matches docs/openapi.json (run `npm run openapi` after changing routes)', () => {
    const exported = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
    expect(Object.keys(exported.paths).sort()).toEqual(Object.keys(doc.paths).sort());
  });

  it("never shows one tenant's data to another, and answers only documented statuses", async () => {
    const problems: string[] = [];
    for (const op of ops) {
      const res = await t.app.inject({
        method: op.method as 'GET',
        url: op.url,
        headers: { ...bearer(keyB), 'idempotency-key': `walk-${op.method}-${op.path}` },
        ...(op.method !== 'GET' && op.method !== 'DELETE' && { payload: {} }),
      });
      // A 404 may echo the id the caller sent; anything else of tenant A's is a leak.
      const leaked = secrets.filter((s) => res.body.includes(s) && !op.url.includes(encodeURIComponent(s)));
      if (leaked.length) problems.push(`${op.method} ${op.path} leaked ${leaked.join(', ')} (${res.statusCode})`);
      if (res.statusCode === 403) problems.push(`${op.method} ${op.path} answered 403: another tenant's resource must look absent (404)`);
      if (!op.documented.has(res.statusCode) && ![429].includes(res.statusCode)) {
        problems.push(`${op.method} ${op.path} answered undocumented ${res.statusCode}: ${res.body.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("answers 404 for another tenant's order, and 200 for the owner", async () => {
    const orderId = secrets[0]!;
    expect((await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: bearer(keyB) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/orders/${orderId}`, headers: bearer(keyA) })).statusCode).toBe(200);
  });
});
