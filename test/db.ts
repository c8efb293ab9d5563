import { cpSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { openPglite } from '../src/platform/db/pglite.js';
import { openPostgres } from '../src/platform/db/postgres.js';
import type { Database } from '../src/platform/db/types.js';
import { testDatabaseUrl, withDatabaseName } from './backend.js';

export interface TestDatabase {
  db: Database;
  /** DATABASE_URL of this copy (PostgreSQL) or undefined (PGlite). */
  url: string | undefined;
  /** PGlite data directory of this copy. */
  dataDir: string | undefined;
  close(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('template');
  const suffix = randomBytes(4).toString('hex');
  if (testDatabaseUrl) {
    const name = `${template}_${suffix}`;
    const admin = new pg.Client({ connectionString: withDatabaseName(testDatabaseUrl, 'postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    await admin.end();
    const url = withDatabaseName(testDatabaseUrl, name);
    const db = await openPostgres(url, 20, 'ordersys-test');
    return { db, url, dataDir: undefined, close: () => db.close() };
  }
  const dataDir = path.join(path.dirname(template), `copy-${suffix}`);
  cpSync(template, dataDir, { recursive: true });
  const db = await openPglite(dataDir);
  return {
    db,
    url: undefined,
    dataDir,
    close: async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
