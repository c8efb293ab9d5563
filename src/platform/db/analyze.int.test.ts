import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/backend.js';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { analyzeQuickly } from './analyze.js';

/*
 * ANALYZE holds each table's SHARE UPDATE EXCLUSIVE lock to the end of its transaction, and two
 * ANALYZEs of the same table wait for each other. The statistics keeper and an import's chunk
 * runners analyze overlapping lists of tables at the same time: if they took the locks in
 * different orders, each could hold what the other waits for (a CI run lost an import to that).
 */
describe.skipIf(!onPostgres)('analyzeQuickly (PostgreSQL)', () => {
  let t: TestDatabase;
  const tables = ['race_a', 'race_b', 'race_c'];
  beforeAll(async () => {
    t = await createTestDatabase();
    for (const name of tables) {
      await t.db.exec(`CREATE TABLE ${name} AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 30000) g`);
    }
  });
  afterAll(() => t.close());

  it('never deadlocks two transactions analyzing the same tables listed in opposite orders', async () => {
    const rounds = 40;
    const run = (list: string[]) => async () => {
      for (let i = 0; i < rounds; i++) await t.db.transaction((tx) => analyzeQuickly(tx, list));
    };
    const results = await Promise.allSettled([
      run(tables)(),
      run([...tables].reverse())(),
      run([tables[1]!, tables[2]!, tables[0]!])(),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok']);
  });
});
