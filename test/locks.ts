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

/** Resolves once some session of this database waits for a lock (the racer has reached it). */
export async function someoneWaitsForALock(db: Database): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}
