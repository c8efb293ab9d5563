import { PGlite, type Transaction as PgliteTx } from '@electric-sql/pglite';
import { lockDataDirectory } from './pglite-lock.js';
import { OID, parseDate, parseInt8 } from './parsers.js';
import type { Database, Executor, QueryResult } from './types.js';

type PgliteLike = PGlite | PgliteTx;

function executorFor(pg: PgliteLike): Executor {
  return {
    async query<T>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const r = await pg.query<T>(text, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    async copyFrom(copySql: string, data: string | Buffer) {
      // PGlite reads COPY input from the virtual file /dev/blob.
      const sql = copySql.replace(/FROM\s+STDIN/i, "FROM '/dev/blob'");
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      const r = await pg.query(sql, [], { blob: new Blob([bytes]) });
      return r.affectedRows ?? 0;
    },
  };
}

/** Embedded PostgreSQL in this process. One connection: transactions run one at a time. */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const unlock = dataDir ? lockDataDirectory(dataDir) : () => {};
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir, { parsers: { [OID.int8]: parseInt8, [OID.date]: parseDate } });
  } catch (err) {
    unlock();
    throw err;
  }
  const base = executorFor(pg);
  return {
    kind: 'pglite',
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(executorFor(tx))),
    async close() {
      try {
        if (!pg.closed) await pg.close();
      } finally {
        unlock();
      }
    },
  };
}
