import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.js';
import { cliEnvFor } from '../../../test/cli-env.js';
import { runCli } from '../../../test/cli.js';
import { bearer, newApiKey, newProduct, newTenant } from '../../../test/factories.js';
import { importSummary, writeErrorReport } from '../../cli/imports.command.js';
import type { Tenant } from '../tenants/tenant.repository.js';
import { resolveImportOptions } from './import.options.js';
import { findImport, type ImportRow } from './import.repository.js';
import { importFile } from './import.service.js';

/*
 * `ordersys imports list|show|errors`: a CLI user sees why lines were rejected without starting
 * the server, and sees exactly what GET /imports/:id/errors answers.
 */

const HEADER = 'order_code,order_date,customer_email,customer_name,sku,product_name,quantity,unit_price,currency';
const ok = (code: string) => `${code},2024-05-01T10:00:00Z,ada@example.com,"Lovelace, Ada",SKU-1,Mug,1,2.50,EUR`;
// Two problems on one line (quantity, currency), a line with a quote in it, and a good line of a bad order.
const FILE = [
  HEADER, ok('E-1'), 'E-2,2024-05-01T10:00:00Z,ada@example.com,Ada,SKU-1,"Mug ""XL""",0,2.50,EURO', ok('E-3'), ok('E-2'),
].join('\n');

let t: TestApp;
let dir: string;
let tenant: Tenant;
let imp: ImportRow;

beforeAll(async () => {
  t = await createTestApp();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-imports-cli-'));
  tenant = await newTenant(t.ctx.db);
  await newProduct(t.ctx.db, tenant, { sku: 'SKU-1', price: 250, stock: 100 });
  const file = path.join(dir, 'errors.csv');
  writeFileSync(file, FILE);
  imp = await importFile(t.ctx, { tenantId: tenant.id, path: file, options: resolveImportOptions({}), mapping: {} });
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function written(fn: (out: PassThrough) => Promise<void>): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await fn(out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('ordersys imports errors', () => {
  it('writes byte for byte the CSV that GET /imports/:id/errors answers', async () => {
    expect(imp).toMatchObject({ linesRead: 4, linesRejected: 2 });
    const key = await newApiKey(t.ctx.db, tenant, 'viewer');
    const res = await t.app.inject({ method: 'GET', url: `/imports/${imp.id}/errors`, headers: bearer(key) });
    expect(res.statusCode).toBe(200);
    const csv = await written((out) => writeErrorReport(t.ctx, imp, out));
    expect(csv).toBe(res.body);
    expect(csv.split('\r\n').slice(0, 3)).toEqual([
      'line,field,reason,raw',
      `3,quantity,quantity '0' is 0: order at least 1,"E-2,2024-05-01T10:00:00Z,ada@example.com,Ada,SKU-1,""Mug """"XL"""""",0,2.50,EURO"`,
      "3,currency,currency 'EURO' is not a 3-letter code like EUR,\"E-2,2024-05-01T10:00:00Z,ada@example.com,Ada,SKU-1,\"\"Mug \"\"\"\"XL\"\"\"\"\"\",0,2.50,EURO\"",
    ]);
  });
});

describe('the import summary', () => {
  it('counts each rejected line once and points to `ordersys imports errors`, naming a tenant that is not the default', async () => {
    const summary = await importSummary(t.ctx, (await findImport(t.ctx.db, tenant.id, imp.id))!, tenant.slug);
    expect(summary).toContain('  lines   read 4, accepted 2, rejected 2\n');
    expect(summary).toContain('  rejected lines by first reason: invalid 1, order_rejected 1\n');
    expect(summary).toContain(`  every rejected line, with all its reasons: ordersys imports errors ${imp.id} --tenant ${tenant.slug}\n`);
    expect(summary).not.toContain('GET /imports');
  });
});

describe('ordersys imports (CLI process)', () => {
  it.each([['errors'], ['show']])('refuses an id that is not a UUID before opening the database (%s)', async (command) => {
    const res = await runCli(['imports', command, '42'], { ORDERSYS_DATA_DIR: path.join(dir, 'never-opened') });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe("ordersys: '42' is not an import id: ids are UUIDs, as printed by `ordersys import` and `ordersys imports list`.");
  });

  it('lists, shows and reports the errors of the import `ordersys import` just made, to stdout or --out', async () => {
    // Its own database on PGlite (one process at a time); the test's database on PostgreSQL.
    const { env, cleanup } = cliEnvFor(t.ctx, `cli-${process.pid}`);
    try {
      const file = path.join(dir, 'cli.csv');
      writeFileSync(file, FILE);
      const imported = await runCli(['import', file, '--create-products', '--default-stock', '10', '--no-wait'], env);
      expect(imported.stderr).not.toMatch(/Error/);
      expect(imported.code).toBe(0);
      const id = /every rejected line, with all its reasons: ordersys imports errors (\S+)\n/.exec(imported.stdout)?.[1];
      expect(id).toBeDefined();

      const list = await runCli(['imports', 'list'], env);
      expect(list.stdout).toMatch(new RegExp(`^${id}  \\S+Z  completed  read 4, accepted 2, rejected 2  cli\\.csv$`, 'm'));
      const show = await runCli(['imports', 'show', id!], env);
      expect(show.stdout).toContain('rejected lines by first reason: invalid 1, order_rejected 1');

      const stdout = await runCli(['imports', 'errors', id!], env);
      expect(stdout.code).toBe(0);
      expect(stdout.stdout.split('\r\n').map((l) => l.split(',')[0])).toEqual(['line', '3', '3', '5', '']);
      const out = path.join(dir, 'report.csv');
      const toFile = await runCli(['imports', 'errors', id!, '--out', out], env);
      expect(toFile.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(stdout.stdout);
      expect(toFile.stderr.trim()).toBe(`Wrote the 2 rejected lines of import ${id} to ${out}.`);

      const unknown = '00000000-0000-4000-8000-000000000000';
      const missing = await runCli(['imports', 'errors', unknown, '--out', path.join(dir, 'never.csv')], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe(`ordersys: Import ${unknown} does not exist in tenant cli-${process.pid}: \`ordersys imports list\` shows its imports.`);
      expect(() => readFileSync(path.join(dir, 'never.csv'))).toThrow(/ENOENT/);
      const noTenant = await runCli(['imports', 'show', id!, '--tenant', 'nobody-here'], env);
      expect([noTenant.code, noTenant.stderr.trim()]).toEqual([1, "ordersys: --tenant: no tenant \"nobody-here\"."]);
    } finally {
      cleanup();
    }
  }, 180_000);
});
