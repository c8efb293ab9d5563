import type { Executor } from '../../platform/db/types.js';
import type { Channel, Notification, NotificationStatus, NotificationType } from './notification.types.js';
import { OPERATORS } from './notification.types.js';

export interface OrderNotificationRow {
  orderId: string;
  type: NotificationType;
  /** Appended to `${orderId}:${type}` in the dedupe key: '' or ':<refundId>'. */
  keySuffix: string;
  payload: Record<string, unknown>;
}

/**
 * One row per (order request x channel of the tenant), recipients joined from customers, in one
 * statement whatever the batch size: this runs inside every completing transition, 500 orders at
 * a time during imports. The unique (tenant_id, dedupe_key) makes a repeated request a no-op.
 * Email and log go to the customer's address; SMS and push to the customer id, which the
 * provider resolves to a phone or device (ordersys stores neither).
 */
export async function insertOrderNotifications(
  tx: Executor,
  tenantId: string,
  rows: readonly OrderNotificationRow[],
  defaultChannels: readonly Channel[],
  dispatched: boolean,
): Promise<string[]> {
  if (rows.length === 0) return [];
  const { rows: inserted } = await tx.query<{ id: string }>(
    `WITH req AS (
       SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[]) AS r(order_id, type, key_suffix, payload)
     ), ch AS (
       SELECT unnest(COALESCE(t.notification_channels, $6::text[])) AS channel FROM tenants t WHERE t.id = $1
     )
     INSERT INTO notifications (tenant_id, order_id, dedupe_key, type, channel, recipient, payload, dispatched_at)
     SELECT $1, o.id, o.id || ':' || req.type || req.key_suffix || ':' || ch.channel, req.type, ch.channel,
            CASE WHEN ch.channel IN ('email', 'log') THEN c.email ELSE c.id::text END,
            req.payload || jsonb_build_object('orderCode', o.order_code),
            CASE WHEN $7::boolean THEN now() END
     FROM req
     JOIN orders o ON o.tenant_id = $1 AND o.id = req.order_id
     JOIN customers c ON c.tenant_id = o.tenant_id AND c.id = o.customer_id
     CROSS JOIN ch
     ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
     RETURNING id`,
    [
      tenantId,
      rows.map((r) => r.orderId),
      rows.map((r) => r.type),
      rows.map((r) => r.keySuffix),
      rows.map((r) => JSON.stringify(r.payload)),
      defaultChannels,
      dispatched,
    ],
  );
  return inserted.map((r) => r.id);
}

/** Operators hear about imports by email and log only: ordersys knows no operator phone or device. */
export async function insertImportNotifications(
  tx: Executor,
  tenantId: string,
  importIds: readonly string[],
  defaultChannels: readonly Channel[],
  dispatched: boolean,
): Promise<string[]> {
  if (importIds.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `WITH ch AS (
       SELECT unnest(COALESCE(t.notification_channels, $3::text[])) AS channel FROM tenants t WHERE t.id = $1
     )
     INSERT INTO notifications (tenant_id, dedupe_key, type, channel, recipient, payload, dispatched_at)
     SELECT $1, 'import:' || i.id || ':import_finished:' || ch.channel, 'import_finished', ch.channel, $4,
            jsonb_build_object('importId', i.id, 'fileName', i.file_name), CASE WHEN $5::boolean THEN now() END
     FROM imports i CROSS JOIN ch
     WHERE i.tenant_id = $1 AND i.id = ANY($2::uuid[]) AND ch.channel IN ('email', 'log')
     ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
     RETURNING id`,
    [tenantId, importIds, defaultChannels, OPERATORS, dispatched],
  );
  return rows.map((r) => r.id);
}

export interface ClaimedNotification {
  id: string;
  orderId: string | null;
  type: NotificationType;
  channel: Channel;
  recipient: string;
  payload: Record<string, unknown>;
  /** This attempt's number (attempts after the claim). */
  attempt: number;
  /** Attempts left in this round after this one. */
  remaining: number;
}

/**
 * Takes the rows that are still queued, due and not leased by another worker, counting the
 * attempt now: a worker that dies mid-send still used one, so a crash loop ends at the limit.
 * A row already sent is never claimed again, which is what keeps a retried job from sending twice.
 */
