import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { runCli } from '../../../test/cli.js';
import { TEST_SECRET } from '../../../test/context.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { statusCounts } from '../../../test/workflow.js';
import { onPostgres, testDatabaseUrl } from '../../../test/backend.js';
import { startWorkers } from '../../worker.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import {
  ABANDONED_CLI_IMPORT_DAYS, ABANDONED_UPLOAD_MINUTES, abandonedCliImportReason, abandonedUploadReason, failAbandonedImports,
} from './import.abandoned.js';
import { materializeImport } from './import.materialize.js';
import { insertImport } from './import.repository.js';

/*
 * POST /imports streams the upload through phase 1 and leaves phase 2 to the imports_materialize
 * job; the accepted orders then enter the workflow as orders_reserve jobs.
 */

const HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency';
const line = (code: string, sku: string, q = 1) => `${code},2024-05-01T10:00:00Z,ada@example.com,"Lovelace, Ada",${sku},Mug,${q},2.50,EUR`;

let t: TestApp;
let tenant: Tenant;
let operator: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp({ GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5', IMPORT_MAX_BYTES: '5000' });
  tenant = await newTenant(t.ctx.db);
  await newProduct(t.ctx.db, tenant, { sku: 'SKU-1', price: 250, stock: 1000 });
  operator = bearer(await newApiKey(t.ctx.db, tenant, 'operator'));
});
afterAll(() => t.close());

const upload = (body: string, headers: Record<string, string> = {}, query = '') =>
  t.app.inject({ method: 'POST', url: `/imports${query}`, headers: { ...operator, 'content-type': 'text/csv', ...headers }, payload: body });

