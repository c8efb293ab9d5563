import type { Executor } from '../../platform/db/types.js';

/*
 * One bounded batch per call: each statement deletes at most `limit` rows older than `cutoff`
 * (a timestamptz, computed by the caller from the database clock) and returns how many it
 * deleted, so no transaction is large and no lock is held for long; the caller loops. The batch
 * is collected into an array first (ARRAY(...), = ANY): the delete then probes the primary key
 * for each row, where a join with the batch was planned as a scan of the whole table.
 *
 * The old rows are picked FOR UPDATE SKIP LOCKED: two retention runs at once take disjoint
 * batches instead of waiting on each other, and a row another transaction is changing right now
 * (a notification being resent, a webhook being redelivered) is left for the next run. Rows are
 * re-checked after the lock, so one that was changed meanwhile (back to queued or pending, or
 * touched after the cutoff) is not deleted. Deleting a row twice is impossible: the second
 * statement no longer finds it.
 */

/** Idempotency-Key records. A replay of a deleted key runs as a new request. */
export async function deleteIdempotencyKeys(ex: Executor, cutoff: Date, limit: number): Promise<number> {
  const { rowCount } = await ex.query(
    // By ctid (the key has three columns): the rows are locked by this statement until it
    // commits, so no other transaction can move them meanwhile.
    `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    [cutoff, limit],
  );
  return rowCount;
}

/** The webhook dedupe ledger. */
export async function deleteGatewayEvents(ex: Executor, cutoff: Date, limit: number): Promise<number> {
  const { rowCount } = await ex.query(
    `DELETE FROM gateway_events WHERE event_id = ANY (ARRAY(
       SELECT event_id FROM gateway_events WHERE received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    [cutoff, limit],
  );
  return rowCount;
}

/**
 * Sent and failed notifications of one tenant, created and last changed before the cutoff, with
 * their attempts. One statement: the attempts go in a CTE of the same statement, and the foreign
 * key (NO ACTION) is checked at its end, when both are gone. A queued row is never taken.
 * Per tenant because notifications_tenant_created (tenant_id, created_at) is the index there is.
 */
export async function deleteNotifications(ex: Executor, tenantId: string, cutoff: Date, limit: number): Promise<{ notifications: number; attempts: number }> {
  const { rows } = await ex.query<{ notifications: number; attempts: number }>(
    `WITH doomed AS (
       SELECT ARRAY(
         SELECT id FROM notifications
         WHERE tenant_id = $1 AND created_at < $2 AND updated_at < $2 AND status IN ('sent', 'failed')
         LIMIT $3 FOR UPDATE SKIP LOCKED) AS ids
     ), attempts AS (
       DELETE FROM notification_attempts WHERE notification_id = ANY ((SELECT ids FROM doomed)::uuid[]) RETURNING 1
     ), gone AS (
       DELETE FROM notifications WHERE id = ANY ((SELECT ids FROM doomed)::uuid[]) RETURNING 1
     )
     SELECT (SELECT count(*) FROM gone)::int AS notifications, (SELECT count(*) FROM attempts)::int AS attempts`,
    [tenantId, cutoff, limit],
  );
  return rows[0]!;
}

/** Delivered and failed webhook deliveries created and last changed before the cutoff, with their attempts (as above). */
export async function deleteWebhookDeliveries(ex: Executor, cutoff: Date, limit: number): Promise<{ deliveries: number; attempts: number }> {
  const { rows } = await ex.query<{ deliveries: number; attempts: number }>(
    `WITH doomed AS (
       SELECT ARRAY(
         SELECT id FROM webhook_deliveries
         WHERE created_at < $1 AND updated_at < $1 AND status IN ('delivered', 'failed')
         LIMIT $2 FOR UPDATE SKIP LOCKED) AS ids
     ), attempts AS (
       DELETE FROM webhook_delivery_attempts WHERE delivery_id = ANY ((SELECT ids FROM doomed)::bigint[]) RETURNING 1
     ), gone AS (
       DELETE FROM webhook_deliveries WHERE id = ANY ((SELECT ids FROM doomed)::bigint[]) RETURNING 1
     )
     SELECT (SELECT count(*) FROM gone)::int AS deliveries, (SELECT count(*) FROM attempts)::int AS attempts`,
    [cutoff, limit],
  );
  return rows[0]!;
}

/**
 * Imports finished (completed or failed) before the cutoff that still have error lines or chunks.
 * Neither can change again: a finished import is never resumed. imports is one row per file.
 */
export async function finishedImportsWithDetail(ex: Executor, cutoff: Date): Promise<string[]> {
  const { rows } = await ex.query<{ id: string }>(
    `SELECT i.id FROM imports i
     WHERE i.status IN ('completed', 'failed') AND i.finished_at < $1
       AND (EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = i.id)
         OR EXISTS (SELECT 1 FROM import_chunks c WHERE c.import_id = i.id))`,
    [cutoff],
  );
  return rows.map((r) => r.id);
}

/** Marks the reports about to be deleted, first: a run cut short leaves them marked, never half-deleted and unmarked. */
export async function markErrorsPruned(ex: Executor, importIds: readonly string[]): Promise<void> {
  await ex.query(
    `UPDATE imports SET errors_pruned_at = coalesce(errors_pruned_at, now())
     WHERE id = ANY($1::uuid[]) AND EXISTS (SELECT 1 FROM import_errors e WHERE e.import_id = imports.id)`,
    [importIds],
  );
}

export async function deleteImportErrors(ex: Executor, importIds: readonly string[], limit: number): Promise<number> {
  const { rowCount } = await ex.query(
    `DELETE FROM import_errors WHERE id = ANY (ARRAY(
       SELECT id FROM import_errors WHERE import_id = ANY($1::uuid[]) LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    [importIds, limit],
  );
  return rowCount;
}

export async function deleteImportChunks(ex: Executor, importIds: readonly string[], limit: number): Promise<number> {
  const { rowCount } = await ex.query(
    `DELETE FROM import_chunks WHERE ctid = ANY (ARRAY(
       SELECT ctid FROM import_chunks WHERE import_id = ANY($1::uuid[]) LIMIT $2 FOR UPDATE SKIP LOCKED))`,
    [importIds, limit],
  );
  return rowCount;
}

export async function tenantIds(ex: Executor): Promise<string[]> {
  const { rows } = await ex.query<{ id: string }>(`SELECT id FROM tenants ORDER BY id`);
  return rows.map((r) => r.id);
}

/** The cutoff on the database clock (every process and row agree on it): now() minus the window. */
export async function cutoffOf(ex: Executor, amount: number, unit: 'hour' | 'day'): Promise<Date> {
  const { rows } = await ex.query<{ cutoff: Date }>(`SELECT now() - $1 * interval '1 ${unit}' AS cutoff`, [amount]);
  return rows[0]!.cutoff;
}
