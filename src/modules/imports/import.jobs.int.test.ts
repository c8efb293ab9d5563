import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { findImport } from './import.repository.js';
import { materializeSlice } from './import.jobs.js';
import { materializeParallelism } from './import.materialize.js';

/*
 * imports_materialize does bounded work per job (so its expiry can be short): a slice runs chunks
 * until its budget is spent, then enqueues the next slice. Slices repeated or run side by side
 * (a killed worker's job retried beside its continuation) still handle each order code once.
 */

const HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency';
const line = (code: string, q = 1) => `${code},2024-05-01T10:00:00Z,ada@example.com,Ada,SKU-1,Mug,${q},2.50,EUR`;

let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
  tenant = await newTenant(t.ctx.db);
  await newProduct(t.ctx.db, tenant, { sku: 'SKU-1', price: 250, stock: 100_000 });
});
afterAll(() => t.close());

async function uploaded(prefix: string, orders: number): Promise<string> {
  const operator = bearer(await newApiKey(t.ctx.db, tenant, 'operator'));
  const body = [HEADER, ...Array.from({ length: orders }, (_, i) => line(`${prefix}-${String(i).padStart(4, '0')}`, 1 + (i % 2)))].join('\n');
  const res = await t.app.inject({ method: 'POST', url: '/imports', headers: { ...operator, 'content-type': 'text/csv' }, payload: body });
  expect(res.statusCode).toBe(202);
  return res.json().id as string;
}

async function slicesOf(importId: string): Promise<number[]> {
  const { rows } = await t.ctx.db.query<{ chunk: number | null }>(
    `SELECT (data->>'chunk')::int AS chunk FROM pgboss.job WHERE name = 'imports_materialize' AND data->>'importId' = $1 ORDER BY created_on`,
    [importId],
  );
  return rows.map((r) => r.chunk ?? 1);
}

describe('imports_materialize slices', () => {
  it('stops after its budget and enqueues the next slice, which carries on from the checkpoint', async () => {
    const id = await uploaded('S', 25);
    const slice = { tenantId: tenant.id, importId: id };
    // A spent budget still does one chunk per runner: every slice makes progress, and stops short
    // of the third chunk.
    expect(await materializeSlice(t.ctx, slice, { budgetMs: 0, chunkOrders: 10 })).toBe(false);
    const after = (await findImport(t.ctx.db, tenant.id, id))!;
    const runners = materializeParallelism(t.ctx);
    expect(after).toMatchObject({ ordersCreated: 10 * runners, chunksDone: runners, chunksTotal: 3, status: 'running' });
    expect(await slicesOf(id)).toEqual([1, runners + 1]);

    expect(await materializeSlice(t.ctx, { ...slice, chunk: runners + 1 }, { chunkOrders: 10 })).toBe(true);
    expect(await findImport(t.ctx.db, tenant.id, id)).toMatchObject({ status: 'completed', ordersCreated: 25, linesAccepted: 25, linesRejected: 0, chunksDone: 3 });
    expect(await slicesOf(id)).toEqual([1, runners + 1]);
  });

  it('creates every order once when slices of one import run twice and side by side', async () => {
    const id = await uploaded('D', 40);
    const slice = { tenantId: tenant.id, importId: id };
    await Promise.all([
      materializeSlice(t.ctx, slice, { budgetMs: 0, chunkOrders: 7 }),
      materializeSlice(t.ctx, slice, { budgetMs: 0, chunkOrders: 7 }),
      materializeSlice(t.ctx, { ...slice, chunk: 2 }, { chunkOrders: 7 }),
    ]);
    await materializeSlice(t.ctx, slice, { chunkOrders: 7 }); // a late retry of a finished import
    const { rows } = await t.ctx.db.query<{ orders: number; codes: number; events: number }>(
      `SELECT count(*)::int AS orders, count(DISTINCT order_code)::int AS codes,
              (SELECT count(*)::int FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.import_id = $1 AND e.type = 'order.created') AS events
       FROM orders WHERE import_id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ orders: 40, codes: 40, events: 40 });
    expect(await findImport(t.ctx.db, tenant.id, id)).toMatchObject({ status: 'completed', ordersCreated: 40, linesAccepted: 40 });
  });
});