/** Phase 2 as the job would run it (the test app runs no workers). */
async function jobsOf(name: string): Promise<{ data: Record<string, unknown> }[]> {
  const { rows } = await t.ctx.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM pgboss.job WHERE name = $1`, [name]);
  return rows;
}

async function until(ready: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await ready()); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
  }
}

describe('POST /imports', () => {
  it('reads the upload, queues phase 2, and the import then reports its orders and its errors', async () => {
    const body = [HEADER, line('H-1', 'SKU-1'), line('H-2', 'SKU-1', 0), line('H-1', 'SKU-1', 2), line('H-3', 'NOPE')].join('\n');
    const res = await upload(body, {}, '?fileName=shop.csv');
    expect(res.statusCode).toBe(202);
    const imp = res.json();
    expect(imp).toMatchObject({ fileName: 'shop.csv', source: 'http', status: 'running', phase: 'materializing', counts: { linesRead: 4, linesStaged: 3, linesRejected: 1 } });
    expect(res.headers.location).toBe(`/imports/${imp.id}`);
    expect((await jobsOf('imports_materialize')).map((j) => j.data)).toContainEqual({ tenantId: tenant.id, importId: imp.id });

    await materializeImport(t.ctx, tenant.id, imp.id);
    const done = (await t.app.inject({ url: `/imports/${imp.id}`, headers: operator })).json();
    expect(done).toMatchObject({ status: 'completed', phase: 'completed', progress: 1, counts: { linesRead: 4, linesAccepted: 2, linesRejected: 2, ordersCreated: 1, ordersRejected: 2 } });
    const list = (await t.app.inject({ url: '/imports', headers: operator })).json();
    expect(list.items.map((i: { id: string }) => i.id)).toContain(imp.id);

    const errors = await t.app.inject({ url: `/imports/${imp.id}/errors`, headers: operator });
    expect(errors.statusCode).toBe(200);
    expect(errors.headers['content-type']).toMatch(/^text\/csv/);
    expect(errors.body.split('\r\n')).toEqual([
      'line,field,reason,raw',
      `3,quantity,quantity '0' is 0: order at least 1,"${line('H-2', 'SKU-1', 0).replace(/"/g, '""')}"`,
      expect.stringMatching(/^5,sku,order H-3 rejected: unknown SKU NOPE on line 5: .*,"H-3,2024-05-01T10:00:00Z,ada@example.com,""Lovelace, Ada"",NOPE,Mug,1,2.50,EUR"$/),
      '',
    ]);
    // The created order went into the workflow in the transaction that created it.
    const reserve = await jobsOf('orders_reserve');
    const { rows } = await t.ctx.db.query<{ id: string }>(`SELECT id FROM orders WHERE import_id = $1`, [imp.id]);
    expect(reserve.flatMap((j) => j.data.orderIds as string[])).toContain(rows[0]!.id);
  });

  it('returns the same import for the same Idempotency-Key, file and options without importing the body again', async () => {
    const body = [HEADER, line('K-1', 'SKU-1')].join('\n');
    const first = await upload(body, { 'idempotency-key': 'upload-1' });
    const again = await upload(body, { 'idempotency-key': 'upload-1' });
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    const { rows } = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM imports WHERE tenant_id = $1 AND file_name = 'upload.csv' AND lines_read = 1`, [tenant.id]);
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses the same Idempotency-Key with another file (422), which then imports under a new key', async () => {
    await newProduct(t.ctx.db, tenant, { sku: 'SKU-00021', price: 1250, stock: 10 });
    await newProduct(t.ctx.db, tenant, { sku: 'SKU-00022', price: 1250, stock: 10 });
    const a = `${HEADER}\nNEWA-1,2024-05-01,n@example.com,N,SKU-00021,X,1,12.50,EUR\n`;
    const b = `${HEADER}\nNEWB-1,2024-05-01,n@example.com,N,SKU-00022,X,1,12.50,EUR\n`;
    const first = await upload(a, { 'idempotency-key': 'batch-1' });
    expect(first.statusCode).toBe(202);
    const other = await upload(b, { 'idempotency-key': 'batch-1' });
    expect(other.statusCode).toBe(422);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.json().error).toMatchObject({
      code: 'IDEMPOTENCY_MISMATCH',
      message: `Idempotency-Key "batch-1" was already used for import ${first.json().id} with a different file; use a new key to import this file.`,
    });
    const { rows } = await t.ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_lines WHERE order_code = 'NEWB-1'`);
    expect(rows[0]!.n).toBe(0);
    const retried = await upload(b, { 'idempotency-key': 'batch-2' });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ phase: 'materializing', counts: { linesRead: 1, linesStaged: 1 } });
    expect(retried.json().id).not.toBe(first.json().id);
  });

  it('refuses the same Idempotency-Key and file with other options (422), naming them', async () => {
    const body = [HEADER, line('OPT-1', 'SKU-1')].join('\n');
    expect((await upload(body, { 'idempotency-key': 'opts-1' }, '?fileName=a.csv')).statusCode).toBe(202);
    const renamed = await upload(body, { 'idempotency-key': 'opts-1' }, '?fileName=b.csv');
    expect(renamed.statusCode).toBe(422);
    expect(renamed.json().error.message).toMatch(/with other options \(fileName\)/);
    const creating = await upload(body, { 'idempotency-key': 'opts-1' }, '?fileName=a.csv&createProducts=true&defaultStock=5');
    expect(creating.json().error).toMatchObject({ code: 'IDEMPOTENCY_MISMATCH', message: expect.stringMatching(/other options \(createProducts, defaultStock\)/) });
    expect((await upload(body, { 'idempotency-key': 'opts-1' }, '?fileName=a.csv')).headers['idempotent-replayed']).toBe('true');
  });

  it('answers 409 to the same Idempotency-Key while the first upload is still read, and replays it once read', async () => {
    const body = `${[HEADER, line('S-1', 'SKU-1')].join('\n')}\n`;
    const slow = new PassThrough();
    slow.write(`${HEADER}\n`);
    const first = t.app.inject({ method: 'POST', url: '/imports', headers: { ...operator, 'content-type': 'text/csv', 'idempotency-key': 'slow-1' }, payload: slow });
    await until(async () => (await t.ctx.db.query(`SELECT 1 FROM imports WHERE idempotency_key = 'slow-1'`)).rows.length > 0);
    const during = await upload(body, { 'idempotency-key': 'slow-1' });
    expect(during.statusCode).toBe(409);
    expect(during.json().error.message).toMatch(/^Idempotency-Key "slow-1" belongs to import .*, whose upload is still being read; retry/);
    slow.end(`${line('S-1', 'SKU-1')}\n`);
    const done = await first;
    expect(done.statusCode).toBe(202);
    const after = await upload(body, { 'idempotency-key': 'slow-1' });
    expect(after.statusCode).toBe(202);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.json().id).toBe(done.json().id);
  });

  it('gives up an upload cut short (no lines for 15 minutes): its key imports anew, its staged lines are gone', async () => {
    const slow = new PassThrough();
    slow.write(`${HEADER}\n`);
    const cut = t.app.inject({ method: 'POST', url: '/imports?fileName=cut.csv', headers: { ...operator, 'content-type': 'text/csv', 'idempotency-key': 'cut-1' }, payload: slow });
    await until(async () => (await t.ctx.db.query(`SELECT 1 FROM imports WHERE idempotency_key = 'cut-1'`)).rows.length > 0);
    const { rows: [imp] } = await t.ctx.db.query<{ id: string }>(`SELECT id FROM imports WHERE idempotency_key = 'cut-1'`);
    // As if its server had died after staging a line, 16 minutes ago; a CLI import as old is left alone.
    await t.ctx.db.query(
      `INSERT INTO import_lines (tenant_id, import_id, line_no, order_code, order_date, customer_email, customer_name, sku, product_name, quantity, unit_price, currency)
       VALUES ($1, $2, 2, 'CUT-1', now(), 'ada@example.com', 'Ada', 'SKU-1', 'Mug', 1, 250, 'EUR')`, [tenant.id, imp!.id]);
    await t.ctx.db.query(`UPDATE imports SET progressed_at = now() - interval '16 minutes' WHERE id = $1`, [imp!.id]);
    const cli = await insertImport(t.ctx.db, tenant.id, { fileName: 'old.csv', fileSha256: 'ab'.repeat(32), options: { preset: 'native', createProducts: false, defaultStock: 0 }, source: 'cli', bytesTotal: 1 });
    await t.ctx.db.query(`UPDATE imports SET started_at = now() - interval '1 day' WHERE id = $1`, [cli!.id]);

    expect(await failAbandonedImports(t.ctx, 20)).toBe(0);
    expect(await failAbandonedImports(t.ctx)).toBe(1);
    expect(await failAbandonedImports(t.ctx)).toBe(0);
    const oldCli = await insertImport(t.ctx.db, tenant.id, { fileName: 'older.csv', fileSha256: 'cd'.repeat(32), options: { preset: 'native', createProducts: false, defaultStock: 0 }, source: 'cli', bytesTotal: 1 });
    await t.ctx.db.query(`UPDATE imports SET started_at = now() - interval '8 days' WHERE id = $1`, [oldCli!.id]);
    expect(await failAbandonedImports(t.ctx)).toBe(1); // a CLI import not resumed for a week; the day-old one stays
    const { rows: [gaveUp] } = await t.ctx.db.query(`SELECT status, error FROM imports WHERE id = $1`, [oldCli!.id]);
    expect(gaveUp).toEqual({ status: 'failed', error: abandonedCliImportReason(ABANDONED_CLI_IMPORT_DAYS) });
    const { rows } = await t.ctx.db.query(
      `SELECT id, status, error, idempotency_key AS key, (SELECT count(*)::int FROM import_lines l WHERE l.import_id = i.id) AS staged
       FROM imports i WHERE id = ANY($1::uuid[]) ORDER BY source`, [[imp!.id, cli!.id]]);
    expect(rows).toEqual([
      { id: cli!.id, status: 'running', error: null, key: null, staged: 0 },
      { id: imp!.id, status: 'failed', error: abandonedUploadReason(ABANDONED_UPLOAD_MINUTES), key: null, staged: 0 },
    ]);
    // The client was only slow: its next lines find the import given up, and it is told why.
    slow.end(`${line('CUT-1', 'SKU-1')}\n`);
    const late = await cut;
    expect(late.statusCode).toBe(409);
    expect(late.json().error.message).toBe(`Import ${imp!.id} has failed (${abandonedUploadReason(ABANDONED_UPLOAD_MINUTES)}); this run stops.`);
    const retry = await upload([HEADER, line('CUT-1', 'SKU-1')].join('\n'), { 'idempotency-key': 'cut-1' }, '?fileName=cut.csv');
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.json().id).not.toBe(imp!.id);
  });

  it('refuses a file with a header and no order lines, failing its import, and gives its Idempotency-Key back', async () => {
    const res = await upload(`${HEADER}\r\n\r\n`, { 'idempotency-key': 'header-only' }, '?fileName=header-only.csv');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_DATA', message: 'The file has a header (line 1) but no order lines: add at least one order line below it.' });
    const { rows } = await t.ctx.db.query<{ status: string; error: string; key: string | null }>(
      `SELECT status, error, idempotency_key AS key FROM imports WHERE tenant_id = $1 AND file_name = 'header-only.csv'`, [tenant.id]);
    expect(rows).toEqual([{ status: 'failed', error: res.json().error.message, key: null }]);
    const retry = await upload([HEADER, line('HO-1', 'SKU-1')].join('\n'), { 'idempotency-key': 'header-only' }, '?fileName=header-only.csv');
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('names the map parameter, not the CLI flag, in its errors', async () => {
    const res = await upload([HEADER, line('M-1', 'SKU-1')].join('\n'), {}, '?map=foo');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe("map 'foo' is not field=Header, e.g. order_code=InvoiceNo.");
  });

  it('refuses a file over IMPORT_MAX_BYTES with 413, a missing column with 400, and another tenant with 404', async () => {
    const big = [HEADER, ...Array.from({ length: 100 }, (_, i) => line(`B-${i}`, 'SKU-1'))].join('\n');
    expect((await upload(big)).statusCode).toBe(413);
    const noSku = await upload('order_code,order_date\nX,2024-05-01T10:00:00Z');
    expect(noSku.statusCode).toBe(400);
    expect(noSku.json().error.message).toMatch(/sku/);
    expect((await upload(HEADER, {}, '?createProducts=true')).json().error.message).toMatch(/defaultStock/);

    const mine = (await upload([HEADER, line('O-1', 'SKU-1')].join('\n'))).json();
    const other = await newTenant(t.ctx.db);
    const stranger = bearer(await newApiKey(t.ctx.db, other, 'viewer'));
    expect((await t.app.inject({ url: `/imports/${mine.id}`, headers: stranger })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/imports/${mine.id}/errors`, headers: stranger })).statusCode).toBe(404);
    const viewer = bearer(await newApiKey(t.ctx.db, tenant, 'viewer'));
    expect((await upload(HEADER, viewer)).statusCode).toBe(403);
  });

  it('takes accepted orders through the workflow with the job handlers running', async () => {
    const body = [HEADER, ...Array.from({ length: 30 }, (_, i) => line(`W-${i}`, 'SKU-1', 1 + (i % 3)))].join('\n');
    const imp = (await upload(body)).json();
    await startWorkers(t.ctx);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await t.ctx.db.query<{ open: number; total: number }>(
        `SELECT count(*) FILTER (WHERE status IN ('pending', 'reserved'))::int AS open, count(*)::int AS total FROM orders WHERE import_id = $1`, [imp.id]);
      if (rows[0]!.total === 30 && rows[0]!.open === 0) break;
      if (Date.now() > deadline) throw new Error(`workflow did not finish: ${JSON.stringify(rows[0])}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const statuses = await statusCounts(t.ctx, tenant.id);
    expect(statuses.completed).toBeGreaterThanOrEqual(30);
  });
});

describe('ordersys import (CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-import-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cliEnv = () => ({
    ORDERSYS_DATA_DIR: dir, ORDERSYS_SECRET: TEST_SECRET, GATEWAY_SUCCESS_RATE: '1', GATEWAY_LATENCY_MS: '0-5',
    ORDERSYS_DEFAULT_TENANT: `cli-${process.pid}`, ...(onPostgres && { DATABASE_URL: t.ctx.config.database.kind === 'postgres' ? t.ctx.config.database.url : testDatabaseUrl }),
  });

  it('imports a generated file into a seeded tenant, runs the workflow and prints the summary', async () => {
    const env = cliEnv();
    const file = path.join(dir, 'orders.csv');
    const gen = await runCli(['generate-csv', '--lines', '400', '--seed', '5', '--error-rate', '0.02', '--out', file], env);
    expect(gen.code).toBe(0);
    expect((await runCli(['seed', '--products', '1000', '--customers', '10'], env)).code).toBe(0);
    const res = await runCli(['import', file], env);
    expect(res.stderr).not.toMatch(/Error/);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/lines +read 400, accepted \d+, rejected \d+/);
    expect(res.stdout).toMatch(/orders +created \d+, already present 0, rejected \d+/);
    expect(res.stdout).toMatch(/order statuses: completed \d+/);
    expect(res.stdout).not.toMatch(/pending|reserved/);
    const again = await runCli(['import', file, '--no-wait'], env);
    expect(again.stdout).toMatch(/orders +created 0, already present \d+/);
  }, 180_000);

  it('refuses a file with a header and no order lines as the upload does', async () => {
    const file = path.join(dir, 'header-only.csv');
    writeFileSync(file, `${HEADER}\n`);
    const res = await runCli(['import', file], cliEnv());
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('ordersys: The file has a header (line 1) but no order lines: add at least one order line below it.');
  }, 60_000);
});
