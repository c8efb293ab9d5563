import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { newTenant } from '../../../test/factories.js';
import { refreshHotStatistics, staleTables } from './statistics.js';

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
});
