import type { Executor } from '../../platform/db/types.js';

/*
 * Orders per status, without an index on status (migration 0015): a statement trigger appends
 * how each insert or update of orders moved the counts to order_status_tallies, and the
 * maintenance worker folds those rows into one per (tenant, status).
 */

/** Orders per status for the tenant: the sum of its tally rows (statuses with none are absent). */
export async function countOrdersByStatus(ex: Executor, tenantId: string): Promise<Map<string, number>> {
  const { rows } = await ex.query<{ status: string; n: string }>(
    `SELECT status, sum(n)::text AS n FROM order_status_tallies WHERE tenant_id = $1
     GROUP BY status HAVING sum(n) <> 0`,
    [tenantId],
    { prepareAs: 'orders.status-tallies' },
  );
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * Replaces the tally rows of tenants that have more than `minRows` with one row per status, in one
 * statement. Safe beside writers and other folders: a row is either deleted and summed here, or
 * (not yet committed, or taken by a concurrent fold) left alone, so every sum is unchanged.
 * Returns the rows removed.
 */
export async function foldStatusTallies(ex: Executor, minRows = 64): Promise<number> {
  const { rows } = await ex.query<{ removed: number }>(
    `WITH busy AS (
       SELECT tenant_id FROM order_status_tallies GROUP BY tenant_id HAVING count(*) > $1
     ), gone AS (
       DELETE FROM order_status_tallies t USING busy WHERE t.tenant_id = busy.tenant_id
       RETURNING t.tenant_id, t.status, t.n
     ), kept AS (
       INSERT INTO order_status_tallies (tenant_id, status, n)
       SELECT tenant_id, status, sum(n) FROM gone GROUP BY tenant_id, status HAVING sum(n) <> 0
     )
     SELECT count(*)::int AS removed FROM gone`,
    [minRows],
  );
  return rows[0]!.removed;
}
