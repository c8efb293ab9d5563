import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../../../test/context.js';
import { newTenant } from '../../../test/factories.js';
import { readMigrations } from '../../platform/db/migrate.js';

describe('migration 0020: stored time zones the database knows', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.dispose());

  it('respells a zone stored in another case, turns one the database does not know into UTC, leaves good ones alone', async () => {
    const zones = { legacy: 'US/Pacific-New', lower: 'europe/paris', good: 'Asia/Tokyo', utc: 'UTC' };
    const ids: Record<string, string> = {};
    for (const [k, zone] of Object.entries(zones)) {
      const t = await newTenant(ctx.db);
      // As stored before zones were checked against the database.
      await ctx.db.query(`UPDATE tenants SET time_zone = $2 WHERE id = $1`, [t.id, zone]);
      ids[k] = t.id;
    }
    const migration = readMigrations().find((m) => m.version === 20)!;
    expect(migration.name).toBe('0020_tenant_zones_the_database_knows.sql');
    await ctx.db.exec(migration.sql);
    const { rows } = await ctx.db.query<{ id: string; zone: string }>(`SELECT id, time_zone AS zone FROM tenants WHERE id = ANY($1::uuid[])`, [Object.values(ids)]);
    const byId = new Map(rows.map((r) => [r.id, r.zone]));
    expect(Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, byId.get(id)]))).toEqual({
      legacy: 'UTC', lower: 'Europe/Paris', good: 'Asia/Tokyo', utc: 'UTC',
    });
  });
});
