import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { OID, parseDate, parseInt8 } from './parsers.js';
import type { Database, Executor, QueryOptions, QueryResult } from './types.js';

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID.int8) return parseInt8;
    if (oid === OID.date) return parseDate;
    return pg.types.getTypeParser(oid, format);
  },
};

function executorFor(client: pg.Pool | pg.PoolClient): Executor {
  return {
    async query<T>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult<T>> {
      const values = params as unknown[] | undefined;
      const r = await (opts?.prepareAs ? client.query({ name: opts.prepareAs, text, values }) : client.query(text, values));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async copyFrom(copySql: string, data: string | Buffer) {
      const run = async (c: pg.PoolClient) => {
        const stream = c.query(copyFromStdin(copySql));
        await pipeline(Readable.from([data]), stream);
        return stream.rowCount ?? 0;
      };
      if (client instanceof pg.Pool) {
        const c = await client.connect();
        const lost = watchConnection(c);
        try {
          return await run(c);
        } finally {
          lost.stop();
          c.release(lost.error);
        }
      }
      return run(client as pg.PoolClient);
    },
  };
}

/**
 * A checked-out client has no pool listener: its connection lost between two queries (a server
 * restart) would be an unhandled 'error' event, which ends the process. Caught here, the next
 * query fails instead, and the client is discarded on release.
 */
function watchConnection(client: pg.PoolClient): { readonly error: Error | undefined; stop(): void } {
  let error: Error | undefined;
  const onError = (err: Error) => (error = err);
  client.on('error', onError);
  return {
    get error() {
      return error;
    },
    stop: () => client.off('error', onError),
  };
}

/*
 * How long a query waits for a connection: for a free one in a busy pool, or for a new one to a
 * server that does not answer (a partition, a dead host), which would otherwise wait forever. It
 * bounds only getting the connection, never the query on it: a long import or COPY is not cut
 * short. Generous, since a busy pool under load is normal; a request still waiting after this
 * fails with "timeout exceeded when trying to connect".
 */
export const CONNECTION_TIMEOUT_MS = 30_000;

export async function openPostgres(
  url: string,
  poolMax: number,
  applicationName = 'ordersys',
  { connectionTimeoutMs = CONNECTION_TIMEOUT_MS }: { connectionTimeoutMs?: number } = {},
): Promise<Database> {
  // jit off for every session: these are short OLTP statements, and JIT compilation priced by the
  // planner's estimates cost more than it saved (311 ms of a 375 ms ledger leaderboard read; the
  // import's chunk statements took seconds to compile where they ran in milliseconds).
  const pool = new pg.Pool({
    connectionString: url, max: poolMax, types, application_name: applicationName, connectionTimeoutMillis: connectionTimeoutMs,
    options: '-c jit=off',
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  await pool.query('SELECT 1');
  return {
    kind: 'postgres',
    ...executorFor(pool),
    async transaction(fn) {
      const client = await pool.connect();
      const lost = watchConnection(client);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(executorFor(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A connection that cannot even roll back is discarded, not returned to the pool.
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        lost.stop();
        client.release(broken ?? lost.error);
      }
    },
    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}
