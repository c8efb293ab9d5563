import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPglite } from '../src/platform/db/pglite.js';
import { openPostgres } from '../src/platform/db/postgres.js';
import { migrate } from '../src/platform/db/migrate.js';
import { testDatabaseUrl, withDatabaseName } from './backend.js';
import { installQueueSchema } from './queue-schema.js';

declare module 'vitest' {
  export interface ProvidedContext {
    template: string;
  }
}

/**
 * Migrates one template database per run (pg-boss schema included); every test file then gets a
 * cheap copy of it. PGlite: a copied data directory. PostgreSQL: CREATE DATABASE ... TEMPLATE.
 */
export default async function setup(project: TestProject) {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  if (testDatabaseUrl) {
    const name = `${new URL(testDatabaseUrl).pathname.slice(1) || 'ordersys'}_tpl_${runId}`;
    const admin = new pg.Client({ connectionString: withDatabaseName(testDatabaseUrl, 'postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const db = await openPostgres(withDatabaseName(testDatabaseUrl, name), 2);
    await migrate(db);
    await installQueueSchema(db, withDatabaseName(testDatabaseUrl, name));
    await db.close();
    project.provide('template', name);
    return async () => {
      // Drop the template and every per-file copy made from it.
      const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${name}%`]);
      for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
      await admin.end();
    };
  }
  const root = path.resolve('.tmp/test', runId);
  mkdirSync(root, { recursive: true });
  const dir = path.join(root, 'template');
  const db = await openPglite(dir);
  await migrate(db);
  await installQueueSchema(db);
  await db.close();
  project.provide('template', dir);
  return () => rmSync(root, { recursive: true, force: true });
}
