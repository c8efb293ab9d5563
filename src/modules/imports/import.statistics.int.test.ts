import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/backend.js';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newTenant } from '../../../test/factories.js';
import { someoneWaitsToLock } from '../../../test/locks.js';
import { generateLines } from './generate-csv.js';
import { materializeImport } from './import.materialize.js';
import { resolveImportOptions } from './import.options.js';
import { importUpload } from './import.service.js';

let ctx: TestContext;

/*
 * An import refreshes planner statistics between its chunks (ANALYZE in a transaction, keeping
 * each table's lock to the end). Another session can hold those locks in another order: here an
 * operator's transaction that locks products as ANALYZE would, waits for the import's refresh to
 * reach products, then asks for customers. PostgreSQL breaks the cycle by failing the session
 * that waited first, the refresh: the import must skip that refresh, not stop halfway for
 * someone to run it again.
 */
describe.skipIf(!onPostgres)('an import whose statistics refresh loses a lock (PostgreSQL)', () => {
  beforeAll(async () => {
    ctx = await createTestContext('cli');
  });
  afterAll(() => ctx.dispose());

  it('skips the refresh and finishes every chunk', async () => {
    const tenant = await newTenant(ctx.db);
    const text = [...generateLines({ lines: 2000, seed: 3 })].join('\n');
    const options = resolveImportOptions({ createProducts: true, defaultStock: 100 });
    const { imp: staged } = await importUpload(ctx, {
      tenantId: tenant.id, fileName: 'locked.csv', options, mapping: {},
      source: (async function* () { yield Buffer.from(text); })(), bytesTotal: text.length,
    });
    expect(staged.phase).toBe('materializing');

    let reached!: () => void;
    const productsLocked = new Promise<void>((resolve) => (reached = resolve));
    const operator = ctx.db.transaction(async (tx) => {
      await tx.exec('LOCK TABLE products IN SHARE UPDATE EXCLUSIVE MODE');
      reached();
      // The import's first refresh holds customers, order_items and orders, and waits here.
      await someoneWaitsToLock(ctx.db, 'products', 'ShareUpdateExclusiveLock');
      await tx.exec('LOCK TABLE customers IN SHARE UPDATE EXCLUSIVE MODE');
    });
    await productsLocked;
    // One runner: PostgreSQL fails whichever session of the cycle waited longest, so the refresh,
    // which queued on products first, is the one. A second runner queued behind the first's
    // locks would form a new cycle in which the operator has waited longest.
    const [done] = await Promise.all([materializeImport(ctx, tenant.id, staged.id, { chunkOrders: 50, parallel: 1 }), operator]);

    expect(done).toMatchObject({ status: 'completed', chunksDone: done.chunksTotal });
    expect(done.chunksTotal).toBeGreaterThan(4);
    expect(done.linesAccepted + done.linesRejected).toBe(done.linesRead);
    const { rows } = await ctx.db.query<{ orders: number }>(`SELECT count(*)::int AS orders FROM orders WHERE import_id = $1`, [staged.id]);
    expect(rows[0]!.orders).toBe(done.ordersCreated);
    expect(done.ordersCreated).toBeGreaterThan(0);
  });
});