export async function claimNotifications(
  ex: Executor,
  tenantId: string,
  ids: readonly string[],
  maxAttempts: number,
  leaseSeconds: number,
): Promise<ClaimedNotification[]> {
  const { rows } = await ex.query<ClaimedNotification>(
    `UPDATE notifications SET attempts = attempts + 1, locked_until = now() + $3 * interval '1 second', updated_at = now()
     WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'queued'
       AND due_at <= now() + interval '5 seconds'
       AND (locked_until IS NULL OR locked_until < now())
     RETURNING id, order_id AS "orderId", type, channel, recipient, payload, attempts AS attempt,
               $4 - (attempts - attempt_base) AS remaining`,
    [tenantId, ids, leaseSeconds, maxAttempts],
  );
  return rows;
}

/**
 * Rows whose worker died mid-attempt after using their last attempt: nobody may try again, so
 * they fail here with what is known, instead of staying queued forever.
 */
export async function failExhausted(ex: Executor, tenantId: string, ids: readonly string[], maxAttempts: number): Promise<number> {
  const { rowCount } = await ex.query(
    `UPDATE notifications SET status = 'failed', locked_until = NULL, updated_at = now(),
       last_error = COALESCE(last_error, 'gave up: the worker stopped during the last attempt')
     WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'queued' AND attempts - attempt_base >= $3
       AND (locked_until IS NULL OR locked_until < now())`,
    [tenantId, ids, maxAttempts],
  );
  return rowCount;
}

export interface AttemptOutcome {
  id: string;
  attempt: number;
  startedAt: Date;
  ok: boolean;
  error: string | null;
  providerRef: string | null;
  /** For a failure with attempts left: how long to wait before the next one. */
  retryDelayMs: number | null;
}

/**
 * Records every attempt and moves each row in one statement per table. Guarded by the attempt
 * number, so a worker whose lease ran out cannot overwrite a newer attempt's outcome.
 */
export async function recordOutcomes(ex: Executor, tenantId: string, outcomes: readonly AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const params = [
    tenantId,
    outcomes.map((o) => o.id),
    outcomes.map((o) => o.attempt),
    outcomes.map((o) => o.ok),
    outcomes.map((o) => o.error),
    outcomes.map((o) => o.providerRef),
    outcomes.map((o) => o.startedAt.toISOString()),
    outcomes.map((o) => o.retryDelayMs),
  ];
  await ex.query(
    `INSERT INTO notification_attempts (tenant_id, notification_id, attempt, outcome, error, provider_ref, started_at)
     SELECT $1, o.id, o.attempt, CASE WHEN o.ok THEN 'sent' ELSE 'error' END, o.error, o.ref, o.started
     FROM unnest($2::uuid[], $3::int[], $4::boolean[], $5::text[], $6::text[], $7::timestamptz[], $8::int[])
       AS o(id, attempt, ok, error, ref, started, retry_ms)`,
    params,
  );
  await ex.query(
    `UPDATE notifications n SET
       status = CASE WHEN o.ok THEN 'sent' WHEN o.retry_ms IS NULL THEN 'failed' ELSE 'queued' END,
       sent_at = CASE WHEN o.ok THEN now() ELSE n.sent_at END,
       last_error = CASE WHEN o.ok THEN n.last_error ELSE o.error END,
       due_at = CASE WHEN o.retry_ms IS NOT NULL THEN now() + o.retry_ms * interval '1 millisecond' ELSE n.due_at END,
       dispatched_at = CASE WHEN o.retry_ms IS NOT NULL THEN now() ELSE n.dispatched_at END,
       locked_until = NULL,
       updated_at = now()
     FROM unnest($2::uuid[], $3::int[], $4::boolean[], $5::text[], $6::text[], $7::timestamptz[], $8::int[])
       AS o(id, attempt, ok, error, ref, started, retry_ms)
     WHERE n.tenant_id = $1 AND n.id = o.id AND n.status = 'queued' AND n.attempts = o.attempt`,
    params,
  );
}

/**
 * Queued rows no job will pick up: never dispatched (enqueued where no queue was bound), or due
 * and dispatched long enough ago that the job must be lost (expired, or its worker died and the
 * lease ran out). Marks them dispatched in the same statement.
 */
export async function takeStranded(ex: Executor, graceSeconds: number, limit: number): Promise<{ tenantId: string; id: string }[]> {
  const { rows } = await ex.query<{ tenantId: string; id: string }>(
    `UPDATE notifications SET dispatched_at = now()
     WHERE id IN (
       SELECT id FROM notifications
       WHERE status = 'queued' AND due_at <= now()
         AND (locked_until IS NULL OR locked_until < now())
         AND (dispatched_at IS NULL OR GREATEST(dispatched_at, due_at) < now() - $1 * interval '1 second')
       ORDER BY due_at LIMIT $2
       FOR UPDATE SKIP LOCKED)
     RETURNING tenant_id AS "tenantId", id`,
    [graceSeconds, limit],
  );
  return rows;
}

