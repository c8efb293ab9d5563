import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/db.js';
import { onPostgres } from '../../../test/backend.js';
import { openPostgres } from './postgres.js';
import { migrate, readMigrations, type Migration } from './migrate.js';

describe('migrate', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  it('records every numbered migration once', async () => {
    const { rows } = await t.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(readMigrations().map((m) => m.version));
  });

  it('does nothing the second time', async () => {
    expect(await migrate(t.db)).toEqual([]);
  });

  it('applies a new migration and refuses an edited one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-mig-'));
    const extra = [...readMigrations(), ...readExtra(dir, '9001_probe.sql', 'CREATE TABLE probe (id int);')];
    expect((await migrate(t.db, extra)).map((m) => m.name)).toEqual(['9001_probe.sql']);
    const edited = [...readMigrations(), ...readExtra(dir, '9001_probe.sql', 'CREATE TABLE probe (id bigint);')];
    await expect(migrate(t.db, edited)).rejects.toThrow(/9001_probe.sql was changed after it was applied/);
  });

  it.runIf(onPostgres)('serializes two processes migrating at once (advisory lock)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ordersys-mig-'));
    const extra = [...readMigrations(), ...readExtra(dir, '9002_slow.sql', 'SELECT pg_sleep(0.3); CREATE TABLE slow (id int);')];
    const [a, b] = await Promise.all([openPostgres(t.url!, 2), openPostgres(t.url!, 2)]);
    try {
      const results = await Promise.all([migrate(a, extra), migrate(b, extra)]);
      // Exactly one of them applied it; the other waited and found nothing to do.
      expect(results.map((r) => r.length).sort()).toEqual([0, 1]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

function readExtra(dir: string, name: string, sql: string): Migration[] {
  writeFileSync(path.join(dir, name), sql);
  return readMigrations(dir);
}
