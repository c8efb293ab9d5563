import type { Database, Executor } from '../src/platform/db/types.js';

/**
 * Races made deterministic on PostgreSQL: a transaction that does `work`, then stays open (holding
 * its locks) until `commit()` is called; `held` resolves once `work` is done.
 */
export function holdOpen<T>(db: Database, work: (tx: Executor) => Promise<T>) {
  let commit!: () => void;
  let held!: () => void;
  const committing = new Promise<void>((resolve) => (commit = resolve));
  const holding = new Promise<void>((resolve) => (held = resolve));
  const done = db.transaction(async (tx) => {
    const result = await work(tx);
    held();
    await committing;
    return result;
  });
  return { held: holding, commit, done };
}

/** Resolves once `sql` (a count named n) finds a waiter. */
async function waitUntilCounted(db: Database, sql: string, params: unknown[] = []): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>(sql, params);
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves once some session of this database waits for a lock (the racer has reached it). */
export function someoneWaitsForALock(db: Database): Promise<void> {
  return waitUntilCounted(db, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
}

/** Resolves once some session waits for `table` in lock `mode` (e.g. ShareUpdateExclusiveLock, as ANALYZE takes). */
export function someoneWaitsToLock(db: Database, table: string, mode: string): Promise<void> {
  return waitUntilCounted(db, `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = $1::regclass AND mode = $2`, [table, mode]);
}