/**
 * Queues a notification again: a failed one gets a fresh retry budget, a sent one is sent once
 * more. Attempts keep counting and every earlier attempt stays in notification_attempts.
 */
export async function requeue(ex: Executor, tenantId: string, id: string): Promise<Notification | undefined> {
  const { rows } = await ex.query<Notification>(
    `UPDATE notifications SET status = 'queued', attempt_base = attempts, due_at = now(), dispatched_at = now(),
       sent_at = NULL, locked_until = NULL, updated_at = now()
     WHERE tenant_id = $1 AND id = $2 AND status <> 'queued'
     RETURNING ${COLUMNS}`,
    [tenantId, id],
  );
  return rows[0];
}

export const COLUMNS = `id, tenant_id AS "tenantId", order_id AS "orderId", dedupe_key AS "dedupeKey", type, channel,
  recipient, status, attempts, last_error AS "lastError", payload, created_at AS "createdAt", updated_at AS "updatedAt",
  sent_at AS "sentAt", due_at AS "dueAt"`;

export async function findNotification(ex: Executor, tenantId: string, id: string): Promise<Notification | undefined> {
  const { rows } = await ex.query<Notification>(`SELECT ${COLUMNS} FROM notifications WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0];
}

export interface NotificationFilter {
  type?: NotificationType;
  status?: NotificationStatus;
  channel?: Channel;
  orderId?: string;
  since?: Date;
}

function where(tenantId: string, f: NotificationFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [tenantId];
  const clauses = ['tenant_id = $1'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (f.type) add('type = ?', f.type);
  if (f.status) add('status = ?', f.status);
  if (f.channel) add('channel = ?', f.channel);
  if (f.orderId) add('order_id = ?', f.orderId);
  if (f.since) add('created_at >= ?', f.since);
  return { sql: clauses.join(' AND '), params };
}

export async function listNotifications(
  ex: Executor,
  tenantId: string,
  filter: NotificationFilter,
  page: { limit: number; offset: number },
): Promise<Notification[]> {
  const w = where(tenantId, filter);
  const { rows } = await ex.query<Notification>(
    `SELECT ${COLUMNS} FROM notifications WHERE ${w.sql}
     ORDER BY created_at DESC, id DESC LIMIT ${Number(page.limit)} OFFSET ${Number(page.offset)}`,
    w.params,
  );
  return rows;
}

export interface NotificationTotals {
  total: number;
  byStatus: Record<NotificationStatus, number>;
  byType: Partial<Record<NotificationType, number>>;
  byChannel: Partial<Record<Channel, number>>;
}

/** Counts over the whole filter, not just the page shown. */
export async function notificationTotals(ex: Executor, tenantId: string, filter: NotificationFilter): Promise<NotificationTotals> {
  const w = where(tenantId, filter);
  const { rows } = await ex.query<{ type: NotificationType; channel: Channel; status: NotificationStatus; n: number }>(
    `SELECT type, channel, status, count(*)::int AS n FROM notifications WHERE ${w.sql} GROUP BY type, channel, status`,
    w.params,
  );
  const totals: NotificationTotals = { total: 0, byStatus: { queued: 0, sent: 0, failed: 0 }, byType: {}, byChannel: {} };
  for (const r of rows) {
    totals.total += r.n;
    totals.byStatus[r.status] += r.n;
    totals.byType[r.type] = (totals.byType[r.type] ?? 0) + r.n;
    totals.byChannel[r.channel] = (totals.byChannel[r.channel] ?? 0) + r.n;
  }
  return totals;
}

export interface AttemptRecord {
  attempt: number;
  outcome: 'sent' | 'error';
  error: string | null;
  providerRef: string | null;
  startedAt: Date;
  finishedAt: Date;
}

export async function findAttempts(ex: Executor, tenantId: string, notificationId: string): Promise<AttemptRecord[]> {
  const { rows } = await ex.query<AttemptRecord>(
    `SELECT attempt, outcome, error, provider_ref AS "providerRef", started_at AS "startedAt", finished_at AS "finishedAt"
     FROM notification_attempts WHERE tenant_id = $1 AND notification_id = $2 ORDER BY id`,
    [tenantId, notificationId],
  );
  return rows;
}
