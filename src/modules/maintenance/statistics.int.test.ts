import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { newTenant } from '../../../test/factories.js';
import { refreshHotStatistics, staleTables, vacuumDeadRows } from './statistics.js';

describe('planner statistics of the hot tables', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  const believed = async (table: string) =>
    (await t.db.query<{ rows: number }>(`SELECT greatest(reltuples, 0)::int AS rows FROM pg_class WHERE relname = $1`, [table])).rows[0]!.rows;

  it('analyzes a table that grew since its last analysis, then leaves it alone', async () => {
    await refreshHotStatistics(t.db); // whatever the template left stale
    const tenant = await newTenant(t.db);
    await t.db.query(
      `INSERT INTO customers (tenant_id, email, name) SELECT $1, 'c' || g || '@example.com', 'C' FROM generate_series(1, 5000) g`,
      [tenant.id],
    );
    // The insert's row counts reach the shared statistics when this session next goes idle, at
    // most once a second: counted after the ANALYZE below, they would make the table stale again.
    await t.db.query(`SELECT pg_stat_force_next_flush()`);
    expect(await staleTables(t.db)).toContain('customers');
    expect(await believed('customers')).toBeLessThan(5000);

    expect(await refreshHotStatistics(t.db)).toContain('customers');
    expect(await believed('customers')).toBeGreaterThanOrEqual(5000);
    expect(await staleTables(t.db)).not.toContain('customers');
    expect(await refreshHotStatistics(t.db)).not.toContain('customers');
  });

  it('vacuums, on PGlite (no autovacuum), a table whose deleted rows left dead space; PostgreSQL is left to autovacuum', async () => {
    const tenant = await newTenant(t.db);
    const imp = (await t.db.query<{ id: string }>(`INSERT INTO imports (tenant_id, file_name) VALUES ($1, 'f.csv') RETURNING id`, [tenant.id])).rows[0]!.id;
    await t.db.query(
      `INSERT INTO import_lines (tenant_id, import_id, line_no, order_code, order_date, customer_email, customer_name, sku, product_name, quantity, unit_price, currency)
       SELECT $1, $2, g, 'O-' || g, now(), 'a@b.co', 'A', 'S', 'P', 1, 100, 'EUR' FROM generate_series(1, 5000) g`,
      [tenant.id, imp],
    );
    await t.db.query(`DELETE FROM import_lines WHERE import_id = $1`, [imp]); // as phase 2 does
    await t.db.query(`SELECT pg_stat_force_next_flush()`);
    const dead = async () =>
      Number((await t.db.query<{ n: string }>(`SELECT n_dead_tup AS n FROM pg_stat_user_tables WHERE relname = 'import_lines'`)).rows[0]!.n);
    expect(await dead()).toBeGreaterThanOrEqual(5000);
    const vacuumed = await vacuumDeadRows(t.db);
    await t.db.query(`SELECT pg_stat_force_next_flush()`);
    if (t.db.kind === 'pglite') {
      expect(vacuumed).toContain('public.import_lines');
      expect(await dead()).toBe(0);
    } else {
      expect(vacuumed).toEqual([]);
    }
  });
});
