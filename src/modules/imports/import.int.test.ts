import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newProduct, newTenant } from '../../../test/factories.js';
import { holdOpen, someoneWaitsForALock } from '../../../test/locks.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { generateLines } from './generate-csv.js';
import { resolveImportOptions, type RawImportOptions } from './import.options.js';
import { materializeChunk, materializeImport } from './import.materialize.js';
import { findImport, pageImportErrors, rejectionsByKind, type ImportRow } from './import.repository.js';
import { importFile, importUpload, type FileImportOptions } from './import.service.js';
import { loadNorthwindLookups } from './presets/northwind.js';

/*
 * The database half of imports, through importFile (what `ordersys import` runs): every line
 * accounted for, orders grouped wherever their lines are, nothing created twice, and a run cut
 * short finishing on the next try.
 */

const HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency';
import { DATASETS } from '../../../test/datasets.js';

let ctx: TestContext;
let dir: string;
let seq = 0;

beforeAll(async () => {
  ctx = await createTestContext('cli', { GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-import-'));
});
afterAll(async () => {
  await ctx.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function fileOf(text: string | Buffer): string {
  const file = path.join(dir, `f${++seq}.csv`);
  writeFileSync(file, text);
  return file;
}

async function run(tenant: Tenant, file: string, raw: RawImportOptions = {}, more: Partial<FileImportOptions> = {}): Promise<ImportRow> {
  const options = resolveImportOptions(raw);
  return importFile(ctx, { tenantId: tenant.id, path: file, options, mapping: { preset: options.preset, map: options.map }, ...more });
}

async function errorsOf(imp: ImportRow) {
  return (await pageImportErrors(ctx.db, imp.id, { line: 0, id: 0 }, 100_000)).map((e) => ({ line: e.line, field: e.field, reason: e.reason, raw: e.raw }));
}

async function ordersOf(tenant: Tenant) {
  const { rows } = await ctx.db.query<{ orderCode: string; total: number; itemsCount: number; email: string; status: string; placedAt: Date; items: { sku: string; quantity: number; unitPrice: number; name: string }[] }>(
    `SELECT o.order_code AS "orderCode", o.total, o.items_count AS "itemsCount", c.email, o.status, o.placed_at AS "placedAt",
            (SELECT json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'unitPrice', i.unit_price, 'name', i.name) ORDER BY i.sku)
             FROM order_items i WHERE i.order_id = o.id) AS items
     FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.tenant_id = $1 ORDER BY o.order_code`,
    [tenant.id],
  );
  return rows;
}

const accounted = (imp: ImportRow) => expect(imp.linesAccepted + imp.linesRejected).toBe(imp.linesRead);

async function catalog(tenant: Tenant, skus: Record<string, number>) {
  for (const [sku, price] of Object.entries(skus)) await newProduct(ctx.db, tenant, { sku, price, stock: 1000 });
}

describe('importFile', () => {
  it('imports a native file with a BOM, CRLF, quoted commas, quotes and newlines into orders and items', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250, 'SKU-2': 100 });
    const text =
      '\uFEFF' +
      [
        'Currency,SKU,Quantity,Unit_Price,Order_Code,Order_Date,Customer_Email,Customer_Name,Product_Name,Extra',
        'eur,SKU-1,2,2.50,A-1,2024-05-01T10:00:00Z,Ada@Example.com,"Lovelace, Ada","Mug ""big""",x',
        'EUR,SKU-2,1,1.00,A-1,2024-05-01T10:00:00Z,ada@example.com,"Lovelace, Ada","Lamp\r\nwith a line break",y',
        'EUR,SKU-2,3,1.00,B-1,2024-05-02T11:30:00Z,bob@example.com,Bob,Lamp,z',
      ].join('\r\n') +
      '\r\n';
    const imp = await run(tenant, fileOf(text));
    expect(imp).toMatchObject({ status: 'completed', phase: 'completed', linesRead: 3, linesAccepted: 3, linesRejected: 0, ordersCreated: 2, ordersExisting: 0, ordersRejected: 0 });
    const orders = await ordersOf(tenant);
    expect(orders).toMatchObject([
      { orderCode: 'A-1', email: 'ada@example.com', total: 600, itemsCount: 2, items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 250, name: 'Mug "big"' }, { sku: 'SKU-2', quantity: 1, name: 'Lamp\r\nwith a line break' }] },
      { orderCode: 'B-1', email: 'bob@example.com', total: 300, itemsCount: 1 },
    ]);
    expect(orders[0]!.placedAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    const { rows: customer } = await ctx.db.query<{ name: string }>(`SELECT name FROM customers WHERE tenant_id = $1 AND email = 'ada@example.com'`, [tenant.id]);
    expect(customer[0]!.name).toBe('Lovelace, Ada');
    // Staging is emptied; the end is in the audit trail; every new order is in the workflow.
    const { rows: staged } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_lines WHERE import_id = $1`, [imp.id]);
    expect(staged[0]!.n).toBe(0);
    const { rows: events } = await ctx.db.query<{ type: string; data: { importId: string; counts: Record<string, number> } }>(
      `SELECT type, data FROM order_events WHERE tenant_id = $1 AND order_id IS NULL`, [tenant.id]);
    expect(events).toEqual([{ type: 'import.finished', data: { importId: imp.id, counts: expect.objectContaining({ linesRead: 3, ordersCreated: 2 }) } }]);
    const { rows: created } = await ctx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.import_id = $1 AND e.type = 'order.created'`, [imp.id]);
    expect(created[0]!.n).toBe(2);
  });

  it('groups the lines of one order wherever they are, merging one SKU at one price', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250, 'SKU-2': 100 });
    const line = (code: string, sku: string, q: number, price: string, name = 'P') => `${code},2024-05-01T10:00:00Z,c@example.com,C,${sku},${name},${q},${price},EUR`;
    const text = [HEADER, line('G-1', 'SKU-1', 1, '2.50', 'Mug (first line)'), line('G-2', 'SKU-2', 1, '1.00'), line('G-3', 'SKU-1', 1, '2.50'),
      line('G-1', 'SKU-2', 2, '1.00'), line('G-2', 'SKU-2', 4, '1.00'), line('G-1', 'SKU-1', 3, '2.50', 'A mug (a later line)'), line('G-3', 'SKU-1', 1, '2.49')].join('\n');
    const imp = await run(tenant, fileOf(text), {}, { materialize: { chunkOrders: 2 } });
    expect(imp).toMatchObject({ linesRead: 7, linesAccepted: 5, linesRejected: 2, ordersCreated: 2, ordersRejected: 1 });
    expect(await ordersOf(tenant)).toMatchObject([
      // Merged lines keep the first line's product name.
      { orderCode: 'G-1', total: 4 * 250 + 2 * 100, items: [{ sku: 'SKU-1', quantity: 4, name: 'Mug (first line)' }, { sku: 'SKU-2', quantity: 2 }] },
      { orderCode: 'G-2', total: 500, items: [{ sku: 'SKU-2', quantity: 5 }] },
    ]);
    const reason = 'order G-3 rejected: sku SKU-1 has two prices (2.50 on line 4, 2.49 on line 8)';
    expect(await errorsOf(imp)).toEqual([
      { line: 4, field: 'unit_price', reason, raw: 'G-3,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,1,2.50,EUR' },
      { line: 8, field: 'unit_price', reason, raw: 'G-3,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,1,2.49,EUR' },
    ]);
  });

  it('rejects the whole order of a bad line and names every bad line', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const ok = (code: string) => `${code},2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,1,2.50,EUR`;
    const text = [HEADER, ok('B-1'), 'B-1,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,0,2.50,EUR', ok('OK-1'), ok('B-1'),
      'B-1,2024-02-30T10:00:00Z,c@example.com,C,SKU-1,P,1,2.50,EUR', 'B-2,2024-05-01T10:00:00Z,d@example.com,D,SKU-1,P,1,2.50,EUR',
      'B-2,2024-05-01T10:00:00Z,e@example.com,E,SKU-1,P,1,2.50,EUR'].join('\n');
    const imp = await run(tenant, fileOf(text));
    expect(imp).toMatchObject({ linesRead: 7, linesAccepted: 1, linesRejected: 6, ordersCreated: 1, ordersRejected: 2 });
    const errors = await errorsOf(imp);
    expect(errors.map((e) => [e.line, e.field, e.reason])).toEqual([
      [2, 'line', 'order B-1 rejected: lines 3, 6 are invalid'],
      [3, 'quantity', "quantity '0' is 0: order at least 1"],
      [5, 'line', 'order B-1 rejected: lines 3, 6 are invalid'],
      [6, 'order_date', expect.stringContaining("order_date '2024-02-30T10:00:00Z'")],
      [7, 'customer_email', 'order B-2 rejected: two customers (d@example.com on line 7, e@example.com on line 8)'],
      [8, 'customer_email', 'order B-2 rejected: two customers (d@example.com on line 7, e@example.com on line 8)'],
    ]);
    expect(errors[1]!.raw).toBe('B-1,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,0,2.50,EUR');
    expect(await rejectionsByKind(ctx.db, imp.id)).toEqual({ order_rejected: 2, order_conflict: 2, invalid: 2 });
    accounted(imp);
  });

  it('reports a line rejected with its order by its text in the file, not as the system reads it', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    // A date without time, a price of one decimal, a lower-case currency, a quoted comma, quote and line break.
    const good = 'R-1,2024-05-01,c@example.com,"Doe, ""Jo""",SKU-1,"Mug\nXL",1,2.5,eur';
    const text = [HEADER, good, 'R-1,2024-05-01,c@example.com,"Doe, ""Jo""",SKU-1,P,0,2.50,EUR'].join('\r\n');
    const imp = await run(tenant, fileOf(text));
    expect(imp).toMatchObject({ linesRead: 2, linesRejected: 2, ordersRejected: 1 });
    expect((await errorsOf(imp))[0]).toEqual({ line: 2, field: 'line', reason: 'order R-1 rejected: line 4 is invalid', raw: good });
  });

  it('counts each rejected line once, under its first reason: the counts add up to the lines rejected', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const text = [HEADER,
      'R-1,2024-05-01T10:00:00Z,not-an-email,C,SKU-1,P,0,2.50,EURO', // three problems, all 'invalid'
      ',2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,-1,,EUR', // missing order_code and unit_price, then an invalid quantity
      'R-2,2024-05-01T10:00:00Z,c@example.com,C,,P,1,2.50,EUR', // missing sku
      'OK-1,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,1,2.50,EUR',
    ].join('\n');
    const imp = await run(tenant, fileOf(text));
    expect(imp).toMatchObject({ linesRead: 4, linesAccepted: 1, linesRejected: 3 });
    expect((await errorsOf(imp)).length).toBe(7); // the report still has one row per problem
    const kinds = await rejectionsByKind(ctx.db, imp.id);
    expect(kinds).toEqual({ missing: 2, invalid: 1 });
    expect(Object.values(kinds).reduce((a, b) => a + b, 0)).toBe(imp.linesRejected);
  });

  it('counts spreadsheet padding rows as blank: not read, not rejected, not in the error report', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const ok = (code: string, q = 1) => `${code},2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,${q},2.50,EUR`;
    const text = [HEADER, ok('PAD-1'), ',,,,,,,,', ok('PAD-2', 0), ' ,, ,,,,,,', ',,,,,,,,', ''].join('\r\n');
    const imp = await run(tenant, fileOf(text));
    expect(imp).toMatchObject({ status: 'completed', linesRead: 2, linesAccepted: 1, linesRejected: 1, ordersCreated: 1, ordersRejected: 1 });
    accounted(imp);
    expect((await errorsOf(imp)).map((e) => e.line)).toEqual([4]);
    expect(await rejectionsByKind(ctx.db, imp.id)).toEqual({ invalid: 1 });
  });

  it('rejects orders with two currencies, order dates apart, too much of one SKU or too large a total, and only those', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const line = (code: string, at: string, q: number, price: string, currency = 'EUR') => `${code},2024-05-01T${at}Z,c@example.com,C,SKU-1,P,${q},${price},${currency}`;
    const text = [HEADER,
      line('C-1', '10:00:00', 1, '2.50'), line('C-1', '10:00:00', 1, '2.50', 'USD'),
      line('T-1', '10:00:00', 1, '2.50'), line('T-1', '12:00:00', 1, '2.50'),
      line('Q-1', '10:00:00', 600_000, '2.50'), line('Q-1', '10:00:00', 600_000, '2.50'),
      line('L-1', '10:00:00', 1000, '100000000000.00'),
      line('OK-1', '10:00:00', 1, '2.50'), line('OK-1', '10:59:00', 2, '2.50'),
    ].join('\n');
    const imp = await run(tenant, fileOf(text));
    expect(imp).toMatchObject({ linesRead: 9, linesAccepted: 2, linesRejected: 7, ordersCreated: 1, ordersRejected: 4 });
    expect((await ordersOf(tenant)).map((o) => [o.orderCode, o.items.map((i) => i.quantity)])).toEqual([['OK-1', [3]]]);
    const reasons = [...new Map((await errorsOf(imp)).map((e) => [e.reason, e.field])).entries()];
    expect(reasons.sort()).toEqual([
      ['order C-1 rejected: two currencies (EUR on line 2, USD on line 3)', 'currency'],
      ['order L-1 rejected: its total is too large to store', 'unit_price'],
      ['order Q-1 rejected: sku SKU-1 adds up to more than 1000000', 'quantity'],
      ['order T-1 rejected: its lines have different order dates (2024-05-01T10:00:00Z and 2024-05-01T12:00:00Z)', 'order_date'],
    ]);
  });

  it('rejects the order of a line whose currency is not ISO 4217, naming the field and the value', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const line = (code: string, currency: string) => `${code},2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,1,2.50,${currency}`;
    const imp = await run(tenant, fileOf([HEADER, line('X-1', 'XYZ'), line('E-1', 'eur')].join('\n')));
    expect(imp).toMatchObject({ status: 'completed', linesRead: 2, linesAccepted: 1, linesRejected: 1, ordersCreated: 1, ordersRejected: 1 });
    expect((await ordersOf(tenant)).map((o) => o.orderCode)).toEqual(['E-1']);
    expect(await errorsOf(imp)).toEqual([{ line: 2, field: 'currency', reason: "currency 'XYZ' is not an ISO 4217 currency code", raw: line('X-1', 'XYZ') }]);
  });

  it('fails the import of a file with a header and no order lines, saying so', async () => {
    const tenant = await newTenant(ctx.db);
    const message = 'The file has a header (line 2) but no order lines: add at least one order line below it.';
    await expect(run(tenant, fileOf(`\n${HEADER}\n\n`))).rejects.toThrow(message);
    const { rows } = await ctx.db.query<{ status: string; error: string }>(`SELECT status, error FROM imports WHERE tenant_id = $1`, [tenant.id]);
    expect(rows).toEqual([{ status: 'failed', error: message }]);
  });

  it('rejects orders with unknown SKUs, or creates the products with --create-products and their initial stock', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const text = [HEADER, 'U-1,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,Mug,1,2.50,EUR', 'U-1,2024-05-01T10:00:00Z,c@example.com,C,NEW-9,New thing,2,9.99,EUR',
      'U-2,2024-05-01T10:00:00Z,c@example.com,C,SKU-1,Mug,1,2.50,EUR'].join('\n');
    const file = fileOf(text);
    const first = await run(tenant, file);
    expect(first).toMatchObject({ linesAccepted: 1, linesRejected: 2, ordersCreated: 1, ordersRejected: 1 });
    expect((await errorsOf(first))[0]).toMatchObject({ line: 2, field: 'sku', reason: expect.stringContaining('order U-1 rejected: unknown SKU NEW-9 on line 3') });

    const second = await run(tenant, file, { createProducts: true, defaultStock: 7 });
    expect(second).toMatchObject({ linesRead: 3, linesAccepted: 3, linesRejected: 0, ordersCreated: 1, ordersExisting: 1, ordersRejected: 0 });
    const { rows } = await ctx.db.query<{ name: string; price: number; stock: number; delta: number; kind: string }>(
      `SELECT p.name, p.price, p.stock_on_hand AS stock, a.delta, a.kind FROM products p JOIN inventory_adjustments a ON a.product_id = p.id
       WHERE p.tenant_id = $1 AND p.sku = 'NEW-9'`, [tenant.id]);
    expect(rows).toEqual([{ name: 'New thing', price: 999, stock: 7, delta: 7, kind: 'initial' }]);
  });

  it('creates no order twice: the same file again, then an overlapping file, report orders already present', async () => {
    const tenant = await newTenant(ctx.db);
    await catalog(tenant, { 'SKU-1': 250 });
    const ok = (code: string) => `${code},2024-05-01T10:00:00Z,c@example.com,C,SKU-1,P,1,2.50,EUR`;
    const file = fileOf([HEADER, ok('D-1'), ok('D-2'), ok('D-3')].join('\n'));
    const first = await run(tenant, file);
    const again = await run(tenant, file);
    expect(again.id).not.toBe(first.id);
    expect(again).toMatchObject({ status: 'completed', linesAccepted: 3, ordersCreated: 0, ordersExisting: 3 });
    const overlap = await run(tenant, fileOf([HEADER, ok('D-3'), ok('D-4')].join('\n')));
    expect(overlap).toMatchObject({ ordersCreated: 1, ordersExisting: 1 });
    expect((await ordersOf(tenant)).map((o) => o.orderCode)).toEqual(['D-1', 'D-2', 'D-3', 'D-4']);
    const { rows } = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.tenant_id = $1`, [tenant.id]);
    expect(rows[0]!.n).toBe(4);
  });

  it('finishes an import cut short in phase 1 with nothing lost or doubled', async () => {
    const lines = [...generateLines({ lines: 3000, seed: 7, errorRate: 0.02 })].join('\n');
    const file = fileOf(lines);
    const clean = await newTenant(ctx.db);
    const cut = await newTenant(ctx.db);
    for (const t of [clean, cut]) await ctx.db.transaction(async (tx) => {
      const { seedDemoCatalog } = await import('../demo/seed.service.js');
      await seedDemoCatalog(tx, t.id, { products: 1000, customers: 0, seed: 1 });
    });
    const expected = await run(clean, file, {}, { read: { chunkLines: 500 } });

    const crash = new Error('simulated crash after 3 chunks');
    await expect(run(cut, file, {}, { read: { chunkLines: 500, afterChunk: (n) => { if (n === 3) throw crash; } } })).rejects.toBe(crash);
    const { rows: midway } = await ctx.db.query<{ phase: string; linesRead: number; staged: number }>(
      `SELECT phase, lines_read AS "linesRead", (SELECT count(*)::int FROM import_lines l WHERE l.import_id = i.id) AS staged
       FROM imports i WHERE tenant_id = $1`, [cut.id]);
    expect(midway).toHaveLength(1);
    expect(midway[0]!.phase).toBe('reading');
    expect(midway[0]!.linesRead).toBeGreaterThanOrEqual(1500);
    expect(midway[0]!.linesRead).toBeLessThan(3000);

    const resumed = await run(cut, file, {}, { read: { chunkLines: 500 } });
    const counters = (i: ImportRow) => [i.linesRead, i.linesAccepted, i.linesRejected, i.ordersCreated, i.ordersExisting, i.ordersRejected];
    expect(counters(resumed)).toEqual(counters(expected));
    expect(resumed.status).toBe('completed');
    const summary = async (t: Tenant) => (await ordersOf(t)).map((o) => [o.orderCode, o.total, o.itemsCount]);
    expect(await summary(cut)).toEqual(await summary(clean));
    const { rows: errors } = await ctx.db.query<{ imp: string; n: number }>(
      `SELECT import_id AS imp, count(*)::int AS n FROM import_errors WHERE import_id = ANY($1) GROUP BY import_id`, [[expected.id, resumed.id]]);
    expect(errors.map((e) => e.n)).toEqual([errors[0]!.n, errors[0]!.n]);
    accounted(resumed);
  });

  it('finishes an import stopped between chunks of phase 2, with several runs racing for its chunks', async () => {
    const text = [...generateLines({ lines: 3000, seed: 11, errorRate: 0.02 })].join('\n');
    const clean = await newTenant(ctx.db);
    const raced = await newTenant(ctx.db);
    const { seedDemoCatalog } = await import('../demo/seed.service.js');
    for (const t of [clean, raced]) await ctx.db.transaction((tx) => seedDemoCatalog(tx, t.id, { products: 1000, customers: 0, seed: 1 }));
    const expected = await run(clean, fileOf(text));

    // Phase 1 through the upload path, which leaves phase 2 to jobs (none run here).
    const options = resolveImportOptions({});
    const { imp: staged } = await importUpload(ctx, {
      tenantId: raced.id, fileName: 'raced.csv', options, mapping: {}, source: (async function* () { yield Buffer.from(text); })(), bytesTotal: text.length,
    });
    expect(staged.phase).toBe('materializing');
    // One chunk, then the process "dies": the plan and that chunk are committed, nothing else.
    expect((await materializeChunk(ctx, raced.id, staged.id, 40)).kind).toBe('chunk');
    const midway = (await findImport(ctx.db, raced.id, staged.id))!;
    expect(midway).toMatchObject({ chunksDone: 1, status: 'running' });
    expect(midway.chunksTotal).toBeGreaterThan(10);

    // Three runs at once, each with MATERIALIZE_PARALLEL connections on PostgreSQL.
    const chunksBy = [0, 0, 0];
    const runs = await Promise.all(chunksBy.map((_, i) => materializeImport(ctx, raced.id, staged.id, {
      onProgress: (imp) => { if (imp.phase === 'materializing') chunksBy[i]!++; },
    })));
    for (const r of runs) expect(r).toMatchObject({ status: 'completed', chunksDone: midway.chunksTotal });
    // On PostgreSQL the runs really shared the work; on PGlite they take turns on one connection.
    if (ctx.db.kind === 'postgres') expect(chunksBy.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(chunksBy.reduce((a, b) => a + b, 0)).toBe(midway.chunksTotal! - 1);

    const counters = (i: ImportRow) => [i.linesRead, i.linesAccepted, i.linesRejected, i.ordersCreated, i.ordersExisting, i.ordersRejected];
    expect(counters(runs[0]!)).toEqual(counters(expected));
    const summary = async (t: Tenant) => (await ordersOf(t)).map((o) => [o.orderCode, o.total, o.itemsCount, o.items]);
    expect(await summary(raced)).toEqual(await summary(clean));
    const { rows } = await ctx.db.query<{ events: number; staged: number; chunks: number }>(
      `SELECT (SELECT count(*)::int FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.import_id = $1 AND e.type = 'order.created') AS events,
              (SELECT count(*)::int FROM import_lines WHERE import_id = $1) AS staged,
              (SELECT count(*)::int FROM import_chunks WHERE import_id = $1 AND done) AS chunks`,
      [staged.id],
    );
    expect(rows[0]).toEqual({ events: expected.ordersCreated, staged: 0, chunks: midway.chunksTotal });
    accounted(runs[0]!);
  });

  it.runIf(process.env.DATABASE_URL)('reads the chunks done after taking the import\'s row lock, not before waiting for it', async () => {
    const tenant = await newTenant(ctx.db);
    const text = [...generateLines({ lines: 400, seed: 5 })].join('\n');
    const { imp: staged } = await importUpload(ctx, {
      tenantId: tenant.id, fileName: 'locked.csv', options: resolveImportOptions({ createProducts: true, defaultStock: 100 }), mapping: {},
      source: (async function* () { yield Buffer.from(text); })(), bytesTotal: text.length,
    });
    expect((await materializeChunk(ctx, tenant.id, staged.id, 10)).kind).toBe('chunk');

    // A chunk's transaction: marks its chunk done, then holds the import's row until told to commit.
    const chunk = holdOpen(ctx.db, async (tx) => {
      await tx.query(`UPDATE import_chunks SET done = true WHERE import_id = $1 AND chunk_no = 2`, [staged.id]);
      await tx.query(`UPDATE imports SET lines_read = lines_read WHERE id = $1`, [staged.id]);
    });
    await chunk.held;
    const locked = ctx.db.transaction((tx) => findImport(tx, tenant.id, staged.id, { lock: true }));
    // The reader waits for the chunk's row lock before the chunk commits.
    await someoneWaitsForALock(ctx.db);
    chunk.commit();
    await chunk.done;
    expect((await locked)!.chunksDone).toBe(2);
  });

  it('imports the UCI sample with every line accounted for', async () => {
    const tenant = await newTenant(ctx.db);
    const imp = await run(tenant, `${DATASETS}/uci_online_retail_sample40k.csv`, { preset: 'uci', createProducts: true, defaultStock: 100 });
    expect(imp).toMatchObject({ status: 'completed', linesRead: 40_000 });
    accounted(imp);
    // The pure half found 11,472 good invoices of 13,199; none existed before.
    expect(imp.ordersCreated + imp.ordersRejected).toBe(13_199);
    expect(imp.ordersCreated).toBe(11_472);
    // Each rejected line once, under its first reason: most lines without a CustomerID have other problems too.
    const kinds = await rejectionsByKind(ctx.db, imp.id);
    expect(kinds).toEqual({ no_customer: 10_031, cancellation: 674, non_product: 111, order_rejected: 7, zero_price: 3, invalid: 1 });
    expect(Object.values(kinds).reduce((a, b) => a + b, 0)).toBe(imp.linesRejected);
  }, 120_000);

  it('imports the Northwind order details with its lookups', async () => {
    const tenant = await newTenant(ctx.db);
    const options = resolveImportOptions({ preset: 'northwind', createProducts: true, defaultStock: 1000 });
    const northwind = await loadNorthwindLookups(DATASETS);
    const imp = await importFile(ctx, { tenantId: tenant.id, path: `${DATASETS}/northwind_order_details.csv`, options, mapping: { preset: 'northwind', northwind } });
    expect(imp).toMatchObject({ status: 'completed', linesRead: 2155, linesAccepted: 2155, linesRejected: 0, ordersCreated: 830 });
    const { rows } = await ctx.db.query<{ total: number }>(`SELECT total FROM orders WHERE tenant_id = $1 AND order_code = '10248'`, [tenant.id]);
    expect(rows[0]!.total).toBe(12 * 1400 + 10 * 980 + 5 * 3480);
  });
});
