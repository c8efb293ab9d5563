import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres, testDatabaseUrl } from '../../../test/backend.js';
import { openPostgres } from './postgres.js';
import type { Database } from './types.js';

/*
 * A PostgreSQL restart cuts every connection, some of them checked out mid-transaction. The
 * process must see failed queries, never an unhandled 'error' event (which ends it).
 */
describe.skipIf(!onPostgres)('openPostgres', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPostgres(testDatabaseUrl!, 3, 'postgres-int-test');
  });
  afterAll(() => db.close());

  it('opens every session with JIT compilation off (it cost more than it saved on these statements)', async () => {
    const sessions = await Promise.all([0, 1, 2].map(() => db.transaction(async (tx) => (await tx.query<{ jit: string }>('SHOW jit')).rows[0]!.jit)));
    expect(sessions).toEqual(['off', 'off', 'off']);
  });

  it('fails a transaction whose connection is cut between two queries, and the pool goes on', async () => {
    const cut = db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await db.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // The connection dies while no query runs on it: pg emits 'error' on the client here.
      await new Promise((r) => setTimeout(r, 300));
      await tx.query('SELECT 1');
    });
    await expect(cut).rejects.toThrow(/terminat|Connection/i);
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });
});
